import { Op } from 'sequelize';
import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { Forbidden, ValidationError } from '../../errors.ts';
import { Project, type ProjectStatus } from '../../models/project.ts';
import { ProjectMember } from '../../models/project-member.ts';
import { Task } from '../../models/task.ts';
import { User } from '../../models/user.ts';
import {
  managesAllProjects,
  requireManage,
  type Visible,
  visibleProjectsWhere,
} from '../../policies/project.policy.ts';
import type { ProjectInput } from '../../validators/project.validator.ts';
import * as audit from '../audit.ts';
import { withinPlan } from '../plan-limits.ts';
import { removeTaskFilesAfterCommit } from './task-files.ts';

/**
 * Creating, changing and deleting projects, for the pages and the API alike. Each function takes
 * parsed input and the acting user, checks what the project policy allows, writes the change and its
 * audit entry in one transaction, and throws ValidationError (field messages), Forbidden or
 * PlanLimitReached when it cannot.
 */

export const NO_OWNER = 'choose an active staff member';

/** What the audit log says about `project`: every entry carries its project id for the activity feed. */
export function recordOf(project: Project) {
  return { recordType: 'project', recordId: project.id, recordLabel: project.name, projectId: project.id };
}

/** A page of the projects `user` may see, by name, with their owner. */
export async function searchProjects(
  user: User,
  opts: { status?: ProjectStatus; limit: number; offset: number },
): Promise<{ rows: Project[]; total: number }> {
  const { rows, count } = await Project.findAndCountAll({
    where: { [Op.and]: [visibleProjectsWhere(user), opts.status ? { status: opts.status } : {}] },
    include: [{ model: User, as: 'owner', attributes: ['id', 'name'] }],
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
    limit: opts.limit,
    offset: opts.offset,
  });
  return { rows, total: count };
}

/** Creates a project (projects.manage only); its owner is always a member who works on it. */
export async function createProject(actor: User, input: ProjectInput): Promise<Project> {
  if (!managesAllProjects(actor)) throw new Forbidden('Only a project manager can create projects.');
  return inTransaction(db(), async () => {
    const owner = await activeOwner(input.ownerId);
    const project = await withinPlan(
      'projects',
      async () => {
        const created = await Project.create(fieldsOf(input));
        await ProjectMember.create({ projectId: created.id, userId: owner.id, role: 'member' });
        return created;
      },
      actor,
    );
    await audit.record({ action: 'project.created', ...recordOf(project), after: snapshot(project, owner) });
    return project;
  });
}

/** Saves the project's details; a new owner becomes a working member if they were not one. */
export async function updateProject(v: Visible<Project>, input: ProjectInput): Promise<Project> {
  requireManage(v);
  const project = v.record;
  return inTransaction(db(), async () => {
    const owner = await activeOwner(input.ownerId);
    const before = snapshot(project, await ownerOf(project));
    await project.update(fieldsOf(input));
    const membership = await ensureWorkingMember(project.id, owner.id);
    const changes = membership ? { ownerMembership: membership } : undefined;
    const after = snapshot(project, owner);
    if (changes || Object.keys(audit.diff(before, after)).length)
      await audit.record({ action: 'project.updated', ...recordOf(project), before, after, changes });
    return project;
  });
}

/** Deletes the project with its tasks; their attached files are removed once that is committed. */
export async function deleteProject(v: Visible<Project>): Promise<{ tasks: number }> {
  requireManage(v);
  const project = v.record;
  return inTransaction(db(), async () => {
    const before = snapshot(project, await ownerOf(project));
    const taskIds = (await Task.findAll({ attributes: ['id'], where: { projectId: project.id } })).map(
      (t) => t.id,
    );
    await removeTaskFilesAfterCommit(taskIds);
    await project.destroy();
    await audit.record({
      action: 'project.deleted',
      ...recordOf(project),
      before,
      changes: { tasks: { from: taskIds.length, to: 0 } },
    });
    return { tasks: taskIds.length };
  });
}

/** The project's current values as its form (and a partial API change) takes them. */
export function projectInputOf(p: Project): Record<string, string> {
  return {
    name: p.name,
    description: p.description ?? '',
    status: p.status,
    startsOn: p.startsOn ?? '',
    endsOn: p.endsOn ?? '',
    ownerId: p.ownerId ? String(p.ownerId) : '',
  };
}

/** A project as the API shows it. */
export function presentProject(p: Project) {
  return {
    id: String(p.id),
    name: p.name,
    description: p.description,
    status: p.status,
    startsOn: p.startsOn,
    endsOn: p.endsOn,
    ownerId: p.ownerId ? String(p.ownerId) : null,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export function ownerOf(project: Project): Promise<User | null> {
  return project.ownerId
    ? User.findByPk(project.ownerId, { attributes: ['id', 'name'] })
    : Promise.resolve(null);
}

/** The active staff member chosen as owner; a field message when there is none. */
async function activeOwner(id: string): Promise<User> {
  const owner = await User.findOne({ where: { id, active: true } });
  if (!owner) throw new ValidationError({ ownerId: NO_OWNER });
  return owner;
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
