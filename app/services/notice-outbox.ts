import { createHash } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { type Tenant, Tenant as TenantModel } from '../models/tenant.ts';
import { requireTenant } from '../tenancy/context.ts';
import { type AccountMail, activeSuperAdmins, tellSuperAdmins } from './billing.ts';
import { type NotificationInput, notify } from './notifications.ts';

/*
 * The notice outbox (public.notice_outbox): what the billing and trial jobs must tell a tenant's
 * super admins is written in the same transaction as the change that calls for it (a charge that
 * makes the tenant past due, a trial marked warned), one row per tenant, event and day, so a
 * rerun adds nothing. Delivery comes afterwards: a crash between the commit and the delivery
 * leaves the row for the next run, which delivers it. Nothing is lost and nothing is told twice:
 *
 * - a claim holds only while the run that made it is running (job_runs.status), so the rows of a
 *   run whose process died are taken up by the next run once it has closed the dead one;
 * - the in-app notice has a dedupe key per person: delivered again, it adds nothing;
 * - the job that wrote the rows also queues a notice-delivery job for each, in the same
 *   transaction (app/queue/jobs/notice-delivery.ts), starting a minute later: the run delivers its
 *   rows itself at once, and when its process died after the commit, a worker delivers them then;
 * - a delivery is one transaction holding the row: the in-app notices, the e-mails queued (one mail
 *   job per address, recorded in `mailed_to`) and the delivered mark commit together, so each
 *   address has its e-mail queued once. The mail job sends it once (public.mail_deliveries) with a
 *   Message-ID of the row and address, and retries a failing mail server with backoff.
 */

export const NOTICE_EVENTS = ['past_due', 'suspended', 'low_credit', 'trial_ending'] as const;
export type NoticeEvent = (typeof NOTICE_EVENTS)[number];

/** A row is given up after this many delivery attempts (a tenant whose schema is gone, say). */
export const MAX_DELIVERY_ATTEMPTS = 10;

export interface OutboxRow {
  id: string;
  tenantId: string;
  event: NoticeEvent;
  day: string;
  details: Record<string, unknown>;
  mailedTo: string[];
}

/**
 * Claims up to `limit` undelivered rows of `events` for the run `runId`: rows nobody claimed, or
 * claimed by a run that is no longer running. SKIP LOCKED lets two deliverers share the rows
 * without waiting for each other or taking the same one.
 */
export function claimNotices(
  runId: string,
  events: readonly NoticeEvent[],
  limit = 100,
): Promise<OutboxRow[]> {
  return db().query<OutboxRow>(
    `UPDATE public.notice_outbox o
        SET claimed_by = $1, claimed_at = now(), attempts = o.attempts + 1
       FROM (SELECT n.id FROM public.notice_outbox n
              WHERE n.delivered_at IS NULL AND n.event = ANY($2::text[]) AND n.attempts < $4
                AND (n.claimed_by IS NULL OR NOT EXISTS (
                      SELECT 1 FROM public.job_runs r WHERE r.id = n.claimed_by AND r.status = 'running'))
              ORDER BY n.id
              LIMIT $3
                FOR UPDATE OF n SKIP LOCKED) c
      WHERE o.id = c.id
  RETURNING o.id::text AS id, o.tenant_id::text AS "tenantId", o.event, o.day::text AS day,
            o.details, o.mailed_to AS "mailedTo"`,
    { bind: [runId, [...events], limit, MAX_DELIVERY_ATTEMPTS], type: QueryTypes.SELECT },
  );
}

/** What one event tells: the in-app notice (none for an e-mail-only event) and the e-mail. */
function messageOf(
  row: OutboxRow,
  tenant: Tenant,
): { notice: Omit<NotificationInput, 'userId'> | null; mail: AccountMail } {
  const d = row.details;
  switch (row.event) {
    case 'past_due':
      return {
        notice: {
          kind: 'billing.past_due',
          title: 'Your Steward credit has run out',
          body: `The account is past due and will be suspended after ${config.PAST_DUE_GRACE_DAYS} days unless the credit is topped up.`,
          url: '/billing',
          dedupeKey: `billing:past_due:${row.day}`,
        },
        mail: {
          template: 'past-due',
          subject: `${tenant.name}: your Steward credit has run out`,
          locals: { since: d.since ?? null },
        },
      };
    case 'suspended':
      return {
        notice: {
          kind: 'billing.past_due',
          title: `${tenant.name} is suspended: its credit ran out`,
          body: 'Its pages are closed until the credit is topped up; all data is kept.',
          url: '/billing',
          dedupeKey: `billing:suspended:${row.day}`,
        },
        mail: {
          template: 'suspended',
          subject: `${tenant.name} is suspended: its credit ran out`,
          locals: { since: d.since ?? null },
        },
      };
    case 'low_credit': {
      const days = Number(d.daysLeft);
      const lasts = days === 1 ? 'one more day' : `${days} more days`;
      return {
        notice: {
          kind: 'billing.low_credit',
          title: `The Steward credit of ${tenant.name} lasts ${lasts}`,
          body: 'Top up the credit to keep the account running; below zero it becomes past due.',
          url: '/billing',
          dedupeKey: `billing:low_credit:${row.day}`,
        },
        mail: {
          template: 'low-credit',
          subject: `${tenant.name}: your Steward credit lasts ${lasts}`,
          locals: { days, lasts },
        },
      };
    }
    case 'trial_ending':
      return {
        notice: null,
        mail: {
          template: 'trial-ending',
          subject: `${tenant.name}: your Steward trial ends soon`,
          locals: { endsOn: String(d.endsOn ?? '') },
        },
      };
  }
}

/** The same Message-ID every time one row is sent to one address. */
function messageIdFor(row: OutboxRow, address: string): string {
  const who = createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 16);
  return `<notice.${row.id}.${who}@${config.BASE_DOMAIN}>`;
}

/**
 * Delivers one row (call inside its tenant), in one transaction that holds the row: the in-app
 * notice to each active super admin, the e-mail queued for those not told by e-mail yet (each
 * address recorded in `mailed_to`), then the row is marked delivered. A row already delivered (by
 * the notice job or a run, whichever came first) is left alone. Throws on a failure, leaving the
 * row for the next run.
 */
export async function deliverNotice(row: OutboxRow, tenant: Tenant): Promise<boolean> {
  return db().transaction(async () => {
    const [held] = await db().query<{ mailedTo: string[] }>(
      `SELECT mailed_to AS "mailedTo" FROM public.notice_outbox
        WHERE id = $1 AND tenant_id = $2 AND delivered_at IS NULL FOR UPDATE`,
      { bind: [row.id, tenant.id], type: QueryTypes.SELECT },
    );
    if (!held) return false;
    const { notice, mail } = messageOf(row, tenant);
    const admins = await activeSuperAdmins();
    if (notice) for (const admin of admins) await notify({ ...notice, userId: String(admin.id) });
    const mailed = new Set(held.mailedTo.map((a) => a.toLowerCase()));
    const unmailed = admins.filter((a) => !mailed.has(a.email.toLowerCase()));
    await tellSuperAdmins(tenant, mail, unmailed, {
      messageIdFor: (address) => messageIdFor(row, address),
      onSent: async (address) => {
        await db().query(
          'UPDATE public.notice_outbox SET mailed_to = mailed_to || jsonb_build_array($2::text) WHERE id = $1',
          { bind: [row.id, address.toLowerCase()] },
        );
      },
    });
    await db().query(
      'UPDATE public.notice_outbox SET delivered_at = now(), last_error = NULL WHERE id = $1',
      { bind: [row.id] },
    );
    return true;
  });
}

/**
 * Delivers the row `id` of the current tenant, if it is still undelivered (the notice job). A row
 * of another tenant is not touched.
 */
export async function deliverNoticeById(id: string): Promise<boolean> {
  const tenantRef = requireTenant();
  const [row] = await db().query<OutboxRow>(
    `SELECT id::text AS id, tenant_id::text AS "tenantId", event, day::text AS day, details,
            mailed_to AS "mailedTo"
       FROM public.notice_outbox WHERE id = $1 AND tenant_id = $2 AND delivered_at IS NULL`,
    { bind: [id, tenantRef.id], type: QueryTypes.SELECT },
  );
  if (!row) return false;
  const tenant = await TenantModel.findByPk(tenantRef.id);
  if (!tenant) return false;
  return deliverNotice(row, tenant);
}

/** Keeps why a delivery failed on the row; it stays claimed by the failed run, which ends it. */
export async function noteDeliveryFailure(row: OutboxRow, err: unknown): Promise<void> {
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
  await db().query('UPDATE public.notice_outbox SET last_error = $2 WHERE id = $1', {
    bind: [row.id, message],
  });
}
