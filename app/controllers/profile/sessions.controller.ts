import type { Request, Response } from 'express';
import { endOtherSessions } from '../../auth/passport.ts';
import * as audit from '../../services/audit.ts';
import { signedInUser } from '../signed-in.ts';

// POST /profile/sessions/others/delete: "sign out everywhere else". This browser stays signed in
// (with a new session id); the normal sign-out ends it too.
export async function destroyOthers(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  await endOtherSessions(req, user);
  await audit.record({
    action: 'sessions.ended',
    recordType: 'user',
    recordId: user.id,
    recordLabel: user.email,
  });
  req.flash('success', 'You were signed out everywhere else.');
  res.redirect('/profile');
}
