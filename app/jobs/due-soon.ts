import { QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import { notify } from '../services/notifications.ts';
import { workingTenants } from './overdue-tasks.ts';
import type { Job } from './run-job.ts';

const DAY_MS = 86_400_000;

interface DueSoonRow {
  id: string;
  title: string;
  dueAt: Date;
  assigneeId: string;
  projectName: string;
}

/** Open tasks due within the day ahead, with an active assignee, not announced yet: one statement. */
const DUE_SOON_SQL = `
SELECT t.id::text AS id, t.title, t.due_at AS "dueAt", t.assignee_id::text AS "assigneeId",
       p.name AS "projectName"
  FROM tasks t
  JOIN projects p ON p.id = t.project_id
  JOIN users a ON a.id = t.assignee_id AND a.active
 WHERE t.due_at >= $1 AND t.due_at < $2 AND t.status <> 'done' AND t.archived_at IS NULL
   AND t.due_soon_notified_at IS NULL AND p.status <> 'archived'
 ORDER BY t.id`;

/** Tells the assignees of the current tenant's tasks due within 24 hours of `now`; answers how many. */
export async function announceDueSoon(now: Date): Promise<number> {
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

export const dueSoon: Job = {
  name: 'due-soon',
  schedule: '30 * * * *',
  description:
    'Tells the assignee, in the app, when a task is due within the next 24 hours (once per due date).',
  async run(ctx) {
    const tenants = await workingTenants();
    let told = 0;
    const done = await ctx.eachTenant(tenants, async () => {
      told += await announceDueSoon(ctx.now);
    });
    ctx.done(done);
    ctx.log.info({ told }, 'due-soon tasks announced');
  },
};
