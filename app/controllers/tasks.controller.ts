import type { Request, Response } from 'express';
import { Op } from 'sequelize';
import { Project } from '../models/project.ts';
import { ProjectMember } from '../models/project-member.ts';
import { Task } from '../models/task.ts';
import { User } from '../models/user.ts';
import {
  loadProject,
  loadTask,
  requireWork,
  type Visible,
  visibleProjectsWhere,
} from '../policies/project.policy.ts';
import { searchTasks, tenantClock } from '../services/task-queries.ts';
import { membersOf } from '../services/work/project-members.ts';
import { createTask, deleteTask, taskInputOf, updateTask } from '../services/work/tasks.ts';
import { fieldErrors } from '../validators/common.ts';
import { filterQuery, taskFilterSchema, taskFormValues, taskSchema } from '../validators/task.validator.ts';
import { attachmentListLocals } from './attachments.controller.ts';
import { commentListLocals } from './comments.controller.ts';
import { formRefusal, pageLocals } from './projects.controller.ts';
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
  const parsed = taskSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { project, values, errors: fieldErrors(parsed.error) });
  const task = await createTask(signedInUser(req), v, parsed.data).catch(formRefusal);
  if (!(task instanceof Task)) return renderForm(res, 422, { project, values, errors: task });
  req.flash('success', `${task.title} was added to ${project.name}.`);
  res.redirect(`/tasks/${task.id}`);
}

// GET /tasks/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  requireWork(v);
  const task = v.record;
  const values = taskInputOf(task, (await tenantClock()).timeZone);
  await renderForm(res, 200, { project: task.project as Project, task, values, errors: {} });
}

// POST /tasks/:id: moving to done sets completed_at, leaving done clears it.
export async function update(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  requireWork(v);
  const task = v.record;
  const project = task.project as Project;
  const values = taskFormValues(req.body);
  const parsed = taskSchema.safeParse(req.body ?? {});
  if (!parsed.success)
    return renderForm(res, 422, { project, task, values, errors: fieldErrors(parsed.error) });
  const saved = await updateTask(signedInUser(req), v, parsed.data).catch(formRefusal);
  if (!(saved instanceof Task)) return renderForm(res, 422, { project, task, values, errors: saved });
  req.flash('success', `${task.title} was saved.`);
  res.redirect(`/tasks/${task.id}`);
}

// POST /tasks/:id/delete: its attached files go with it.
export async function destroy(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.id);
  await deleteTask(v);
  req.flash('success', `${v.record.title} was deleted.`);
  res.redirect(`/projects/${v.record.projectId}`);
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

/** A safe place to go back to after a change: a path of this site, or the task's page. */
export function backTo(req: Request, task: Task): string {
  return localPath(req.body?.next) ?? `/tasks/${task.id}`;
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
