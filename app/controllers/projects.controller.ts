import type { Request, Response } from 'express';
import { Op } from 'sequelize';
import { db } from '../db/database.ts';
import { Project } from '../models/project.ts';
import { ProjectMember } from '../models/project-member.ts';
import { Task } from '../models/task.ts';
import { User } from '../models/user.ts';
import {
  loadProject,
  requireManage,
  type Visible,
  visibleProjectsWhere,
} from '../policies/project.policy.ts';
import { deleteTaskFiles } from '../services/attachments.ts';
import * as audit from '../services/audit.ts';
import { formatDateTime } from '../services/local-time.ts';
import { renderMarkdown } from '../services/markdown.ts';
import { planRefusal, withinPlan } from '../services/plan-limits.ts';
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
import { fieldErrors } from '../validators/common.ts';
import {
  PROJECT_ROLE_LABELS,
  PROJECT_STATUS_LABELS,
  type ProjectInput,
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
  const where = {
    [Op.and]: [visibleProjectsWhere(signedInUser(req)), filter.status ? { status: filter.status } : {}],
  };
  const { rows: projects, count: total } = await Project.findAndCountAll({
    where,
    include: [{ model: User, as: 'owner', attributes: ['id', 'name'] }],
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
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
  const owner = await activeUser(parsed.data.ownerId);
  if (!owner) return renderForm(res, 422, { values, errors: { ownerId: NO_OWNER } });
  const project = await withinPlan(
    'projects',
    async () => {
      const created = await Project.create(fieldsOf(parsed.data));
      await ProjectMember.create({ projectId: created.id, userId: owner.id, role: 'member' });
      return created;
    },
    signedInUser(req),
  ).catch(planRefusal);
  if (typeof project === 'string') return renderForm(res, 422, { values, errors: { _: project } });
  await audit.record({ action: 'project.created', ...recordOf(project), after: snapshot(project, owner) });
  req.flash('success', `${project.name} was created. Add its members below.`);
  res.redirect(`/projects/${project.id}`);
}

// GET /projects/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  const p = v.record;
  const values = {
    name: p.name,
    description: p.description ?? '',
    status: p.status,
    startsOn: p.startsOn ?? '',
    endsOn: p.endsOn ?? '',
    ownerId: p.ownerId ? String(p.ownerId) : '',
  };
  await renderForm(res, 200, { project: p, values, errors: {} });
}

// POST /projects/:id: a new owner becomes a working member if they were not one.
export async function update(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  const project = v.record;
  const values = projectFormValues(req.body);
  const parsed = projectSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { project, values, errors: fieldErrors(parsed.error) });
  const owner = await activeUser(parsed.data.ownerId);
  if (!owner) return renderForm(res, 422, { project, values, errors: { ownerId: NO_OWNER } });
  const before = snapshot(project, await ownerOf(project));
  const membership = await db().transaction(async () => {
    await project.update(fieldsOf(parsed.data));
    return ensureWorkingMember(project.id, owner.id);
  });
  const changes = membership ? { ownerMembership: membership } : undefined;
  const after = snapshot(project, owner);
  if (changes || Object.keys(audit.diff(before, after)).length)
    await audit.record({ action: 'project.updated', ...recordOf(project), before, after, changes });
  req.flash('success', `${project.name} was saved.`);
  res.redirect(`/projects/${project.id}`);
}

// POST /projects/:id/delete: the tasks go with it, and their attached files.
export async function destroy(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  const project = v.record;
  const before = snapshot(project, await ownerOf(project));
  const taskIds = (await Task.findAll({ attributes: ['id'], where: { projectId: project.id } })).map(
    (t) => t.id,
  );
  await deleteTaskFiles(taskIds);
  await project.destroy();
  await audit.record({
    action: 'project.deleted',
    ...recordOf(project),
    before,
    changes: { tasks: { from: taskIds.length, to: 0 } },
  });
  req.flash('success', `${project.name} and its ${taskIds.length} task(s) were deleted.`);
  res.redirect('/projects');
}

// Shared with the controllers in ./projects/ and ./tasks/.

const NO_OWNER = 'choose an active staff member';

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

/** The signed-in staff member (the route line already required one). */
/** What the audit log says about `project`: every entry carries its project id for the activity feed. */
export function recordOf(project: Project) {
  return { recordType: 'project', recordId: project.id, recordLabel: project.name, projectId: project.id };
}

/** The project's members with their accounts, by name. */
export function membersOf(projectId: string): Promise<ProjectMember[]> {
  return ProjectMember.findAll({
    where: { projectId },
    include: [{ model: User, as: 'user', attributes: ['id', 'name', 'email', 'active'] }],
    order: [[{ model: User, as: 'user' }, 'name', 'ASC']],
  });
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

/** Makes `userId` a working member of the project; what changed for the audit entry, or null. */
async function ensureWorkingMember(
  projectId: string,
  userId: string,
): Promise<{ from: string | null; to: 'member' } | null> {
  const place = await ProjectMember.findOne({ where: { projectId, userId } });
  if (place?.role === 'member') return null;
  if (place) await place.update({ role: 'member' });
  else await ProjectMember.create({ projectId, userId, role: 'member' });
  return { from: place ? 'viewer' : null, to: 'member' };
}

function fieldsOf(input: ProjectInput) {
  return {
    name: input.name,
    description: input.description,
    status: input.status,
    startsOn: input.startsOn,
    endsOn: input.endsOn,
    ownerId: input.ownerId,
  };
}

function snapshot(p: Project, owner: User | null): Record<string, unknown> {
  const { name, description, status, startsOn, endsOn, ownerId } = p;
  return { name, description, status, startsOn, endsOn, ownerId, owner: owner?.name ?? null };
}

function activeUser(id: string): Promise<User | null> {
  return User.findOne({ where: { id, active: true } });
}

function ownerOf(project: Project): Promise<User | null> {
  return project.ownerId
    ? User.findByPk(project.ownerId, { attributes: ['id', 'name'] })
    : Promise.resolve(null);
}

/** Active staff who are not in the project yet, for the "add a member" picker. */
function nonMembers(members: ProjectMember[]): Promise<User[]> {
  const ids = members.map((m) => m.userId);
  return User.findAll({
    attributes: ['id', 'name', 'email'],
    where: { active: true, ...(ids.length ? { id: { [Op.notIn]: ids } } : {}) },
    order: [['name', 'ASC']],
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
