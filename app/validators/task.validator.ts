import { z } from 'zod';
import { TASK_PRIORITIES, TASK_STATUSES, type TaskPriority, type TaskStatus } from '../models/task.ts';
import { ID_RE, isCleanText, lineField, textField } from './common.ts';
import { optionalDate } from './project.validator.ts';
import { blankIfMissing, idList } from './user.validator.ts';

const TIME_RE = /^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$/;

export const TASK_STATUS_LABELS: Record<TaskStatus, string> = {
  todo: 'To do',
  in_progress: 'In progress',
  review: 'In review',
  done: 'Done',
};

export const TASK_PRIORITY_LABELS: Record<TaskPriority, string> = {
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  urgent: 'Urgent',
};

/** A due date typed without a time means the end of that day. */
export const END_OF_DAY = '23:59';

/** The task's fields, each checked alone (the API documents a partial change from it). */
export const taskFields = z.object({
  title: blankIfMissing(lineField(200, 1)),
  description: blankIfMissing(textField(10_000).transform((v) => v || null)),
  priority: z.enum(TASK_PRIORITIES, { message: 'must be one of the listed priorities' }),
  status: z.enum(TASK_STATUSES, { message: 'must be one of the listed statuses' }),
  assigneeId: blankIfMissing(
    z
      .string({ message: 'choose a person' })
      .trim()
      .refine((v) => v === '' || ID_RE.test(v), 'choose a person')
      .transform((v) => v || null),
  ),
  dueDate: optionalDate,
  dueTime: blankIfMissing(
    z
      .string({ message: 'must be a time' })
      .trim()
      .refine((v) => v === '' || TIME_RE.test(v), 'must be a time such as 17:30')
      .transform((v) => (v ? v.slice(0, 5) : null)),
  ),
});

export const taskSchema = taskFields.superRefine((t, ctx) => {
  if (t.dueTime && !t.dueDate)
    ctx.addIssue({ code: 'custom', path: ['dueDate'], message: 'is required when a time is given' });
});

export type TaskInput = z.output<typeof taskSchema>;

/** The task form as typed, to show again. */
export function taskFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    title: text(b.title),
    description: text(b.description),
    priority: text(b.priority),
    status: text(b.status),
    assigneeId: text(b.assigneeId),
    dueDate: text(b.dueDate),
    dueTime: text(b.dueTime),
  };
}

export const DUE_FILTERS = ['overdue', 'today', 'week', 'none'] as const;
export type DueFilter = (typeof DUE_FILTERS)[number];
export const DUE_FILTER_LABELS: Record<DueFilter, string> = {
  overdue: 'Overdue',
  today: 'Due today',
  week: 'Due this week',
  none: 'No due date',
};

export const TASK_SORTS = ['due', 'priority', 'updated', 'title'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];
export const TASK_SORT_LABELS: Record<TaskSort, string> = {
  due: 'Due date',
  priority: 'Priority',
  updated: 'Recently changed',
  title: 'Title',
};

/**
 * The task list's query string; a value that makes no sense falls back to its default, so a
 * hand-edited URL shows a list, never an error. `status` may repeat.
 */
export const taskFilterSchema = z.object({
  project: z
    .string()
    .refine((v) => v === '' || ID_RE.test(v))
    .catch(''),
  status: z.preprocess(
    (v) => idList(v).filter((s): s is TaskStatus => (TASK_STATUSES as readonly string[]).includes(s)),
    z.array(z.enum(TASK_STATUSES)).transform((list) => [...new Set(list)]),
  ),
  priority: z.enum(['', ...TASK_PRIORITIES]).catch(''),
  assignee: z
    .string()
    .trim()
    .refine((v) => v === '' || v === 'me' || v === 'none' || ID_RE.test(v))
    .catch(''),
  due: z.enum(['', ...DUE_FILTERS]).catch(''),
  q: z
    .string()
    .trim()
    .max(100)
    .refine((v) => isCleanText(v))
    .catch(''),
  sort: z.enum(TASK_SORTS).catch('due'),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  archived: z.preprocess((v) => v === '1', z.boolean()),
});

export type TaskFilter = z.output<typeof taskFilterSchema>;

/** The query string of a filter (without its page), for links that keep it. */
export function filterQuery(filter: TaskFilter, page?: number, omitProject = false): string {
  const q = new URLSearchParams();
  if (filter.project && !omitProject) q.set('project', filter.project);
  for (const s of filter.status) q.append('status', s);
  for (const key of ['priority', 'assignee', 'due', 'q'] as const) if (filter[key]) q.set(key, filter[key]);
  if (filter.sort !== 'due') q.set('sort', filter.sort);
  if (filter.archived) q.set('archived', '1');
  if (page && page > 1) q.set('page', String(page));
  return q.toString();
}
