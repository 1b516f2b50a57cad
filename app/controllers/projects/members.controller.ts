import type { Request, Response } from 'express';
import { UniqueConstraintError } from 'sequelize';
import { db } from '../../db/database.ts';
import { NotFound } from '../../errors.ts';
import type { Project } from '../../models/project.ts';
import { ProjectMember } from '../../models/project-member.ts';
import { Task } from '../../models/task.ts';
import { User } from '../../models/user.ts';
import { loadProject, requireManage } from '../../policies/project.policy.ts';
import * as audit from '../../services/audit.ts';
import { fieldErrors, idParam } from '../../validators/common.ts';
import { memberAddSchema } from '../../validators/project.validator.ts';
import { recordOf, renderShow } from '../projects.controller.ts';
import { signedInUser } from '../signed-in.ts';

/** A staff member's place in a project: added with a role (member or viewer), or removed. */

// POST /projects/:id/members
export async function create(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  const project = v.record;
  const parsed = memberAddSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(req, res, v, 422, fieldErrors(parsed.error));
  const { userId, role } = parsed.data;
  const person = await User.findOne({ where: { id: userId, active: true } });
  if (!person) return renderShow(req, res, v, 422, { userId: 'choose an active staff member' });
  const taken = { userId: `${person.name} is already a member of ${project.name}.` };
  const added = await ProjectMember.create({ projectId: project.id, userId, role }).catch(unlessTaken);
  if (!added) return renderShow(req, res, v, 422, taken);
  await audit.record({ action: 'project.member_added', ...recordOf(project), after: placeOf(person, role) });
  req.flash('success', `${person.name} was added as a ${role}.`);
  res.redirect(`/projects/${project.id}`);
}

// POST /projects/:id/members/:userId/delete: their tasks in this project lose their assignee.
export async function destroy(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  const project = v.record;
  const place = await loadPlace(project.id, req.params.userId);
  const person = place.user as User;
  if (isOwner(project, place))
    return renderShow(req, res, v, 422, {
      members: `${person.name} owns ${project.name} and stays a member.`,
    });
  const unassigned = await db().transaction(async () => {
    const count = await unassignTasks(project, person);
    await place.destroy();
    return count;
  });
  await audit.record({
    action: 'project.member_removed',
    ...recordOf(project),
    before: placeOf(person, place.role),
    changes: unassigned ? { unassignedTasks: { from: unassigned, to: 0 } } : undefined,
  });
  req.flash(
    'success',
    `${person.name} was removed${unassigned ? ` and ${unassigned} task(s) unassigned` : ''}.`,
  );
  res.redirect(`/projects/${project.id}`);
}

// Shared with ./roles.controller.ts.

/** The project's membership of the user in the URL, with the account; 404 when they are not in it. */
export async function loadPlace(projectId: string, rawUserId: unknown): Promise<ProjectMember> {
  const place = await ProjectMember.findOne({
    where: { projectId, userId: idParam(rawUserId) },
    include: [{ model: User, as: 'user', attributes: ['id', 'name'] }],
  });
  if (!place?.user) throw new NotFound();
  return place;
}

export function isOwner(project: Project, place: ProjectMember): boolean {
  return project.ownerId !== null && String(project.ownerId) === String(place.userId);
}

/** The audit snapshot of a membership. */
export function placeOf(person: User, role: string): Record<string, unknown> {
  return { member: person.name, userId: String(person.id), role };
}

/**
 * Takes the person off every task of the project they were assigned (one audit entry per task, so
 * each task's history shows it); returns how many. Call inside the transaction of the change.
 */
export async function unassignTasks(project: Project, person: User): Promise<number> {
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

/** The primary key is the last guard when two people add the same member at once. */
function unlessTaken(err: unknown): null {
  if (err instanceof UniqueConstraintError) return null;
  throw err;
}
