import type { Request, Response } from 'express';
import { Op } from 'sequelize';
import { Project } from '../models/project.ts';
import { ProjectMember } from '../models/project-member.ts';
import { Task, type TaskStatus } from '../models/task.ts';
import { User } from '../models/user.ts';
import {
  loadProject,
  loadTask,
  requireWork,
  type Visible,
  visibleProjectsWhere,
} from '../policies/project.policy.ts';
import { deleteTaskFiles } from '../services/attachments.ts';
import * as audit from '../services/audit.ts';
import { instantOf, localParts } from '../services/local-time.ts';
import { notify } from '../services/notifications.ts';
import { planRefusal, withinPlan } from '../services/plan-limits.ts';
import { type Clock, searchTasks, tenantClock } from '../services/task-queries.ts';
import { fieldErrors } from '../validators/common.ts';
import {
  END_OF_DAY,
  filterQuery,
  type TaskInput,
  taskFilterSchema,
  taskFormValues,
  taskSchema,
} from '../validators/task.validator.ts';
import { attachmentListLocals } from './attachments.controller.ts';
import { commentListLocals } from './comments.controller.ts';
import { membersOf, pageLocals } from './projects.controller.ts';
import { localPath, signedInUser } from './signed-in.ts';

type Errors = Record<string, string>;

// GET /tasks: every task the user may see, filtered, sorted and paged.
export async function index(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const filter = taskFilterSchema.parse(req.query);
  const clock = await tenantClock();
  const [projects, page] = await Promise.all([visibleProjects(user), searchTasks(user, filter, clock)]);
  const assignees = await assigneesOf(projects.map((p) => p.id));
  const pageUrl = (n: number) => `/tasks?${filterQuery(filter, n)}`;
  res.render('tasks/index', {
    title: 'Tasks',
    ...page,
    filter,
    pageUrl,
    projects,
    assignees,
    ...pageLocals(clock),
  });
}

// GET /tasks/:id
export async function show(req: Request, res: Response): Promise<void> {
  await renderShow(req, res, await loadTask(signedInUser(req), req.params.id));
}

// GET /projects/:id/tasks/new
export async function newTask(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireWork(v);
  await renderForm(res, 200, {
    project: v.record,
    values: { priority: 'medium', status: 'todo' },
    errors: {},
  });
}

// POST /projects/:id/tasks
export async function create(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireWork(v);
  const project = v.record;
  const values = taskFormValues(req.body);
  const input = await validTask(req.body, project.id);
  if ('errors' in input) return renderForm(res, 422, { project, values, errors: input.errors });
  const clock = await tenantClock();
  const task = await withinPlan(
    'tasks',
    () =>
      Task.create({
        projectId: project.id,
        ...fieldsOf(input.data, clock),
        completedAt: input.data.status === 'done' ? clock.now : null,
        createdBy: signedInUser(req).id,
      }),
    signedInUser(req),
  ).catch(planRefusal);
  if (typeof task === 'string') return renderForm(res, 422, { project, values, errors: { _: task } });
  await audit.record({ action: 'task.created', ...recordOf(task), after: await snapshot(task) });
  await tellAssignee(task, project, signedInUser(req), null);
  req.flash('success', `${task.title} was added to ${project.name}.`);
  res.redirect(`/tasks/${task.id}`);
}

// GET /tasks/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  requireWork(v);
  const task = v.record;
  const clock = await tenantClock();
  const due = task.dueAt ? localParts(task.dueAt, clock.timeZone) : { date: '', time: '' };
  const values = {
    title: task.title,
    description: task.description ?? '',
    priority: task.priority,
    status: task.status,
    assigneeId: task.assigneeId ? String(task.assigneeId) : '',
    dueDate: due.date,
    dueTime: due.time,
  };
  await renderForm(res, 200, { project: task.project as Project, task, values, errors: {} });
}

// POST /tasks/:id: moving to done sets completed_at, leaving done clears it.
export async function update(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  requireWork(v);
  const task = v.record;
  const project = task.project as Project;
  const values = taskFormValues(req.body);
  const input = await validTask(req.body, task.projectId);
  if ('errors' in input) return renderForm(res, 422, { project, task, values, errors: input.errors });
  const clock = await tenantClock();
  const before = await snapshot(task);
  const save = async (fromArchive: { archivedAt?: null }) => {
    await task.update({
      ...fieldsOf(input.data, clock),
      completedAt: completedAtFor(task, input.data.status, clock),
      ...fromArchive,
    });
    const after = await snapshot(task);
    const changes = audit.diff(before, after);
    if (Object.keys(changes).length)
      await audit.record({ action: actionFor(changes), ...recordOf(task), before, after });
  };
  const refused = await saveStatusChange(task, input.data.status, signedInUser(req), save);
  if (refused) return renderForm(res, 422, { project, task, values, errors: { _: refused } });
  await tellAssignee(task, project, signedInUser(req), before.assigneeId as string | null);
  req.flash('success', `${task.title} was saved.`);
  res.redirect(`/tasks/${task.id}`);
}

// POST /tasks/:id/delete: its attached files go with it.
export async function destroy(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  requireWork(v);
  const task = v.record;
  const before = await snapshot(task);
  await deleteTaskFiles([task.id]);
  await task.destroy();
  await audit.record({ action: 'task.deleted', ...recordOf(task), before });
  req.flash('success', `${task.title} was deleted.`);
  res.redirect(`/projects/${task.projectId}`);
}

// Shared with the controllers in ./tasks/.

/** The task's page; `errors._` explains a change that was just refused. */
export async function renderShow(
  req: Request,
  res: Response,
  v: Visible<Task>,
  status = 200,
  errors: Errors = {},
): Promise<void> {
  const user = signedInUser(req);
  const task = v.record;
  const [assignee, creator, clock, comments, attachments] = await Promise.all([
    task.assigneeId ? User.findByPk(task.assigneeId, { attributes: ['id', 'name'] }) : null,
    task.createdBy ? User.findByPk(task.createdBy, { attributes: ['id', 'name'] }) : null,
    tenantClock(),
    commentListLocals(v, user),
    attachmentListLocals(v, user),
  ]);
  res.status(status).render('tasks/show', {
    title: task.title,
    task,
    project: task.project,
    assignee,
    creator,
    access: v,
    canWork: v.canWork,
    errors,
    ...comments,
    ...attachments,
    ...pageLocals(clock),
  });
}

/**
 * Saves a change that moves `task` to `status` through `save`. Reopening an archived task brings it
 * back from the archive (`save` is handed `archivedAt: null`), and a task back from the archive counts
 * against the plan again: that is checked under the plan's lock, as adding a task is. Returns the
 * refusal to show, or null when saved.
 */
export async function saveStatusChange(
  task: Task,
  status: TaskStatus,
  reader: User,
  save: (fromArchive: { archivedAt?: null }) => Promise<void>,
): Promise<string | null> {
  if (!task.leavesArchiveFor(status)) {
    await save({});
    return null;
  }
  return withinPlan('tasks', () => save({ archivedAt: null }), reader).then(() => null, planRefusal);
}

/** What the audit log says about `task`: its project id puts it in the project's activity feed. */
export function recordOf(task: Task) {
  return { recordType: 'task', recordId: task.id, recordLabel: task.title, projectId: task.projectId };
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

/** A safe place to go back to after a change: a path of this site, or the task's page. */
export function backTo(req: Request, task: Task): string {
  return localPath(req.body?.next) ?? `/tasks/${task.id}`;
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

/** The parsed form, or field messages; the assignee must work on the project (member, not viewer). */
async function validTask(
  body: unknown,
  projectId: string,
): Promise<{ data: TaskInput } | { errors: Errors }> {
  const parsed = taskSchema.safeParse(body ?? {});
  if (!parsed.success) return { errors: fieldErrors(parsed.error) };
  const { assigneeId } = parsed.data;
  if (assigneeId) {
    const place = await ProjectMember.findOne({ where: { projectId, userId: assigneeId, role: 'member' } });
    if (!place) return { errors: { assigneeId: 'must be a member of this project who works on its tasks' } };
  }
  return { data: parsed.data };
}

async function renderForm(
  res: Response,
  status: number,
  locals: { project: Project; task?: Task; values: Record<string, string>; errors: Errors },
): Promise<void> {
  const members = (await membersOf(locals.project.id)).filter((m) => m.role === 'member' && m.user);
  const assignees = [
    { value: '', label: 'Nobody yet' },
    ...members.map((m) => ({ value: String(m.userId), label: m.user?.name ?? '' })),
  ];
  const title = locals.task ? `Edit ${locals.task.title}` : `New task in ${locals.project.name}`;
  const clock = await tenantClock();
  res
    .status(status)
    .render(locals.task ? 'tasks/edit' : 'tasks/new', { title, assignees, ...pageLocals(clock), ...locals });
}

/** The projects the user may see (id and name), for the list's project filter. */
function visibleProjects(user: User): Promise<Project[]> {
  return Project.findAll({
    attributes: ['id', 'name'],
    where: visibleProjectsWhere(user),
    order: [['name', 'ASC']],
  });
}

/** Everyone in the given projects, for the list's assignee filter. */
async function assigneesOf(projectIds: string[]): Promise<User[]> {
  if (!projectIds.length) return [];
  const places = await ProjectMember.findAll({ attributes: ['userId'], where: { projectId: projectIds } });
  const ids = [...new Set(places.map((m) => m.userId))];
  if (!ids.length) return [];
  return User.findAll({
    attributes: ['id', 'name'],
    where: { id: { [Op.in]: ids } },
    order: [['name', 'ASC']],
  });
}
