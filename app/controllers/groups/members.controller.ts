import type { Request, Response } from 'express';
import { ValidationError } from '../../errors.ts';
import type { User } from '../../models/user.ts';
import * as policy from '../../policies/group.policy.ts';
import { addToRoster, memberName, removeFromRoster } from '../../services/groups.ts';
import { fieldErrors } from '../../validators/common.ts';
import { rosterAddSchema } from '../../validators/group.validator.ts';
import { loadGroup, renderShow } from '../groups.controller.ts';
import { signedInUser } from '../signed-in.ts';

/** A person's place on a group's roster: added with a role, or removed. */

// POST /groups/:id/members
export async function create(req: Request, res: Response): Promise<void> {
  const group = await loadGroup(req);
  const user = signedInUser(req);
  await policy.authorizeRoster(user, group);
  const parsed = rosterAddSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(req, res, group, 422, fieldErrors(parsed.error));
  const added = await addToRoster(user, group, parsed.data).catch(refusal);
  if (added instanceof ValidationError) return renderShow(req, res, group, 422, added.fields);
  const { member, role } = added;
  req.flash('success', `${memberName(member)} was added${role === 'leader' ? ' as a leader' : ''}.`);
  const q = typeof req.body?.q === 'string' ? req.body.q : '';
  res.redirect(`/groups/${group.id}${q ? `?${new URLSearchParams({ q })}` : ''}`);
}

// POST /groups/:id/members/:memberId/delete
export async function destroy(req: Request, res: Response): Promise<void> {
  const group = await loadGroup(req);
  const user = signedInUser(req);
  const { member } = await removeFromRoster(user, group, req.params.memberId);
  req.flash('success', `${memberName(member)} was removed from ${group.name}.`);
  res.redirect(await pageAfterChange(user, group.id));
}

// Shared with ./roles.controller.ts.

/** The group's page, or the group list when the change took the person's own access away. */
export async function pageAfterChange(user: User, groupId: string): Promise<string> {
  return (await policy.canSeeGroup(user, { id: groupId })) ? `/groups/${groupId}` : '/groups';
}

/** A refusal with field messages is shown on the group's page; any other error goes on. */
export function refusal(err: unknown): ValidationError {
  if (err instanceof ValidationError) return err;
  throw err;
}
