import type { Request, Response } from 'express';
import { db } from '../../db/database.ts';
import type { User } from '../../models/user.ts';
import { loadProject, requireManage } from '../../policies/project.policy.ts';
import * as audit from '../../services/audit.ts';
import { fieldErrors } from '../../validators/common.ts';
import { memberRoleSchema } from '../../validators/project.validator.ts';
import { recordOf, renderShow } from '../projects.controller.ts';
import { signedInUser } from '../signed-in.ts';
import { isOwner, loadPlace, placeOf, unassignTasks } from './members.controller.ts';

/** A member's role in a project: member (works on tasks) or viewer (reads only). */

// POST /projects/:id/members/:userId/role: a new viewer's tasks in the project lose their assignee.
export async function update(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  const project = v.record;
  const place = await loadPlace(project.id, req.params.userId);
  const person = place.user as User;
  const parsed = memberRoleSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(req, res, v, 422, { members: fieldErrors(parsed.error).role });
  const { role } = parsed.data;
  if (role === 'viewer' && isOwner(project, place))
    return renderShow(req, res, v, 422, {
      members: `${person.name} owns ${project.name} and keeps working on it.`,
    });
  if (role !== place.role) {
    const before = placeOf(person, place.role);
    const unassigned = await db().transaction(async () => {
      await place.update({ role });
      return role === 'viewer' ? unassignTasks(project, person) : 0;
    });
    await audit.record({
      action: 'project.member_role_changed',
      ...recordOf(project),
      before,
      after: placeOf(person, role),
      changes: unassigned ? { unassignedTasks: { from: unassigned, to: 0 } } : undefined,
    });
  }
  req.flash('success', `${person.name} is now a ${role} of ${project.name}.`);
  res.redirect(`/projects/${project.id}`);
}
