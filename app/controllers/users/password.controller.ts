import type { Request, Response } from 'express';
import { endOtherSessions } from '../../auth/passport.ts';
import * as audit from '../../services/audit.ts';
import { fieldErrors } from '../../validators/common.ts';
import { passwordChangeSchema } from '../../validators/profile.validator.ts';
import { signedInUser } from '../signed-in.ts';

/** The signed-in person's own password (GET/POST /profile/password). Passwords are never put back into the form. */

// GET /profile/password
export function edit(_req: Request, res: Response): void {
  res.render('profile/password/edit', { title: 'Change your password', values: {}, errors: {} });
}

// POST /profile/password
export async function update(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const parsed = passwordChangeSchema.safeParse(req.body ?? {});
  const errors = parsed.success ? {} : fieldErrors(parsed.error);
  if (parsed.success && !(await user.checkPassword(parsed.data.currentPassword)))
    errors.currentPassword = 'is not your current password';
  if (!parsed.success || Object.keys(errors).length)
    return res
      .status(422)
      .render('profile/password/edit', { title: 'Change your password', values: {}, errors });
  await user.changePassword(parsed.data.password);
  await endOtherSessions(req, user);
  // Only the fact is recorded: no hash, old or new, ever reaches the log.
  await audit.record({
    action: 'password.changed',
    recordType: 'user',
    recordId: user.id,
    recordLabel: user.email,
  });
  req.flash('success', 'Your password was changed.');
  res.redirect('/profile');
}
