import { Op, QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';
import { Tenant } from '../models/tenant.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import { sendMail } from '../services/mailer.ts';
import { notify } from '../services/notifications.ts';
import { hostUrl, tenantHosts } from '../services/urls.ts';
import type { Job } from './run-job.ts';

/** Tenants whose people are working: a suspended tenant's pages are closed, so nobody is chased. */
export function workingTenants(): Promise<Tenant[]> {
  return Tenant.findAll({ where: { status: { [Op.ne]: 'suspended' } }, order: [['id', 'ASC']] });
}

interface OverdueRow {
  id: string;
  title: string;
  dueAt: Date;
  projectName: string;
  assigneeId: string | null;
  assigneeName: string | null;
  assigneeEmail: string | null;
  /** The person's "E-mail me task reminders" setting. */
  assigneeRemind: boolean | null;
  ownerId: string | null;
  ownerName: string | null;
  ownerEmail: string | null;
  ownerRemind: boolean | null;
}

/*
 * The tenant's overdue tasks not chased yet, with the active assignee and project owner, in one
 * statement. Tasks of archived projects are left alone.
 */
const OVERDUE_SQL = `
SELECT t.id::text AS id, t.title, t.due_at AS "dueAt", p.name AS "projectName",
       a.id::text AS "assigneeId", a.name AS "assigneeName", a.email AS "assigneeEmail",
       a.task_reminders AS "assigneeRemind",
       o.id::text AS "ownerId", o.name AS "ownerName", o.email AS "ownerEmail", o.task_reminders AS "ownerRemind"
  FROM tasks t
  JOIN projects p ON p.id = t.project_id
  LEFT JOIN users a ON a.id = t.assignee_id AND a.active
  LEFT JOIN users o ON o.id = p.owner_id AND o.active
 WHERE t.due_at < $1 AND t.status <> 'done' AND t.archived_at IS NULL
   AND t.overdue_notified_at IS NULL AND p.status <> 'archived'
 ORDER BY t.id`;

/** Who hears about an overdue task: its assignee and its project's owner (once if they are one person). */
function recipientsOf(row: OverdueRow) {
  const people: { id: string; name: string; email: string; remind: boolean; role: 'assignee' | 'owner' }[] =
    [];
  if (row.assigneeId && row.assigneeEmail)
    people.push({
      id: row.assigneeId,
      name: row.assigneeName ?? '',
      email: row.assigneeEmail,
      remind: row.assigneeRemind !== false,
      role: 'assignee',
    });
  if (row.ownerId && row.ownerEmail && row.ownerId !== row.assigneeId)
    people.push({
      id: row.ownerId,
      name: row.ownerName ?? '',
      email: row.ownerEmail,
      remind: row.ownerRemind !== false,
      role: 'owner',
    });
  return people;
}

async function chase(row: OverdueRow, host: string, timeZone: string, tenantName: string): Promise<void> {
  const path = `/tasks/${row.id}`;
  const url = hostUrl(host, path);
  const due = formatDateTime(row.dueAt, timeZone);
  for (const person of recipientsOf(row)) {
    await notify({
      userId: person.id,
      kind: 'task.overdue',
      title: `Overdue: ${row.title}`,
      body: `${row.projectName}, was due ${due}`,
      url: path,
      // Once per task and due date: a moved date (flags reset by task-hooks.ts) is chased again.
      dedupeKey: `task:${row.id}:overdue:${row.dueAt.toISOString()}`,
    });
    // Turned off on the profile page: the notice in the app is enough.
    if (!person.remind) continue;
    await sendMail({
      to: person.email,
      subject: `${tenantName}: "${row.title}" is overdue`,
      template: 'task-overdue',
      locals: { name: person.name, role: person.role, url, task: { ...row, due } },
    });
  }
}

/** Chases the current tenant's overdue tasks as of `now`; answers how many were chased. */
export async function chaseOverdueTasks(now: Date, host: string, tenantName: string): Promise<number> {
  const sequelize = db();
  const rows = await sequelize.query<OverdueRow>(OVERDUE_SQL, { bind: [now], type: QueryTypes.SELECT });
  if (!rows.length) return 0;
  const timeZone = await tenantTimeZone();
  const chased: string[] = [];
  try {
    for (const row of rows) {
      await chase(row, host, timeZone, tenantName);
      chased.push(row.id);
    }
  } finally {
    // Even when one e-mail fails, the tasks already chased are marked, so nobody hears twice.
    if (chased.length)
      await sequelize.query('UPDATE tasks SET overdue_notified_at = $1 WHERE id = ANY($2::bigint[])', {
        bind: [now, chased],
      });
  }
  return chased.length;
}

export const overdueTasks: Job = {
  name: 'overdue-tasks',
  schedule: '0 * * * *',
  description:
    'Tells the assignee and the project owner, in the app and by e-mail (unless turned off on the profile), when a task passes its due date (once per task and due date).',
  async run(ctx) {
    const tenants = await workingTenants();
    const hosts = await tenantHosts(tenants);
    let chased = 0;
    const done = await ctx.eachTenant(tenants, async (tenant) => {
      chased += await chaseOverdueTasks(ctx.now, hosts.get(String(tenant.id)) ?? '', tenant.name);
    });
    ctx.done(done);
    ctx.log.info({ chased }, 'overdue tasks chased');
  },
};
