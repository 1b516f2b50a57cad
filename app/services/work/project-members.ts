import { Op, UniqueConstraintError } from 'sequelize';
import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { NotFound, ValidationError } from '../../errors.ts';
import type { Project } from '../../models/project.ts';
import { ProjectMember, type ProjectRole } from '../../models/project-member.ts';
import { Task } from '../../models/task.ts';
import { User } from '../../models/user.ts';
import { requireManage, type Visible } from '../../policies/project.policy.ts';
import { idParam } from '../../validators/common.ts';
import * as audit from '../audit.ts';
import { recordOf } from './projects.ts';

/**
 * A staff member's place in a project: added with a role (member works on tasks, viewer reads only),
 * given another role, or removed. Only who manages the project may change its members; a viewer and
 * a removed member lose the tasks they were assigned in it.
 */

/** The project's members with their accounts, by name. */
export function membersOf(projectId: string): Promise<ProjectMember[]> {
  return ProjectMember.findAll({
    where: { projectId },
    include: [{ model: User, as: 'user', attributes: ['id', 'name', 'email', 'active'] }],
    order: [
      [{ model: User, as: 'user' }, 'name', 'ASC'],
      ['userId', 'ASC'],
    ],
  });
}

/** The project's membership of the user `rawUserId`, with the account; 404 when they are not in it. */
export async function loadPlace(projectId: string, rawUserId: unknown): Promise<ProjectMember> {
  const place = await ProjectMember.findOne({
    where: { projectId, userId: idParam(rawUserId) },
    include: [{ model: User, as: 'user', attributes: ['id', 'name', 'email', 'active'] }],
  });
  if (!place?.user) throw new NotFound();
  return place;
}

/** Adds an active staff member to the project; a field message when they cannot be added. */
export async function addMember(
  v: Visible<Project>,
  input: { userId: string; role: ProjectRole },
): Promise<ProjectMember> {
  requireManage(v);
  const project = v.record;
  const { userId, role } = input;
  return inTransaction(db(), async () => {
    const person = await User.findOne({ where: { id: userId, active: true } });
    if (!person) throw new ValidationError({ userId: 'choose an active staff member' });
    const taken = () =>
      new ValidationError({ userId: `${person.name} is already a member of ${project.name}.` });
    if (await ProjectMember.findOne({ where: { projectId: project.id, userId } })) throw taken();
    // The primary key is the last guard when two people add the same member at once; its error
    // ends the transaction, which the refusal rolls back.
    await ProjectMember.create({ projectId: project.id, userId, role }).catch((err: unknown) => {
      throw err instanceof UniqueConstraintError ? taken() : err;
    });
    await audit.record({
      action: 'project.member_added',
      ...recordOf(project),
      after: placeOf(person, role),
    });
    return loadPlace(project.id, userId);
  });
}

/** Gives a member another role; a new viewer's tasks in the project lose their assignee. */
export async function changeMemberRole(
  v: Visible<Project>,
  rawUserId: unknown,
  role: ProjectRole,
): Promise<ProjectMember> {
  requireManage(v);
  const project = v.record;
  return inTransaction(db(), async () => {
    const place = await loadPlace(project.id, rawUserId);
    const person = place.user as User;
    if (role === 'viewer' && isOwner(project, place))
      throw new ValidationError({ role: `${person.name} owns ${project.name} and keeps working on it.` });
    if (role === place.role) return place;
    const before = placeOf(person, place.role);
    await place.update({ role });
    const unassigned = role === 'viewer' ? await unassignTasks(project, person) : 0;
    await audit.record({
      action: 'project.member_role_changed',
      ...recordOf(project),
      before,
      after: placeOf(person, role),
      changes: unassigned ? { unassignedTasks: { from: unassigned, to: 0 } } : undefined,
    });
    return place;
  });
}

/** Takes a member out of the project (never its owner); their tasks in it lose their assignee. */
export async function removeMember(
  v: Visible<Project>,
  rawUserId: unknown,
): Promise<{ person: User; unassigned: number }> {
  requireManage(v);
  const project = v.record;
  return inTransaction(db(), async () => {
    const place = await loadPlace(project.id, rawUserId);
    const person = place.user as User;
    if (isOwner(project, place))
      throw new ValidationError({ userId: `${person.name} owns ${project.name} and stays a member.` });
    const unassigned = await unassignTasks(project, person);
    await place.destroy();
    await audit.record({
      action: 'project.member_removed',
      ...recordOf(project),
      before: placeOf(person, place.role),
      changes: unassigned ? { unassignedTasks: { from: unassigned, to: 0 } } : undefined,
    });
    return { person, unassigned };
  });
}

/** Active staff who are not in the project yet, for the "add a member" picker. */
export function nonMembers(members: ProjectMember[]): Promise<User[]> {
  const ids = members.map((m) => m.userId);
  return User.findAll({
    attributes: ['id', 'name', 'email'],
    where: { active: true, ...(ids.length ? { id: { [Op.notIn]: ids } } : {}) },
    order: [['name', 'ASC']],
  });
}

/** A membership as the API shows it. */
export function presentMember(project: Project, place: ProjectMember) {
  return {
    userId: String(place.userId),
    name: place.user?.name ?? '',
    email: place.user?.email ?? '',
    active: place.user?.active ?? false,
    role: place.role,
    owner: isOwner(project, place),
    addedAt: place.createdAt.toISOString(),
  };
}

function isOwner(project: Project, place: ProjectMember): boolean {
  return project.ownerId !== null && String(project.ownerId) === String(place.userId);
}

/** The audit snapshot of a membership. */
function placeOf(person: User, role: string): Record<string, unknown> {
  return { member: person.name, userId: String(person.id), role };
}

/**
 * Takes the person off every task of the project they were assigned (one audit entry per task, so
 * each task's history shows it); returns how many. Runs inside the transaction of the change.
 */
async function unassignTasks(project: Project, person: User): Promise<number> {
  const tasks = await Task.findAll({ where: { projectId: project.id, assigneeId: person.id }, lock: true });
  for (const task of tasks) {
    await task.update({ assigneeId: null });
    await audit.record({
      action: 'task.assigned',
      recordType: 'task',
      recordId: task.id,
      recordLabel: task.title,
      projectId: project.id,
      before: { assigneeId: String(person.id), assignee: person.name },
      after: { assigneeId: null, assignee: null },
    });
  }
  return tasks.length;
}
