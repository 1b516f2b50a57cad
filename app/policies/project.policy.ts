import { literal, Op, type WhereOptions } from 'sequelize';
import type { Literal } from 'sequelize/lib/utils';
import { levelCan } from '../auth/capabilities.ts';
import { Forbidden, NotFound } from '../errors.ts';
import { Project } from '../models/project.ts';
import { ProjectMember, type ProjectRole } from '../models/project-member.ts';
import { Task } from '../models/task.ts';
import type { User } from '../models/user.ts';
import { idParam } from '../validators/common.ts';

/**
 * Who sees and changes which project. `projects.manage` users (levels 0 and 4) see and manage every
 * project. Everyone else sees the projects they belong to: a `member` works on it (tasks, comments,
 * attachments), a `viewer` only reads. A project a user cannot see does not exist for them (404),
 * so ids of other projects, and of other tenants' records, reveal nothing.
 */
export type ProjectAccess = 'manage' | ProjectRole;

export function managesAllProjects(user: User): boolean {
  return levelCan(user.permissionLevel, 'projects.manage');
}

/** The user's access to a project, or null when they cannot see it. */
export async function accessTo(user: User, projectId: string): Promise<ProjectAccess | null> {
  if (managesAllProjects(user)) return 'manage';
  const membership = await ProjectMember.findOne({ where: { projectId, userId: user.id } });
  return membership?.role ?? null;
}

/** A where clause on `projects` that keeps the ones the user may see. */
export function visibleProjectsWhere(user: User): WhereOptions<Project> {
  if (managesAllProjects(user)) return {};
  return {
    id: { [Op.in]: membershipsOf(user) },
  };
}

/** A where clause on `tasks` that keeps the tasks of projects the user may see. */
export function visibleTasksWhere(user: User): WhereOptions<Task> {
  if (managesAllProjects(user)) return {};
  return {
    projectId: { [Op.in]: membershipsOf(user) },
  };
}

export interface Visible<T> {
  record: T;
  access: ProjectAccess;
  /** True when the user may change the project's work (tasks, comments, attachments). */
  canWork: boolean;
  /** True when the user may change the project itself (details, members, deletion). */
  canManage: boolean;
}

function visible<T>(record: T, access: ProjectAccess, project: Project, user: User): Visible<T> {
  const owner = project.ownerId !== null && project.ownerId === user.id;
  return { record, access, canWork: access !== 'viewer', canManage: access === 'manage' || owner };
}

/** The project named by `rawId` as the user may see it; 404 when malformed, missing or not theirs. */
export async function loadProject(user: User, rawId: unknown): Promise<Visible<Project>> {
  const project = await Project.findByPk(idParam(rawId));
  if (!project) throw new NotFound();
  const access = await accessTo(user, project.id);
  if (!access) throw new NotFound();
  return visible(project, access, project, user);
}

/** The task named by `rawId` (with its project) as the user may see it; 404 otherwise. */
export async function loadTask(user: User, rawId: unknown): Promise<Visible<Task>> {
  const task = await Task.findByPk(idParam(rawId), { include: [{ model: Project, as: 'project' }] });
  if (!task?.project) throw new NotFound();
  const access = await accessTo(user, task.projectId);
  if (!access) throw new NotFound();
  return visible(task, access, task.project, user);
}

/** Throws 403 unless the user may change the project's work; viewers see but cannot change. */
export function requireWork(v: Visible<unknown>): void {
  if (!v.canWork) throw new Forbidden('You can see this project but not change it.');
}

/** Throws 403 unless the user may change the project itself. */
export function requireManage(v: Visible<unknown>): void {
  if (!v.canManage) throw new Forbidden('Only the project owner or a project manager can change this.');
}

/** A subquery of the ids of the projects the user belongs to (unqualified: the pool sets the schema). */
function membershipsOf(user: User): Literal {
  const userId = ProjectMember.sequelize?.escape(idParam(String(user.id)));
  return literal(`(SELECT project_id FROM project_members WHERE user_id = ${userId})`);
}
