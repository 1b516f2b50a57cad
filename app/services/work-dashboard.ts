import { fn, literal, type Model, type ModelStatic, Op, type WhereOptions } from 'sequelize';
import { Project, ProjectMember, Task } from '../models/index.ts';
import { PROJECT_STATUSES, type ProjectStatus } from '../models/project.ts';
import type { User } from '../models/user.ts';
import { managesAllProjects, visibleProjectsWhere, visibleTasksWhere } from '../policies/project.policy.ts';
import { currentTenant, type TenantRef, withTenant } from '../tenancy/context.ts';
import * as cache from './cache.ts';
import { addDays, onOrBefore } from './calendar.ts';
import { instantOf, localParts, tenantTimeZone } from './local-time.ts';

/**
 * The work dashboard's figures: open, overdue, due this week, completed this week, the user's own
 * open tasks and projects by status, over the projects the user may see. The figures are cached per
 * tenant and per visibility scope (everything, or one user's projects) for a minute, and made stale
 * by any write to tasks, projects or project members (see `installWorkCacheInvalidation`).
 */

/** The cache group every dashboard entry belongs to; a write to the work tables bumps it. */
export const WORK_CACHE_GROUP = 'work';
const TTL_SECONDS = 60;

export interface Week {
  /** Monday 00:00 in the tenant's time zone. */
  start: Date;
  /** The next Monday 00:00. */
  end: Date;
  /** Monday's date, "YYYY-MM-DD". */
  startDate: string;
}

export { addDays } from './calendar.ts';

/** The Monday on or before a "YYYY-MM-DD" calendar date. */
export function mondayOf(date: string): string {
  return onOrBefore(date, 1);
}

/** The week (Monday to Sunday, in `timeZone`) that holds `now`. */
export function weekOf(now: Date, timeZone: string): Week {
  const startDate = mondayOf(localParts(now, timeZone).date);
  return {
    start: instantOf(startDate, '00:00', timeZone),
    end: instantOf(addDays(startDate, 7), '00:00', timeZone),
    startDate,
  };
}

export interface DashboardFigures {
  openTasks: number;
  overdue: number;
  /** Open tasks due this week, Monday to Sunday (those due earlier this week are overdue too). */
  dueThisWeek: number;
  completedThisWeek: number;
  projectsByStatus: Record<ProjectStatus, number>;
  /** Every visible project, whatever its status. */
  projects: number;
  weekStart: string;
  timeZone: string;
  computedAt: string;
}

export interface Dashboard extends DashboardFigures {
  myOpenTasks: number;
}

/** Everything, or the projects of one user: whose figures an entry holds. */
function scopeOf(user: User): string {
  return managesAllProjects(user) ? 'all' : `u${user.id}`;
}

const OPEN = { status: { [Op.ne]: 'done' } } as const;

function whereTasks(user: User): WhereOptions<Task> {
  return { [Op.and]: [visibleTasksWhere(user), { archivedAt: null }] };
}

/** `condition` is built here from constants and escaped instants, never from input. */
function countIf(condition: string) {
  return literal(`count(*) FILTER (WHERE ${condition})`);
}

async function computeFigures(user: User, now: Date): Promise<DashboardFigures> {
  const timeZone = await tenantTimeZone();
  const week = weekOf(now, timeZone);
  const esc = (d: Date) => Task.sequelize?.escape(d.toISOString()) ?? "''";
  const [row, byStatus] = await Promise.all([
    Task.findOne({
      attributes: [
        [countIf(`status <> 'done'`), 'openTasks'],
        [countIf(`status <> 'done' AND due_at < ${esc(now)}`), 'overdue'],
        [
          countIf(`status <> 'done' AND due_at >= ${esc(week.start)} AND due_at < ${esc(week.end)}`),
          'dueThisWeek',
        ],
        [
          countIf(
            `status = 'done' AND completed_at >= ${esc(week.start)} AND completed_at < ${esc(week.end)}`,
          ),
          'completedThisWeek',
        ],
      ],
      where: whereTasks(user),
      raw: true,
    }) as Promise<Record<string, string | number> | null>,
    Project.findAll({
      attributes: ['status', [fn('count', literal('*')), 'n']],
      where: visibleProjectsWhere(user),
      group: ['status'],
      raw: true,
    }) as unknown as Promise<{ status: ProjectStatus; n: string }[]>,
  ]);
  const projectsByStatus = Object.fromEntries(PROJECT_STATUSES.map((s) => [s, 0])) as Record<
    ProjectStatus,
    number
  >;
  for (const r of byStatus) projectsByStatus[r.status] = Number(r.n);
  return {
    openTasks: Number(row?.openTasks ?? 0),
    overdue: Number(row?.overdue ?? 0),
    dueThisWeek: Number(row?.dueThisWeek ?? 0),
    completedThisWeek: Number(row?.completedThisWeek ?? 0),
    projectsByStatus,
    projects: Object.values(projectsByStatus).reduce((a, b) => a + b, 0),
    weekStart: week.startDate,
    timeZone,
    computedAt: now.toISOString(),
  };
}

function countMine(user: User): Promise<number> {
  return Task.count({ where: { [Op.and]: [whereTasks(user), OPEN, { assigneeId: user.id }] } });
}

/**
 * The dashboard of `user` in the current tenant. `now` fixes "overdue" and "this week" (tests pass
 * one); a cached entry keeps the `now` it was computed with, for at most a minute.
 */
export async function dashboardFor(user: User, now = new Date()): Promise<Dashboard> {
  const scope = scopeOf(user);
  const opts = { ttlSeconds: TTL_SECONDS, group: WORK_CACHE_GROUP };
  const [figures, myOpenTasks] = await Promise.all([
    cache.remember(`work:dashboard:${scope}`, opts, () => computeFigures(user, now)),
    cache.remember(`work:mine:u${user.id}`, opts, () => countMine(user)),
  ]);
  return { ...figures, myOpenTasks };
}

type HookOptions = { transaction?: { parent?: unknown; afterCommit(fn: () => unknown): void } | null };

/** Makes the current tenant's dashboards stale once the write that called it is visible to others. */
function invalidateAfterWrite(...args: unknown[]): Promise<void> | undefined {
  const tenant = currentTenant();
  // Tenant tables are only written inside a tenant; outside one there is nothing of ours to forget.
  if (!tenant) return undefined;
  const options = (args[args.length - 1] ?? {}) as HookOptions;
  let transaction = options.transaction ?? null;
  // A savepoint "commits" before its outer transaction: wait for the outermost one.
  while (transaction?.parent) transaction = transaction.parent as typeof transaction;
  if (transaction) {
    transaction.afterCommit(() => bumpIn(tenant));
    return undefined;
  }
  return bumpIn(tenant);
}

function bumpIn(tenant: TenantRef): Promise<void> {
  return withTenant(tenant, () => cache.bump(WORK_CACHE_GROUP));
}

const HOOKS = [
  'afterCreate',
  'afterUpdate',
  'afterDestroy',
  'afterBulkCreate',
  'afterBulkUpdate',
  'afterBulkDestroy',
  'afterUpsert',
] as const;
const HOOK_NAME = 'workCacheInvalidation';

/**
 * Registers the hooks that make dashboards stale on any write to tasks, projects or project members
 * through the models. Safe to call more than once. Raw SQL writes are not seen: the one-minute
 * lifetime of an entry bounds how stale it can get.
 */
export function installWorkCacheInvalidation(): void {
  // Typed as the base class: the hook does not depend on which of the three models it runs for.
  const models = [Task, Project, ProjectMember] as unknown as ModelStatic<Model>[];
  for (const model of models) {
    for (const hook of HOOKS) {
      model.removeHook(hook, HOOK_NAME);
      model.addHook(hook, HOOK_NAME, invalidateAfterWrite);
    }
  }
}
