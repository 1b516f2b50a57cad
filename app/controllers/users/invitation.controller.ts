import type { Request, Response } from 'express';
import { currentUser } from '../../middleware/auth.ts';
import { resendInvitation, unsentMessage } from '../../services/people/users.ts';
import { loadUser } from '../users.controller.ts';

// POST /users/:id/invitation: a new link for someone who has not chosen a password yet.
export async function create(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  const sent = await resendInvitation(req, user, currentUser(req));
  req.flash(
    sent ? 'success' : 'warning',
    sent ? `A new invitation was sent to ${user.email}.` : unsentMessage(user),
  );
  res.redirect(`/users/${user.id}`);
}
