import type { Request, Response } from 'express';
import * as policy from '../../policies/group.policy.ts';
import * as audit from '../../services/audit.ts';
import { memberName, placeMember } from '../../services/groups.ts';
import { fieldErrors } from '../../validators/common.ts';
import { rosterRoleSchema } from '../../validators/group.validator.ts';
import { loadGroup, recordOf, renderShow } from '../groups.controller.ts';
import { signedInUser } from '../signed-in.ts';
import { loadPlace, pageAfterChange, placeOf } from './members.controller.ts';

/** A person's role in a group: leader or member. */

// POST /groups/:id/members/:memberId/role
export async function update(req: Request, res: Response): Promise<void> {
  const group = await loadGroup(req);
  const user = signedInUser(req);
  await policy.authorizeRoster(user, group);
  const place = await loadPlace(group.id, req.params.memberId);
  const parsed = rosterRoleSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(req, res, group, 422, fieldErrors(parsed.error));
  const name = memberName(placeMember(place));
  const before = placeOf(name, place.memberId, place.role);
  if (place.role !== parsed.data.role) {
    await place.update({ role: parsed.data.role });
    const after = placeOf(name, place.memberId, place.role);
    await audit.record({ action: 'group.member_role_changed', ...recordOf(group), before, after });
  }
  req.flash(
    'success',
    `${name} is now ${place.role === 'leader' ? 'a leader' : 'a member'} of ${group.name}.`,
  );
  res.redirect(await pageAfterChange(user, group.id));
}
