import type { Request, Response } from 'express';
import { changeRosterRole, managedPlace, memberName } from '../../services/groups.ts';
import { fieldErrors } from '../../validators/common.ts';
import { rosterRoleSchema } from '../../validators/group.validator.ts';
import { loadGroup, renderShow } from '../groups.controller.ts';
import { signedInUser } from '../signed-in.ts';
import { pageAfterChange } from './members.controller.ts';

/** A person's role in a group: leader or member. */

// POST /groups/:id/members/:memberId/role
export async function update(req: Request, res: Response): Promise<void> {
  const group = await loadGroup(req);
  const user = signedInUser(req);
  // A person not in the group is a 404 before the form is read.
  await managedPlace(user, group, req.params.memberId);
  const parsed = rosterRoleSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(req, res, group, 422, fieldErrors(parsed.error));
  const { member, role } = await changeRosterRole(user, group, req.params.memberId, parsed.data.role);
  req.flash(
    'success',
    `${memberName(member)} is now ${role === 'leader' ? 'a leader' : 'a member'} of ${group.name}.`,
  );
  res.redirect(await pageAfterChange(user, group.id));
}
