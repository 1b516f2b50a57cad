import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { ValidationError } from '../../errors.ts';
import { AuditLog } from '../../models/audit-log.ts';
import type { Project } from '../../models/project.ts';
import { ProjectMember } from '../../models/project-member.ts';
import { Task, type TaskStatus } from '../../models/task.ts';
import { User } from '../../models/user.ts';
import { requireWork, type Visible } from '../../policies/project.policy.ts';
import { END_OF_DAY, type TaskInput } from '../../validators/task.validator.ts';
import * as audit from '../audit.ts';
import { instantOf, localParts } from '../local-time.ts';
import { notify } from '../notifications.ts';
import { withinPlan } from '../plan-limits.ts';
import { type Clock, type TaskRecord, tenantClock } from '../task-queries.ts';
import { removeTaskFilesAfterCommit } from './task-files.ts';

/**
 * Creating, changing, completing and deleting tasks, for the pages and the API alike. Each function
 * takes parsed input and the task or project as the acting user may see it (the project policy),
 * refuses viewers, writes the change and its audit entry in one transaction, and tells a new assignee.
 * Throws ValidationError (field messages), Forbidden or PlanLimitReached when it cannot.
 */

const ASSIGNEE_NOT_MEMBER = 'must be a member of this project who works on its tasks';

/** What the audit log says about `task`: its project id puts it in the project's activity feed. */
export function recordOf(task: Task) {
  return { recordType: 'task', recordId: task.id, recordLabel: task.title, projectId: task.projectId };
}

/** Adds a task to the project, within the plan's task limit. */
export async function createTask(actor: User, v: Visible<Project>, input: TaskInput): Promise<Task> {
  requireWork(v);
  const project = v.record;
  return inTransaction(db(), async () => {
    await checkAssignee(project.id, input.assigneeId);
    const clock = await tenantClock();
    const task = await withinPlan(
      'tasks',
      () =>
        Task.create({
          projectId: project.id,
          ...fieldsOf(input, clock),
          completedAt: input.status === 'done' ? clock.now : null,
          createdBy: actor.id,
        }),
      actor,
    );
    task.project = project;
    await audit.record({ action: 'task.created', ...recordOf(task), after: await snapshot(task) });
    await tellAssignee(task, project, actor, null);
    return task;
  });
}

/** Saves the task's fields; moving to done sets completed_at, leaving done clears it. */
export async function updateTask(actor: User, v: Visible<Task>, input: TaskInput): Promise<Task> {
  requireWork(v);
  const task = v.record;
  return inTransaction(db(), async () => {
    await checkAssignee(task.projectId, input.assigneeId);
    const clock = await tenantClock();
    const before = await snapshot(task);
    await saveStatusChange(task, input.status, actor, async (fromArchive) => {
      await task.update({
        ...fieldsOf(input, clock),
        completedAt: completedAtFor(task, input.status, clock),
        ...fromArchive,
      });
      const after = await snapshot(task);
      const changes = audit.diff(before, after);
      if (Object.keys(changes).length)
        await audit.record({ action: actionFor(changes), ...recordOf(task), before, after });
    });
    await tellAssignee(task, task.project as Project, actor, before.assigneeId as string | null);
    return task;
  });
}

/** Deletes the task; its attached files are removed once that is committed. */
export async function deleteTask(v: Visible<Task>): Promise<void> {
  requireWork(v);
  const task = v.record;
  await inTransaction(db(), async () => {
    const before = await snapshot(task);
    await removeTaskFilesAfterCommit([task.id]);
    await task.destroy();
    await audit.record({ action: 'task.deleted', ...recordOf(task), before });
  });
}

/** Marks the task done; a task already done stays as it is. */
export async function completeTask(v: Visible<Task>): Promise<Task> {
  requireWork(v);
  const task = v.record;
  if (task.status === 'done') return task;
  return inTransaction(db(), async () => {
    const before = await snapshot(task);
    await task.update({ status: 'done', completedAt: new Date() });
    await audit.record({ action: 'task.completed', ...recordOf(task), before, after: await snapshot(task) });
    return task;
  });
}

/**
 * Reopens a done task: back to the status it had before it was done (and out of the archive, within
 * the plan's task limit). A task that is not done stays as it is.
 */
export async function reopenTask(actor: User, v: Visible<Task>): Promise<Task> {
  requireWork(v);
  const task = v.record;
  if (task.status !== 'done') return task;
  return inTransaction(db(), async () => {
    const before = await snapshot(task);
    const status = await statusBeforeDone(task);
    await saveStatusChange(task, status, actor, async (fromArchive) => {
      await task.update({ status, completedAt: null, ...fromArchive });
      await audit.record({ action: 'task.reopened', ...recordOf(task), before, after: await snapshot(task) });
    });
    return task;
  });
}

/** The task's current values as its form (and a partial API change) takes them. */
export function taskInputOf(task: Task, timeZone: string): Record<string, string> {
  const due = task.dueAt ? localParts(task.dueAt, timeZone) : { date: '', time: '' };
  return {
    title: task.title,
    description: task.description ?? '',
    priority: task.priority,
    status: task.status,
    assigneeId: task.assigneeId ? String(task.assigneeId) : '',
    dueDate: due.date,
    dueTime: due.time,
  };
}

/** A task as the API shows it; the due date and time are also given as the tenant reads them. */
export function presentTask(task: Task | TaskRecord, timeZone: string) {
  const due = task.dueAt ? localParts(task.dueAt, timeZone) : null;
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: String(task.id),
    projectId: String(task.projectId),
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    assigneeId: task.assigneeId ? String(task.assigneeId) : null,
    dueAt: iso(task.dueAt),
    dueDate: due?.date ?? null,
    dueTime: due?.time ?? null,
    completedAt: iso(task.completedAt),
    archivedAt: iso(task.archivedAt),
    createdBy: task.createdBy ? String(task.createdBy) : null,
    createdAt: new Date(task.createdAt).toISOString(),
    updatedAt: new Date(task.updatedAt).toISOString(),
  };
}

/** The audit snapshot of a task, with its assignee's name so the history reads well. */
export async function snapshot(task: Task): Promise<Record<string, unknown>> {
  const { title, description, priority, status, assigneeId, dueAt, completedAt, archivedAt } = task;
  const assignee = assigneeId ? await User.findByPk(assigneeId, { attributes: ['name'] }) : null;
  return {
    title,
    description,
    priority,
    status,
    assigneeId: assigneeId ? String(assigneeId) : null,
    assignee: assignee?.name ?? null,
    dueAt,
    completedAt,
    archivedAt,
  };
}

/**
 * Saves a change that moves `task` to `status` through `save`. Reopening an archived task brings it
 * back from the archive (`save` is handed `archivedAt: null`), and a task back from the archive counts
 * against the plan again: that is checked under the plan's lock, as adding a task is.
 */
async function saveStatusChange(
  task: Task,
  status: TaskStatus,
  reader: User,
  save: (fromArchive: { archivedAt?: null }) => Promise<void>,
): Promise<void> {
  if (!task.leavesArchiveFor(status)) return save({});
  return withinPlan('tasks', () => save({ archivedAt: null }), reader);
}

/** The assignee must work on the project (member, not viewer). */
async function checkAssignee(projectId: string, assigneeId: string | null): Promise<void> {
  if (!assigneeId) return;
  const place = await ProjectMember.findOne({ where: { projectId, userId: assigneeId, role: 'member' } });
  if (!place) throw new ValidationError({ assigneeId: ASSIGNEE_NOT_MEMBER });
}

/** The form's fields, with the due date and time read in the tenant's time zone. */
function fieldsOf(input: TaskInput, clock: Clock) {
  return {
    title: input.title,
    description: input.description,
    priority: input.priority,
    status: input.status,
    assigneeId: input.assigneeId,
    dueAt: input.dueDate ? instantOf(input.dueDate, input.dueTime ?? END_OF_DAY, clock.timeZone) : null,
  };
}

/** Tells a task's new assignee, unless the task stayed with them or they took it themselves. */
async function tellAssignee(
  task: Task,
  project: Project,
  actor: User,
  previous: string | null,
): Promise<void> {
  const to = task.assigneeId ? String(task.assigneeId) : null;
  if (!to || to === previous || to === String(actor.id)) return;
  await notify({
    userId: to,
    kind: 'task.assigned',
    title: `${actor.name} assigned you “${task.title}”`,
    body: project.name,
    url: `/tasks/${task.id}`,
  });
}

function completedAtFor(task: Task, status: TaskStatus, clock: Clock): Date | null {
  if (status !== 'done') return null;
  return task.status === 'done' && task.completedAt ? task.completedAt : clock.now;
}

/** The one action that best names an edit, for the activity feed. */
function actionFor(changes: Record<string, unknown>): string {
  const status = changes.status as { from: unknown; to: unknown } | undefined;
  if (status?.to === 'done') return 'task.completed';
  if (status?.from === 'done') return 'task.reopened';
  const keys = Object.keys(changes).filter((k) => k !== 'assignee');
  if (keys.length === 1 && keys[0] === 'assigneeId') return 'task.assigned';
  return 'task.updated';
}

const OPEN: readonly TaskStatus[] = ['todo', 'in_progress', 'review'];

/** The status the task left when it last became done, read from its history; "todo" when unknown. */
async function statusBeforeDone(task: Task): Promise<TaskStatus> {
  const entry = await AuditLog.findOne({
    where: { recordType: 'task', recordId: String(task.id), changes: { status: { to: 'done' } } },
    order: [['id', 'DESC']],
  });
  const from = entry?.changes.status?.from;
  return OPEN.find((s) => s === from) ?? 'todo';
}
