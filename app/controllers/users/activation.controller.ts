import type { Request, Response } from 'express';
import { currentUser } from '../../middleware/auth.ts';
import * as policy from '../../policies/user.policy.ts';
import { planRefusal, withinPlan } from '../../services/plan-limits.ts';
import { lastSuperAdminMessage, loadUser, recordChange, renderShow } from '../users.controller.ts';

/** Whether a staff account may sign in: reactivating creates the activation, deactivating destroys it. */

// POST /users/:id/activation: an active account takes a place of the plan, as an invitation does.
export async function create(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  policy.authorize('reactivate', user);
  const before = user.snapshot();
  const reactivate = async () => {
    await user.reactivate();
    await recordChange('user.reactivated', user, before);
  };
  const refused = await withinPlan('users', reactivate, currentUser(req)).then(() => null, planRefusal);
  if (refused) return renderShow(res, user, 422, refused);
  req.flash('success', `${user.name} can sign in again.`);
  res.redirect(`/users/${user.id}`);
}

// POST /users/:id/activation/delete: signs the person out everywhere and keeps them out.
export async function destroy(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  policy.authorize('deactivate', user);
  const before = user.snapshot();
  const refused = await user.deactivate().then(() => null, lastSuperAdminMessage);
  if (refused) return renderShow(res, user, 409, refused);
  await recordChange('user.deactivated', user, before);
  req.flash('success', `${user.name} was deactivated and can no longer sign in.`);
  res.redirect(`/users/${user.id}`);
}
