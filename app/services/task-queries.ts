import { col, fn, type InferAttributes, literal, Op, type Order, type WhereOptions } from 'sequelize';
import { Project } from '../models/project.ts';
import { Task, type TaskPriority, type TaskStatus } from '../models/task.ts';
import { User } from '../models/user.ts';
import { visibleTasksWhere } from '../policies/project.policy.ts';
import type { DueFilter, TaskFilter, TaskSort } from '../validators/task.validator.ts';
import { addDays, onOrBefore } from './calendar.ts';
import { instantOf, localParts, tenantTimeZone } from './local-time.ts';

/**
 * Which tasks a list shows, in which order, and how due dates read ("overdue", "today", "this
 * week"). Days and weeks (Monday to Sunday) are those of the tenant's time zone; `now` is passed
 * in so that tests can stand at any instant.
 */

export const TASKS_PER_PAGE = 50;

export interface Clock {
  now: Date;
  timeZone: string;
}

/** The current instant in the current tenant's time zone. */
export async function tenantClock(now = new Date()): Promise<Clock> {
  return { now, timeZone: await tenantTimeZone() };
}

const midnight = (date: string, timeZone: string) => instantOf(date, '00:00', timeZone);

export interface DayBounds {
  /** Local midnight starting today, tomorrow, this week's Monday and next week's Monday. */
  today: Date;
  tomorrow: Date;
  weekStart: Date;
  nextWeek: Date;
  /** This week's Monday, "YYYY-MM-DD". */
  monday: string;
}

export function dayBounds({ now, timeZone }: Clock): DayBounds {
  const { date } = localParts(now, timeZone);
  const monday = onOrBefore(date, 1);
  return {
    today: midnight(date, timeZone),
    tomorrow: midnight(addDays(date, 1), timeZone),
    weekStart: midnight(monday, timeZone),
    nextWeek: midnight(addDays(monday, 7), timeZone),
    monday,
  };
}

/** Overdue: due before now and not done. Today / this week: due within that local day / week. */
export function dueWhere(due: DueFilter, clock: Clock): WhereOptions<Task> {
  const b = dayBounds(clock);
  switch (due) {
    case 'overdue':
      return { dueAt: { [Op.lt]: clock.now }, status: { [Op.ne]: 'done' } };
    case 'today':
      return { dueAt: { [Op.gte]: b.today, [Op.lt]: b.tomorrow } };
    case 'week':
      return { dueAt: { [Op.gte]: b.weekStart, [Op.lt]: b.nextWeek } };
    case 'none':
      return { dueAt: null };
  }
}

/** A LIKE pattern matching `text` anywhere, with its own % _ and \ taken literally. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * What narrows a task list: the list page's filter (its page number aside), and for the API a range
 * of due days, `dueAfter` (due on or after the start of that day) and `dueBefore` (due before the
 * start of that day), days "YYYY-MM-DD" in the tenant's time zone.
 */
export type TaskSearch = Omit<TaskFilter, 'page'> & { dueAfter?: string | null; dueBefore?: string | null };

/**
 * The where clause of a task list: the tasks of projects `user` may see, narrowed by the filter.
 * `projectId` pins the list to one project (a project's page), whatever the filter says.
 */
export function taskWhere(
  filter: TaskSearch,
  user: User,
  clock: Clock,
  projectId?: string,
): WhereOptions<Task> {
  const parts: WhereOptions<Task>[] = [visibleTasksWhere(user)];
  const project = projectId ?? filter.project;
  if (project) parts.push({ projectId: project });
  if (filter.status.length) parts.push({ status: { [Op.in]: filter.status } });
  if (filter.priority) parts.push({ priority: filter.priority });
  if (filter.assignee === 'me') parts.push({ assigneeId: user.id });
  else if (filter.assignee === 'none') parts.push({ assigneeId: null });
  else if (filter.assignee) parts.push({ assigneeId: filter.assignee });
  if (filter.due) parts.push(dueWhere(filter.due, clock));
  if (filter.dueAfter) parts.push({ dueAt: { [Op.gte]: midnight(filter.dueAfter, clock.timeZone) } });
  if (filter.dueBefore) parts.push({ dueAt: { [Op.lt]: midnight(filter.dueBefore, clock.timeZone) } });
  if (filter.q) parts.push({ title: { [Op.iLike]: containing(filter.q) } });
  if (!filter.archived) parts.push({ archivedAt: null });
  return { [Op.and]: parts };
}

const PRIORITY_RANK = literal(
  `CASE "Task"."priority" WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END`,
);

/** Finished tasks after the open ones: by due date or priority, what is still to do comes first. */
const DONE_LAST = literal(`("Task"."status" = 'done')`);

/** The order of each sort the list offers; ties fall back to the id so pages never overlap. */
export function taskOrder(sort: TaskSort): Order {
  switch (sort) {
    case 'due':
      return [
        [DONE_LAST, 'ASC'],
        ['dueAt', 'ASC NULLS LAST'],
        ['id', 'ASC'],
      ];
    case 'priority':
      return [
        [DONE_LAST, 'ASC'],
        [PRIORITY_RANK, 'ASC'],
        ['dueAt', 'ASC NULLS LAST'],
        ['id', 'ASC'],
      ];
    case 'updated':
      return [
        ['updatedAt', 'DESC'],
        ['id', 'DESC'],
      ];
    case 'title':
      return [
        [fn('lower', col('Task.title')), 'ASC'],
        ['id', 'ASC'],
      ];
  }
}

/** What a row of a task list shows: plain values, not model instances (a page builds 50 of them). */
export interface TaskRow {
  id: string;
  title: string;
  status: TaskStatus;
  priority: TaskPriority;
  dueAt: Date | null;
  archivedAt: Date | null;
  project: { id: string; name: string } | null;
  assignee: { id: string; name: string } | null;
}

export interface TaskPage {
  tasks: TaskRow[];
  total: number;
  pages: number;
}

/** A row as `raw: true, nest: true` returns it: an association's fields are null without one. */
type RawTaskRow = Omit<TaskRow, 'project' | 'assignee'> & {
  project: { id: string | null; name: string };
  assignee: { id: string | null; name: string };
};

const both = (ref: { id: string | null; name: string }) =>
  ref.id === null ? null : { id: String(ref.id), name: ref.name };

/**
 * One page of the tasks `user` may see that match the filter, with their project and assignee, as
 * plain rows. The filter names task columns only, so the count reads `tasks` alone, beside the page.
 */
export async function searchTasks(
  user: User,
  filter: TaskFilter,
  clock: Clock,
  projectId?: string,
): Promise<TaskPage> {
  const where = taskWhere(filter, user, clock, projectId);
  const [count, rows] = await Promise.all([
    Task.count({ where }),
    Task.findAll({
      attributes: ['id', 'title', 'status', 'priority', 'dueAt', 'archivedAt'],
      where,
      include: [
        { model: Project, as: 'project', attributes: ['id', 'name'] },
        { model: User, as: 'assignee', attributes: ['id', 'name'] },
      ],
      order: taskOrder(filter.sort),
      limit: TASKS_PER_PAGE,
      offset: (filter.page - 1) * TASKS_PER_PAGE,
      raw: true,
      nest: true,
      // raw: true returns plain rows, which Sequelize's types still describe as instances.
    }) as unknown as Promise<RawTaskRow[]>,
  ]);
  const tasks = rows.map((r) => ({
    ...r,
    id: String(r.id),
    project: both(r.project),
    assignee: both(r.assignee),
  }));
  return { tasks, total: count, pages: Math.max(1, Math.ceil(count / TASKS_PER_PAGE)) };
}

/** A whole task as a plain row: its attributes, no model methods. */
export type TaskRecord = InferAttributes<Task>;

/**
 * The tasks `user` may see that match `search`, whole, in the order of its sort: `limit` of them
 * from `offset`, with the count of all that match.
 */
export async function findTasks(
  user: User,
  search: TaskSearch,
  clock: Clock,
  page: { limit: number; offset: number },
): Promise<{ rows: TaskRecord[]; total: number }> {
  const where = taskWhere(search, user, clock);
  const [total, rows] = await Promise.all([
    Task.count({ where }),
    // Plain rows: a list of 100 model instances costs more to build than to fetch.
    Task.findAll({ where, order: taskOrder(search.sort), limit: page.limit, offset: page.offset, raw: true }),
  ]);
  // raw: true returns plain rows, which Sequelize's types still describe as instances.
  return { rows: rows as unknown as TaskRecord[], total };
}

export const DUE_BUCKETS = ['overdue', 'today', 'week', 'later', 'none'] as const;
export type DueBucket = (typeof DUE_BUCKETS)[number];
export const DUE_BUCKET_LABELS: Record<DueBucket, string> = {
  overdue: 'Overdue',
  today: 'Today',
  week: 'This week',
  later: 'Later',
  none: 'No due date',
};

/** Where a task's due date falls as seen at `clock.now`; each task lands in exactly one bucket. */
export function dueBucket(
  task: Pick<Task, 'dueAt' | 'status'>,
  clock: Clock,
  bounds = dayBounds(clock),
): DueBucket {
  if (!task.dueAt) return 'none';
  const due = task.dueAt.getTime();
  if (due < clock.now.getTime() && task.status !== 'done') return 'overdue';
  if (due < bounds.tomorrow.getTime()) return 'today';
  if (due < bounds.nextWeek.getTime()) return 'week';
  return 'later';
}

/** The most open tasks "My tasks" lists; nobody should have more, and the page stays light. */
const MY_TASKS_LIMIT = 500;

/** The user's open (not done, not archived) tasks, each with its project, grouped by due bucket. */
export async function myTasks(user: User, clock: Clock): Promise<Map<DueBucket, Task[]>> {
  const tasks = await Task.findAll({
    where: {
      [Op.and]: [
        visibleTasksWhere(user),
        { assigneeId: user.id, status: { [Op.ne]: 'done' }, archivedAt: null },
      ],
    },
    include: [{ model: Project, as: 'project', attributes: ['id', 'name'] }],
    order: taskOrder('due'),
    limit: MY_TASKS_LIMIT,
  });
  const bounds = dayBounds(clock);
  const groups = new Map<DueBucket, Task[]>(DUE_BUCKETS.map((b) => [b, []]));
  for (const task of tasks) groups.get(dueBucket(task, clock, bounds))?.push(task);
  return groups;
}

/** Open (not done, not archived) tasks per project id. */
export async function openTaskCounts(projectIds: string[]): Promise<Map<string, number>> {
  if (!projectIds.length) return new Map();
  const rows = (await Task.findAll({
    attributes: [
      [col('project_id'), 'projectId'],
      [fn('COUNT', col('id')), 'n'],
    ],
    where: { projectId: projectIds, status: { [Op.ne]: 'done' }, archivedAt: null },
    group: [col('project_id')],
    raw: true,
  })) as unknown as { projectId: string | number; n: string | number }[];
  return new Map(rows.map((r) => [String(r.projectId), Number(r.n)]));
}

export interface WeekCount {
  /** The week's Monday, "YYYY-MM-DD" in the tenant's time zone. */
  monday: string;
  done: number;
}

export interface ProjectStats {
  byStatus: Record<string, number>;
  byPriority: Record<string, number>;
  total: number;
  done: number;
  /** Done tasks as a whole percentage of all tasks (0 when there are none). */
  completion: number;
  overdue: number;
  /** Tasks completed in each of the last 8 weeks, oldest first, this week last. */
  perWeek: WeekCount[];
}

export const STATS_WEEKS = 8;

/** The figures of a project's page. Counts take every task of the project, archived ones included. */
export async function projectStats(projectId: string, clock: Clock): Promise<ProjectStats> {
  const bounds = dayBounds(clock);
  const mondays = Array.from({ length: STATS_WEEKS }, (_, i) =>
    addDays(bounds.monday, -7 * (STATS_WEEKS - 1 - i)),
  );
  const starts = mondays.map((m) => midnight(m, clock.timeZone).getTime());
  const [statusRows, priorityRows, overdue, completions] = await Promise.all([
    Task.findAll({
      attributes: ['status', [fn('COUNT', col('id')), 'n']],
      where: { projectId },
      group: ['status'],
      raw: true,
    }) as unknown as Promise<{ status: string; n: string | number }[]>,
    Task.findAll({
      attributes: ['priority', [fn('COUNT', col('id')), 'n']],
      where: { projectId },
      group: ['priority'],
      raw: true,
    }) as unknown as Promise<{ priority: string; n: string | number }[]>,
    Task.count({ where: { projectId, archivedAt: null, ...dueWhere('overdue', clock) } }),
    Task.findAll({
      attributes: ['completedAt'],
      where: { projectId, completedAt: { [Op.gte]: new Date(starts[0]), [Op.lt]: bounds.nextWeek } },
      raw: true,
    }),
  ]);
  const byStatus: Record<string, number> = { todo: 0, in_progress: 0, review: 0, done: 0 };
  for (const r of statusRows) byStatus[r.status] = Number(r.n);
  const byPriority: Record<string, number> = { low: 0, medium: 0, high: 0, urgent: 0 };
  for (const r of priorityRows) byPriority[r.priority] = Number(r.n);
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const perWeek = mondays.map((monday) => ({ monday, done: 0 }));
  for (const { completedAt } of completions) {
    if (!completedAt) continue;
    const t = new Date(completedAt).getTime();
    const week = starts.filter((s) => t >= s).length - 1;
    if (week >= 0) perWeek[week].done += 1;
  }
  const done = byStatus.done;
  return {
    byStatus,
    byPriority,
    total,
    done,
    completion: total ? Math.floor((done / total) * 100) : 0,
    overdue,
    perWeek,
  };
}
