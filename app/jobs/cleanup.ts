import { QueryTypes } from 'sequelize';
import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { Tenant } from '../models/tenant.ts';
import { IMPORT_FILE_KIND } from '../services/members-csv.ts';
import { fileStore } from '../services/storage.ts';
import type { Job } from './run-job.ts';

const DAY_MS = 86_400_000;
/** Read notifications older than this are deleted; unread ones stay until they are read. */
export const READ_NOTIFICATION_DAYS = 90;
/** A previewed member import not confirmed within this time is abandoned: its stored file goes. */
export const IMPORT_FILE_DAYS = 1;
/** Generated project reports are kept this long, then their file and row go. */
export const REPORT_DAYS = 30;

/**
 * Archives the current tenant's old done tasks (never deletes them), drops old read notifications
 * and the files of member imports that were previewed but never confirmed.
 */
export async function tidyTenant(
  now: Date,
): Promise<{ archived: number; notifications: number; importFiles: number; apiRecords: number }> {
  const sequelize = db();
  const taskCutoff = new Date(now.getTime() - config.TASK_ARCHIVE_DAYS * DAY_MS);
  const noticeCutoff = new Date(now.getTime() - READ_NOTIFICATION_DAYS * DAY_MS);
  const archived = await sequelize.query(
    `UPDATE tasks SET archived_at = $1, updated_at = $1
      WHERE status = 'done' AND archived_at IS NULL AND completed_at < $2
    RETURNING id`,
    { bind: [now, taskCutoff], type: QueryTypes.SELECT },
  );
  const deleted = await sequelize.query(
    'DELETE FROM notifications WHERE read_at IS NOT NULL AND created_at < $1 RETURNING id',
    { bind: [noticeCutoff], type: QueryTypes.SELECT },
  );
  const importFiles = await fileStore.removeOlderThan(
    IMPORT_FILE_KIND,
    new Date(now.getTime() - IMPORT_FILE_DAYS * DAY_MS),
  );
  // Generated project report files (and their rows) are kept for REPORT_DAYS.
  const reportCutoff = new Date(now.getTime() - REPORT_DAYS * DAY_MS);
  const reportFiles = await fileStore.removeOlderThan('report', reportCutoff);
  await sequelize.query('DELETE FROM project_reports WHERE created_at < $1', { bind: [reportCutoff] });
  // API bookkeeping: idempotency keys live a day; ended sign-ins (and their refresh tokens) a month.
  const keys = await sequelize.query(
    "DELETE FROM api_idempotency_keys WHERE created_at < $1::timestamptz - interval '24 hours' RETURNING id",
    { bind: [now], type: QueryTypes.SELECT },
  );
  const families = await sequelize.query(
    `DELETE FROM api_token_families
      WHERE COALESCE(revoked_at, expires_at) < $1::timestamptz - interval '30 days' RETURNING id`,
    { bind: [now], type: QueryTypes.SELECT },
  );
  return {
    archived: archived.length,
    notifications: deleted.length,
    importFiles: importFiles + reportFiles,
    apiRecords: keys.length + families.length,
  };
}

/**
 * Expired sessions of the PostgreSQL store (used when REDIS_URL is unset; Redis expires its own
 * keys, and the table then stays empty, so the statement is harmless either way).
 */
export async function purgeExpiredSessions(now: Date): Promise<number> {
  const rows = await db().query('DELETE FROM public.sessions WHERE expire < $1 RETURNING sid', {
    bind: [now],
    type: QueryTypes.SELECT,
  });
  return rows.length;
}

/** Delivered outbox notices older than this are deleted; undelivered ones stay until delivered. */
export const DELIVERED_NOTICE_DAYS = 90;

/** Delivered rows of the notice outbox over DELIVERED_NOTICE_DAYS old. */
export async function purgeDeliveredNotices(now: Date): Promise<number> {
  const rows = await db().query('DELETE FROM public.notice_outbox WHERE delivered_at < $1 RETURNING id', {
    bind: [new Date(now.getTime() - DELIVERED_NOTICE_DAYS * DAY_MS)],
    type: QueryTypes.SELECT,
  });
  return rows.length;
}

/** The root domain API's idempotency keys over a day old. */
export async function purgePlatformApiKeys(now: Date): Promise<number> {
  const rows = await db().query(
    "DELETE FROM public.platform_idempotency_keys WHERE created_at < $1::timestamptz - interval '24 hours' RETURNING id",
    { bind: [now], type: QueryTypes.SELECT },
  );
  return rows.length;
}

export const cleanup: Job = {
  name: 'cleanup',
  schedule: '0 3 * * 0',
  description: `Archives done tasks completed over ${config.TASK_ARCHIVE_DAYS} days ago, deletes read notifications over ${READ_NOTIFICATION_DAYS} days old, unconfirmed member-import files, project reports over ${REPORT_DAYS} days old, expired API keys and sign-ins, expired sessions and notices delivered over ${DELIVERED_NOTICE_DAYS} days ago.`,
  async run(ctx) {
    const tenants = await Tenant.findAll({ order: [['id', 'ASC']] });
    const totals = { archived: 0, notifications: 0, importFiles: 0, apiRecords: 0 };
    const done = await ctx.eachTenant(tenants, async () => {
      const tidied = await tidyTenant(ctx.now);
      totals.archived += tidied.archived;
      totals.notifications += tidied.notifications;
      totals.importFiles += tidied.importFiles;
      totals.apiRecords += tidied.apiRecords;
    });
    ctx.done(done);
    const sessions = await purgeExpiredSessions(ctx.now);
    const notices = await purgeDeliveredNotices(ctx.now);
    const platformApiKeys = await purgePlatformApiKeys(ctx.now);
    ctx.log.info({ ...totals, sessions, notices, platformApiKeys }, 'cleaned up');
  },
};
