import type { Request, Response } from 'express';
import { ValidationError } from '../../errors.ts';
import { loadProject, requireManage } from '../../policies/project.policy.ts';
import { addMember, removeMember } from '../../services/work/project-members.ts';
import { fieldErrors } from '../../validators/common.ts';
import { memberAddSchema } from '../../validators/project.validator.ts';
import { renderShow } from '../projects.controller.ts';
import { signedInUser } from '../signed-in.ts';

/** A staff member's place in a project: added with a role (member or viewer), or removed. */

// POST /projects/:id/members
export async function create(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  requireManage(v);
  const parsed = memberAddSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(req, res, v, 422, fieldErrors(parsed.error));
  const place = await addMember(v, parsed.data).catch(refusal);
  if (place instanceof ValidationError) return renderShow(req, res, v, 422, place.fields);
  req.flash('success', `${place.user?.name} was added as a ${place.role}.`);
  res.redirect(`/projects/${v.record.id}`);
}

// POST /projects/:id/members/:userId/delete: their tasks in this project lose their assignee.
export async function destroy(req: Request, res: Response): Promise<void> {
  const v = await loadProject(signedInUser(req), req.params.id);
  const removed = await removeMember(v, req.params.userId).catch(refusal);
  if (removed instanceof ValidationError)
    return renderShow(req, res, v, 422, { members: removed.fields.userId });
  const { person, unassigned } = removed;
  req.flash(
    'success',
    `${person.name} was removed${unassigned ? ` and ${unassigned} task(s) unassigned` : ''}.`,
  );
  res.redirect(`/projects/${v.record.id}`);
}

/** A refused change of members, to show on the project's page; other errors go on. */
export function refusal(err: unknown): ValidationError {
  if (err instanceof ValidationError) return err;
  throw err;
}
