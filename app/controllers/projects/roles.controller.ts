import type { Request, Response } from 'express';
import { ValidationError } from '../../errors.ts';
import { loadProject, requireManage } from '../../policies/project.policy.ts';
import { changeMemberRole, loadPlace } from '../../services/work/project-members.ts';
import { fieldErrors } from '../../validators/common.ts';
import { memberRoleSchema } from '../../validators/project.validator.ts';
import { renderShow } from '../projects.controller.ts';
import { signedInUser } from '../signed-in.ts';
import { refusal } from './members.controller.ts';

/** A member's role in a project: member (works on tasks) or viewer (reads only). */

// POST /projects/:id/members/:userId/role: a new viewer's tasks in the project lose their assignee.
export async function update(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  await loadPlace(v.record.id, req.params.userId);
  const parsed = memberRoleSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(req, res, v, 422, { members: fieldErrors(parsed.error).role });
  const place = await changeMemberRole(v, req.params.userId, parsed.data.role).catch(refusal);
  if (place instanceof ValidationError) return renderShow(req, res, v, 422, { members: place.fields.role });
  req.flash('success', `${place.user?.name} is now a ${place.role} of ${v.record.name}.`);
  res.redirect(`/projects/${v.record.id}`);
}
