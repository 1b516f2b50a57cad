import type { Request, Response } from 'express';
import * as policy from '../../policies/user.policy.ts';
import * as audit from '../../services/audit.ts';
import { loadUser, sendInvitation, unsent } from '../users.controller.ts';

// POST /users/:id/invitation: a new link for someone who has not chosen a password yet.
export async function create(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  policy.authorize('resendInvitation', user, { invitationPending: await user.invitationPending() });
  const sent = await sendInvitation(req, user);
  await audit.record({
    action: 'invitation.resent',
    recordType: 'user',
    recordId: user.id,
    recordLabel: user.email,
  });
  req.flash(
    sent ? 'success' : 'warning',
    sent ? `A new invitation was sent to ${user.email}.` : unsent(user),
  );
  res.redirect(`/users/${user.id}`);
}
