import { QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import { sendMail } from '../services/mailer.ts';
import { notify } from '../services/notifications.ts';
import { hostUrl, tenantHosts } from '../services/urls.ts';
import { workingTenants } from './overdue-tasks.ts';
import type { Job } from './run-job.ts';

const DAY_MS = 86_400_000;

interface DueSoonRow {
  id: string;
  title: string;
  dueAt: Date;
  assigneeId: string;
  assigneeName: string;
  assigneeEmail: string;
  /** The assignee's "E-mail me task reminders" setting. */
  remind: boolean;
  projectName: string;
}

/** Open tasks due within the day ahead, with an active assignee, not announced yet: one statement. */
const DUE_SOON_SQL = `
SELECT t.id::text AS id, t.title, t.due_at AS "dueAt", t.assignee_id::text AS "assigneeId",
       a.name AS "assigneeName", a.email AS "assigneeEmail", a.task_reminders AS remind, p.name AS "projectName"
  FROM tasks t
  JOIN projects p ON p.id = t.project_id
  JOIN users a ON a.id = t.assignee_id AND a.active
 WHERE t.due_at >= $1 AND t.due_at < $2 AND t.status <> 'done' AND t.archived_at IS NULL
   AND t.due_soon_notified_at IS NULL AND p.status <> 'archived'
 ORDER BY t.id`;

/**
 * Tells the assignees of the current tenant's tasks due within 24 hours of `now`, in the app and,
 * unless they turned reminders off, by e-mail with a link on `host`; answers how many.
 */
export async function announceDueSoon(now: Date, host = '', tenantName = ''): Promise<number> {
  const sequelize = db();
  const rows = await sequelize.query<DueSoonRow>(DUE_SOON_SQL, {
    bind: [now, new Date(now.getTime() + DAY_MS)],
    type: QueryTypes.SELECT,
  });
  if (!rows.length) return 0;
  const timeZone = await tenantTimeZone();
  const told: string[] = [];
  try {
    for (const row of rows) {
      await notify({
        userId: row.assigneeId,
        kind: 'task.due_soon',
        title: `Due soon: ${row.title}`,
        body: `${row.projectName}, due ${formatDateTime(row.dueAt, timeZone)}`,
        url: `/tasks/${row.id}`,
        dedupeKey: `task:${row.id}:due_soon:${row.dueAt.toISOString()}`,
      });
      if (row.remind && row.assigneeEmail) await remind(row, host, timeZone, tenantName);
      told.push(row.id);
    }
  } finally {
    if (told.length)
      await sequelize.query('UPDATE tasks SET due_soon_notified_at = $1 WHERE id = ANY($2::bigint[])', {
        bind: [now, told],
      });
  }
  return told.length;
}

async function remind(row: DueSoonRow, host: string, timeZone: string, tenantName: string): Promise<void> {
  await sendMail({
    to: row.assigneeEmail,
    subject: `${tenantName}: "${row.title}" is due soon`,
    template: 'task-due-soon',
    locals: {
      name: row.assigneeName,
      url: hostUrl(host, `/tasks/${row.id}`),
      profileUrl: hostUrl(host, '/profile'),
      task: { title: row.title, projectName: row.projectName, due: formatDateTime(row.dueAt, timeZone) },
    },
  });
}

export const dueSoon: Job = {
  name: 'due-soon',
  schedule: '30 * * * *',
  description:
    'Tells the assignee, in the app and by e-mail (unless turned off on the profile), when a task is due within the next 24 hours (once per due date).',
  async run(ctx) {
    const tenants = await workingTenants();
    const hosts = await tenantHosts(tenants);
    let told = 0;
    const done = await ctx.eachTenant(tenants, async (tenant) => {
      told += await announceDueSoon(ctx.now, hosts.get(String(tenant.id)) ?? '', tenant.name);
    });
    ctx.done(done);
    ctx.log.info({ told }, 'due-soon tasks announced');
  },
};
