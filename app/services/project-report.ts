import { stringify } from 'csv-stringify/sync';
import { fn, literal, Op } from 'sequelize';
import { Task, User } from '../models/index.ts';
import type { Project } from '../models/project.ts';
import { TASK_STATUSES, type TaskPriority, type TaskStatus } from '../models/task.ts';
import { addDays } from './calendar.ts';
import { formatDateTime, localParts, tenantTimeZone } from './local-time.ts';
import { neutralise } from './members-csv.ts';
import { mondayOf } from './work-dashboard.ts';

/**
 * A project's report: its tasks by status and by assignee, the overdue ones, and how many were
 * completed each week since the project started. Every task of the project counts, archived ones
 * included (they are its history), except in the overdue list, which is about work still to do.
 * Weeks run Monday to Sunday in the tenant's time zone.
 */

export const STATUS_LABELS: Record<TaskStatus, string> = {
  todo: 'To do',
  in_progress: 'In progress',
  review: 'Review',
  done: 'Done',
};

export interface AssigneeRow {
  /** Null for the tasks nobody is assigned to. */
  userId: string | null;
  name: string;
  counts: Record<TaskStatus, number>;
  total: number;
}

export interface OverdueTask {
  id: string;
  title: string;
  status: TaskStatus;
  priority: TaskPriority;
  assignee: string;
  dueAt: Date;
  due: string;
}

export interface WeekRow {
  /** Monday of the week, "YYYY-MM-DD". */
  week: string;
  done: number;
  cumulative: number;
}

export interface ProjectReport {
  projectName: string;
  timeZone: string;
  generatedAt: Date;
  statuses: readonly TaskStatus[];
  rows: AssigneeRow[];
  totals: Record<TaskStatus, number>;
  total: number;
  archived: number;
  overdue: OverdueTask[];
  weeks: WeekRow[];
}

const UNASSIGNED = 'Unassigned';
// A report past ten years of weeks would be a table nobody reads; older weeks are folded into the first.
const MAX_WEEKS = 520;

function zeroCounts(): Record<TaskStatus, number> {
  return Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
}

async function assigneeRows(projectId: string): Promise<{ rows: AssigneeRow[]; archived: number }> {
  const grouped = (await Task.findAll({
    attributes: [
      'assigneeId',
      'status',
      [fn('count', literal('*')), 'n'],
      [literal('count(*) FILTER (WHERE archived_at IS NOT NULL)'), 'archived'],
    ],
    where: { projectId },
    group: ['assigneeId', 'status'],
    raw: true,
  })) as unknown as { assigneeId: string | null; status: TaskStatus; n: string; archived: string }[];
  const ids = [...new Set(grouped.map((g) => g.assigneeId).filter((id): id is string => id !== null))];
  const users = ids.length ? await User.findAll({ attributes: ['id', 'name'], where: { id: ids } }) : [];
  const names = new Map(users.map((u) => [String(u.id), u.name]));
  const byAssignee = new Map<string, AssigneeRow>();
  let archived = 0;
  for (const g of grouped) {
    const key = g.assigneeId === null ? '' : String(g.assigneeId);
    let row = byAssignee.get(key);
    if (!row) {
      const name = key ? (names.get(key) ?? `Former user #${key}`) : UNASSIGNED;
      row = { userId: key || null, name, counts: zeroCounts(), total: 0 };
      byAssignee.set(key, row);
    }
    row.counts[g.status] += Number(g.n);
    row.total += Number(g.n);
    archived += Number(g.archived);
  }
  const rows = [...byAssignee.values()].sort(
    (a, b) => Number(a.userId === null) - Number(b.userId === null) || a.name.localeCompare(b.name),
  );
  return { rows, archived };
}

async function overdueTasks(projectId: string, now: Date, timeZone: string): Promise<OverdueTask[]> {
  const tasks = await Task.findAll({
    where: { projectId, status: { [Op.ne]: 'done' }, archivedAt: null, dueAt: { [Op.lt]: now } },
    include: [{ association: 'assignee', attributes: ['id', 'name'] }],
    order: [
      ['dueAt', 'ASC'],
      ['id', 'ASC'],
    ],
  });
  return tasks.map((t) => ({
    id: String(t.id),
    title: t.title,
    status: t.status,
    priority: t.priority,
    assignee: t.assignee?.name ?? UNASSIGNED,
    dueAt: t.dueAt as Date,
    due: formatDateTime(t.dueAt as Date, timeZone),
  }));
}

/** Done per week (by completion time, or last change when none was recorded) and the running total. */
async function weeklyCompletion(project: Project, now: Date, timeZone: string): Promise<WeekRow[]> {
  const tz = Task.sequelize?.escape(timeZone) ?? "'UTC'";
  const grouped = (await Task.findAll({
    attributes: [
      [
        literal(
          `to_char(date_trunc('week', COALESCE(completed_at, updated_at) AT TIME ZONE ${tz}), 'YYYY-MM-DD')`,
        ),
        'week',
      ],
      [fn('count', literal('*')), 'n'],
    ],
    where: { projectId: project.id, status: 'done' },
    group: [literal('1') as unknown as string],
    raw: true,
  })) as unknown as { week: string; n: string }[];
  const done = new Map(grouped.map((g) => [g.week, Number(g.n)]));
  const thisWeek = mondayOf(localParts(now, timeZone).date);
  const started = mondayOf(project.startsOn ?? localParts(project.createdAt, timeZone).date);
  let first = [started, ...done.keys()].sort()[0] ?? thisWeek;
  if (first > thisWeek) first = thisWeek;
  const last = [thisWeek, ...done.keys()].sort().at(-1) ?? thisWeek;
  const weeks: WeekRow[] = [];
  let cumulative = 0;
  for (let week = first; week <= last; week = addDays(week, 7)) {
    cumulative += done.get(week) ?? 0;
    weeks.push({ week, done: done.get(week) ?? 0, cumulative });
  }
  if (weeks.length <= MAX_WEEKS) return weeks;
  const kept = weeks.slice(-MAX_WEEKS);
  const folded = weeks.slice(0, weeks.length - MAX_WEEKS + 1).reduce((sum, w) => sum + w.done, 0);
  kept[0] = { ...kept[0], done: folded };
  return kept;
}

/** The report of `project` (already checked as visible to the reader), as of `now`. */
export async function projectReport(project: Project, now = new Date()): Promise<ProjectReport> {
  const timeZone = await tenantTimeZone();
  const [{ rows, archived }, overdue, weeks] = await Promise.all([
    assigneeRows(project.id),
    overdueTasks(project.id, now, timeZone),
    weeklyCompletion(project, now, timeZone),
  ]);
  const totals = zeroCounts();
  for (const row of rows) for (const s of TASK_STATUSES) totals[s] += row.counts[s];
  return {
    projectName: project.name,
    timeZone,
    generatedAt: now,
    statuses: TASK_STATUSES,
    rows,
    totals,
    total: rows.reduce((sum, r) => sum + r.total, 0),
    archived,
    overdue,
    weeks,
  };
}

/**
 * A cell a spreadsheet will not run as a formula: text starting with = + - @, a tab or a carriage
 * return gets a leading apostrophe. Numbers stay numbers.
 */
export function safeCell(value: string | number): string | number {
  if (typeof value === 'number') return value;
  return neutralise(value);
}

/** The report's figures as CSV: the status × assignee table, the overdue tasks, the weeks. */
export function reportCsv(report: ProjectReport): string {
  const labels = report.statuses.map((s) => STATUS_LABELS[s]);
  const rows: (string | number)[][] = [
    ['Project', report.projectName],
    ['Generated', report.generatedAt.toISOString()],
    ['Time zone', report.timeZone],
    [],
    ['Tasks by status and assignee'],
    ['Assignee', ...labels, 'Total'],
    ...report.rows.map((r) => [r.name, ...report.statuses.map((s) => r.counts[s]), r.total]),
    ['Total', ...report.statuses.map((s) => report.totals[s]), report.total],
    [],
    ['Overdue tasks'],
    ['Task', 'Assignee', 'Status', 'Priority', 'Due'],
    ...report.overdue.map((t) => [
      t.title,
      t.assignee,
      STATUS_LABELS[t.status],
      t.priority,
      t.dueAt.toISOString(),
    ]),
    [],
    ['Completed per week'],
    ['Week starting', 'Completed', 'Cumulative'],
    ...report.weeks.map((w) => [w.week, w.done, w.cumulative]),
  ];
  return stringify(rows.map((row) => row.map(safeCell)));
}
