import type { Request, Response } from 'express';
import { UniqueConstraintError } from 'sequelize';
import { currentSessionRow } from '../auth/passport.ts';
import { User } from '../models/user.ts';
import { describeDevice, UserSession } from '../models/user-session.ts';
import * as audit from '../services/audit.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import { fieldErrors } from '../validators/common.ts';
import { profileSchema } from '../validators/profile.validator.ts';
import { signedInUser } from './signed-in.ts';

const EMAIL_TAKEN = 'is already used by another account here';

/** The signed-in person (requireAuth on the route line has made sure there is one). */
// GET /profile: shows and edits the signed-in person's name and e-mail.
export async function show(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  await render(req, res, 200, user, { name: user.name, email: user.email }, {});
}

// POST /profile
export async function update(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const values = { name: text(req.body?.name), email: text(req.body?.email) };
  const parsed = profileSchema.safeParse(req.body ?? {});
  const errors = parsed.success ? {} : fieldErrors(parsed.error);
  if (parsed.success && (await User.emailTaken(parsed.data.email, user.id))) errors.email = EMAIL_TAKEN;
  if (!parsed.success || Object.keys(errors).length) return render(req, res, 422, user, values, errors);
  const before = user.snapshot();
  const saved = await user.update(parsed.data).then(() => true, unlessDuplicate);
  if (!saved) return render(req, res, 422, user, values, { email: EMAIL_TAKEN });
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

async function render(
  req: Request,
  res: Response,
  status: number,
  user: User,
  values: Record<string, string>,
  errors: Record<string, string>,
): Promise<void> {
  // Only the signed-in person's own sessions are listed.
  const [sessions, timeZone] = await Promise.all([
    UserSession.activeOf(String(user.id), currentSessionRow(req)),
    tenantTimeZone(),
  ]);
  const devices = sessions.map((s) => ({
    device: describeDevice(s.userAgent),
    lastSeen: formatDateTime(s.lastSeenAt, timeZone),
    current: s.current,
  }));
  res.status(status).render('profile/show', { title: 'Your profile', user, values, errors, devices });
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The unique index on e-mail is the last guard when two changes race: a field message, not a 500. */
function unlessDuplicate(err: unknown): false {
  if (err instanceof UniqueConstraintError) return false;
  throw err;
}
