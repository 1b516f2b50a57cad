import type { Request, Response } from 'express';
import { UniqueConstraintError } from 'sequelize';
import { NotFound } from '../../errors.ts';
import type { Group } from '../../models/group.ts';
import { GroupMember } from '../../models/group-member.ts';
import { Member } from '../../models/member.ts';
import { Role } from '../../models/role.ts';
import { User } from '../../models/user.ts';
import * as policy from '../../policies/group.policy.ts';
import * as audit from '../../services/audit.ts';
import { memberName, placeIn, placeMember } from '../../services/groups.ts';
import { notify } from '../../services/notifications.ts';
import { fieldErrors, idParam } from '../../validators/common.ts';
import { rosterAddSchema } from '../../validators/group.validator.ts';
import { loadGroup, recordOf, renderShow } from '../groups.controller.ts';
import { signedInUser } from '../signed-in.ts';

/** A person's place on a group's roster: added with a role, or removed. */

// POST /groups/:id/members
export async function create(req: Request, res: Response): Promise<void> {
  const group = await loadGroup(req);
  await policy.authorizeRoster(signedInUser(req), group);
  const parsed = rosterAddSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(req, res, group, 422, fieldErrors(parsed.error));
  const member = await Member.findByPk(parsed.data.memberId);
  if (!member) return renderShow(req, res, group, 422, { memberId: 'That person is no longer on record.' });
  const name = memberName(member);
  const taken = { memberId: `${name} is already in ${group.name}.` };
  if (await placeIn(group.id, member.id)) return renderShow(req, res, group, 422, taken);
  const { role } = parsed.data;
  const added = await GroupMember.create({ groupId: group.id, memberId: member.id, role }).catch(unlessTaken);
  if (!added) return renderShow(req, res, group, 422, taken);
  await audit.record({
    action: 'group.member_added',
    ...recordOf(group),
    after: placeOf(name, member.id, role),
  });
  await tellMember(member, group, role, signedInUser(req));
  req.flash('success', `${name} was added${role === 'leader' ? ' as a leader' : ''}.`);
  const q = typeof req.body?.q === 'string' ? req.body.q : '';
  res.redirect(`/groups/${group.id}${q ? `?${new URLSearchParams({ q })}` : ''}`);
}

// POST /groups/:id/members/:memberId/delete
export async function destroy(req: Request, res: Response): Promise<void> {
  const group = await loadGroup(req);
  const user = signedInUser(req);
  await policy.authorizeRoster(user, group);
  const place = await loadPlace(group.id, req.params.memberId);
  const name = memberName(placeMember(place));
  await place.destroy();
  await audit.record({
    action: 'group.member_removed',
    ...recordOf(group),
    before: placeOf(name, place.memberId, place.role),
  });
  req.flash('success', `${name} was removed from ${group.name}.`);
  res.redirect(await pageAfterChange(user, group.id));
}

// Shared with ./roles.controller.ts.

/** The group's roster entry for the person in the URL; 404 when they are not in the group. */
export async function loadPlace(groupId: string, memberId: unknown): Promise<GroupMember> {
  const place = await placeIn(groupId, idParam(memberId));
  if (!place) throw new NotFound();
  return place;
}

/** The audit snapshot of a roster entry. */
export function placeOf(name: string, memberId: string, role: string): Record<string, unknown> {
  return { member: name, memberId: String(memberId), role };
}

/** The group's page, or the group list when the change took the person's own access away. */
export async function pageAfterChange(user: User, groupId: string): Promise<string> {
  return (await policy.canSeeGroup(user, { id: groupId })) ? `/groups/${groupId}` : '/groups';
}

/** A person added to a group who is also a staff user hears of it (unless they added themselves). */
async function tellMember(member: Member, group: Group, role: string, actor: User): Promise<void> {
  if (!member.userId || String(member.userId) === String(actor.id)) return;
  const user = await User.findOne({
    where: { id: member.userId, active: true },
    include: [{ model: Role, as: 'roles' }],
  });
  if (!user) return;
  await notify({
    userId: user.id,
    kind: 'group.member_added',
    title: `${actor.name} added you to ${group.name}${role === 'leader' ? ' as a leader' : ''}`,
    url: (await policy.canSeeGroup(user, group)) ? `/groups/${group.id}` : null,
  });
}

function unlessTaken(err: unknown): null {
  if (err instanceof UniqueConstraintError) return null;
  throw err;
}
