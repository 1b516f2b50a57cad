import type { Request, Response } from 'express';
import { UniqueConstraintError } from 'sequelize';
import { User } from '../models/user.ts';
import * as audit from '../services/audit.ts';
import { profileSchema } from '../validators/profile.validator.ts';
import { fieldErrors } from '../validators/tenant.validator.ts';
import { signedInUser } from './signed-in.ts';

const EMAIL_TAKEN = 'is already used by another account here';

/** The signed-in person (requireAuth on the route line has made sure there is one). */
// GET /profile: shows and edits the signed-in person's name and e-mail.
export function show(req: Request, res: Response): void {
  const user = signedInUser(req);
  render(res, 200, user, { name: user.name, email: user.email }, {});
}

// POST /profile
export async function update(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const values = { name: text(req.body?.name), email: text(req.body?.email) };
  const parsed = profileSchema.safeParse(req.body ?? {});
  const errors = parsed.success ? {} : fieldErrors(parsed.error);
  if (parsed.success && (await User.emailTaken(parsed.data.email, user.id))) errors.email = EMAIL_TAKEN;
  if (!parsed.success || Object.keys(errors).length) return render(res, 422, user, values, errors);
  const before = user.snapshot();
  const saved = await user.update(parsed.data).then(() => true, unlessDuplicate);
  if (!saved) return render(res, 422, user, values, { email: EMAIL_TAKEN });
  const after = user.snapshot();
  if (Object.keys(audit.diff(before, after)).length)
    await audit.record({
      action: 'profile.updated',
      recordType: 'user',
      recordId: user.id,
      recordLabel: user.email,
      before,
      after,
    });
  req.flash('success', 'Your profile was saved.');
  res.redirect('/profile');
}

function render(
  res: Response,
  status: number,
  user: User,
  values: Record<string, string>,
  errors: Record<string, string>,
): void {
  res.status(status).render('profile/show', { title: 'Your profile', user, values, errors });
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The unique index on e-mail is the last guard when two changes race: a field message, not a 500. */
function unlessDuplicate(err: unknown): false {
  if (err instanceof UniqueConstraintError) return false;
  throw err;
}
