import type { Request, Response } from 'express';
import { PlanLimitReached, ValidationError } from '../errors.ts';
import { Project } from '../models/project.ts';
import type { Task } from '../models/task.ts';
import { User } from '../models/user.ts';
import { loadProject, requireManage, type Visible } from '../policies/project.policy.ts';
import { formatDateTime } from '../services/local-time.ts';
import { renderMarkdown } from '../services/markdown.ts';
import {
  type Clock,
  DUE_BUCKET_LABELS,
  dayBounds,
  dueBucket,
  openTaskCounts,
  projectStats,
  searchTasks,
  tenantClock,
} from '../services/task-queries.ts';
import { membersOf, nonMembers } from '../services/work/project-members.ts';
import {
  createProject,
  deleteProject,
  ownerOf,
  projectInputOf,
  searchProjects,
  updateProject,
} from '../services/work/projects.ts';
import { fieldErrors } from '../validators/common.ts';
import {
  PROJECT_ROLE_LABELS,
  PROJECT_STATUS_LABELS,
  projectFilterSchema,
  projectFormValues,
  projectSchema,
} from '../validators/project.validator.ts';
import {
  DUE_FILTER_LABELS,
  filterQuery,
  TASK_PRIORITY_LABELS,
  TASK_SORT_LABELS,
  TASK_STATUS_LABELS,
  taskFilterSchema,
} from '../validators/task.validator.ts';
import { signedInUser } from './signed-in.ts';

type Errors = Record<string, string>;
const PROJECTS_PER_PAGE = 50;

// GET /projects: the projects the user may see, with their open tasks.
export async function index(req: Request, res: Response): Promise<void> {
  const filter = projectFilterSchema.parse(req.query);
  const { rows: projects, total } = await searchProjects(signedInUser(req), {
    status: filter.status || undefined,
    limit: PROJECTS_PER_PAGE,
    offset: (filter.page - 1) * PROJECTS_PER_PAGE,
  });
  const open = await openTaskCounts(projects.map((p) => p.id));
  const pages = Math.max(1, Math.ceil(total / PROJECTS_PER_PAGE));
  const pageUrl = (page: number) =>
    `/projects?${new URLSearchParams({ status: filter.status, page: String(page) })}`;
  res.render('projects/index', {
    title: 'Projects',
    projects,
    open,
    total,
    pages,
    values: filter,
    pageUrl,
    labels,
  });
}

// GET /projects/:id: its tasks (filtered, paged), members and figures.
export async function show(req: Request, res: Response): Promise<void> {
  await renderShow(req, res, await loadProject(signedInUser(req), req.params.id));
}

// GET /projects/new
export async function newProject(req: Request, res: Response): Promise<void> {
  await renderForm(res, 200, {
    values: { status: 'planning', ownerId: String(signedInUser(req).id) },
    errors: {},
  });
}

// POST /projects: the owner is always a member who works on the project.
export async function create(req: Request, res: Response): Promise<void> {
  const values = projectFormValues(req.body);
  const parsed = projectSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { values, errors: fieldErrors(parsed.error) });
  const project = await createProject(signedInUser(req), parsed.data).catch(formRefusal);
  if (!(project instanceof Project)) return renderForm(res, 422, { values, errors: project });
  req.flash('success', `${project.name} was created. Add its members below.`);
  res.redirect(`/projects/${project.id}`);
}

// GET /projects/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  await renderForm(res, 200, { project: v.record, values: projectInputOf(v.record), errors: {} });
}

// POST /projects/:id: a new owner becomes a working member if they were not one.
export async function update(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  const project = v.record;
  const values = projectFormValues(req.body);
  const parsed = projectSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { project, values, errors: fieldErrors(parsed.error) });
  const saved = await updateProject(v, parsed.data).catch(formRefusal);
  if (!(saved instanceof Project)) return renderForm(res, 422, { project, values, errors: saved });
  req.flash('success', `${project.name} was saved.`);
  res.redirect(`/projects/${project.id}`);
}

// POST /projects/:id/delete: the tasks go with it, and their attached files.
export async function destroy(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  const { tasks } = await deleteProject(v);
  req.flash('success', `${v.record.name} and its ${tasks} task(s) were deleted.`);
  res.redirect('/projects');
}

// Shared with the controllers in ./projects/ and ./tasks/.

/** The labels pages show for stored values. */
export const labels = {
  projectStatus: PROJECT_STATUS_LABELS,
  role: PROJECT_ROLE_LABELS,
  taskStatus: TASK_STATUS_LABELS,
  priority: TASK_PRIORITY_LABELS,
  due: DUE_FILTER_LABELS,
  sort: TASK_SORT_LABELS,
  bucket: DUE_BUCKET_LABELS,
};

/** What pages about projects and tasks need to show dates and texts. */
export function pageLocals(clock: Clock) {
  // The day and week boundaries are the same for every row of a page: work them out once.
  const bounds = dayBounds(clock);
  return {
    labels,
    clock,
    when: (d: Date | null) => (d ? formatDateTime(d, clock.timeZone) : ''),
    bucketOf: (task: Task) => dueBucket(task, clock, bounds),
    markdown: renderMarkdown,
  };
}

/** The project's page; `errors` explain a change of its members that was just refused. */
export async function renderShow(
  req: Request,
  res: Response,
  v: Visible<Project>,
  status = 200,
  errors: Errors = {},
): Promise<void> {
  const project = v.record;
  const filter = { ...taskFilterSchema.parse(req.query), project: '' };
  const clock = await tenantClock();
  const [page, members, stats, owner] = await Promise.all([
    searchTasks(signedInUser(req), filter, clock, project.id),
    membersOf(project.id),
    projectStats(project.id, clock),
    ownerOf(project),
  ]);
  const candidates = v.canManage ? await nonMembers(members) : [];
  const pageUrl = (n: number) => `/projects/${project.id}?${filterQuery(filter, n)}`;
  res.status(status).render('projects/show', {
    title: project.name,
    project,
    owner,
    access: v,
    ...page,
    filter,
    pageUrl,
    assignees: members.filter((m) => m.role === 'member').map((m) => m.user),
    members,
    candidates,
    stats,
    errors,
    ...pageLocals(clock),
  });
}

async function renderForm(
  res: Response,
  status: number,
  locals: { project?: Project; values: Record<string, string>; errors: Errors },
): Promise<void> {
  const staff = await User.findAll({
    attributes: ['id', 'name'],
    where: { active: true },
    order: [['name', 'ASC']],
  });
  const owners = [
    { value: '', label: 'Choose the owner' },
    ...staff.map((u) => ({ value: u.id, label: u.name })),
  ];
  const statuses = Object.entries(PROJECT_STATUS_LABELS).map(([value, label]) => ({ value, label }));
  const title = locals.project ? `Edit ${locals.project.name}` : 'New project';
  res
    .status(status)
    .render(locals.project ? 'projects/edit' : 'projects/new', { title, owners, statuses, ...locals });
}

/**
 * The field messages of a refused change, to show on its form: a ValidationError's fields, or a plan's
 * refusal under `_`. Any other error goes on to the error handler.
 */
export function formRefusal(err: unknown): Errors {
  if (err instanceof ValidationError) return err.fields;
  if (err instanceof PlanLimitReached) return { _: err.message };
  throw err;
}
