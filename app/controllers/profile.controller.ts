import type { Request, Response } from 'express';
import { currentSessionRow } from '../auth/passport.ts';
import { ValidationError } from '../errors.ts';
import type { User } from '../models/user.ts';
import { describeDevice, UserSession } from '../models/user-session.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import { setTaskReminders, taskRemindersOn } from '../services/people/task-reminders.ts';
import { updateProfile } from '../services/people/users.ts';
import { fieldErrors } from '../validators/common.ts';
import { profileSchema, reminderSettingSchema } from '../validators/profile.validator.ts';
import { signedInUser } from './signed-in.ts';

/** The signed-in person (requireAuth on the route line has made sure there is one). */
// GET /profile: shows and edits the signed-in person's name and e-mail.
export async function show(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const reminders = (await taskRemindersOn(String(user.id))) ? 'on' : '';
  await render(req, res, 200, user, { name: user.name, email: user.email, taskReminders: reminders }, {});
}

// POST /profile
export async function update(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { taskReminders } = reminderSettingSchema.parse(req.body ?? {});
  const values = {
    name: text(req.body?.name),
    email: text(req.body?.email),
    taskReminders: taskReminders ? 'on' : '',
  };
  const parsed = profileSchema.safeParse(req.body ?? {});
  if (!parsed.success) return render(req, res, 422, user, values, fieldErrors(parsed.error));
  const refused = await updateProfile(user, parsed.data).then(() => null, refusedFields);
  if (refused) return render(req, res, 422, user, values, refused);
  await setTaskReminders(user, taskReminders);
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

/** The field messages of a refused save; any other error goes on to the error handler. */
function refusedFields(err: unknown): Record<string, string> {
  if (err instanceof ValidationError) return err.fields;
  throw err;
}
