import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { endOtherSessions } from '../auth/passport.ts';
import { db } from '../db/database.ts';
import { log } from '../logger.ts';
import { attemptCounter, clientKey, whenLifted } from '../middleware/rate-limit.ts';
import { User } from '../models/user.ts';
import { mailJob } from '../queue/jobs/mail.ts';
import { enqueue, PRIORITY } from '../queue/queue.ts';
import * as audit from '../services/audit.ts';
import { tenantTimeZone } from '../services/local-time.ts';
import { hashPassword } from '../services/passwords.ts';
import { consumeToken, issueToken, peekToken } from '../services/tokens.ts';
import { tenantUrlFor } from '../services/urls.ts';
import { fieldErrors } from '../validators/common.ts';
import { forgotPasswordSchema, newPasswordSchema } from '../validators/session.validator.ts';

declare module 'express-session' {
  interface SessionData {
    /** The link (hashed) this browser last set a password with. */
    passwordSetWith?: string;
  }
}

/**
 * Whether this browser itself just used the link: a second press of the button, or the form opened
 * again, goes on to sign-in (where the confirmation is shown) instead of "this link no longer works".
 */
function usedHere(req: Request): boolean {
  return req.session.passwordSetWith === linkDigest(req);
}

function linkDigest(req: Request): string {
  return createHash('sha256').update(String(req.params.token)).digest('hex');
}

const SENT = 'If that e-mail belongs to an account here, a link to choose a new password is on its way.';

// GET /password/forgot
export function newReset(_req: Request, res: Response): void {
  res.render('passwords/forgot', { values: {}, errors: {} });
}

// Every request counts, whether or not the address has an account, so a limited answer says nothing
// about who has one.
const RESETS_PER_ADDRESS = 5;
const RESETS_PER_CLIENT = 20;
const perAddress = attemptCounter('reset-address', RESETS_PER_ADDRESS);
const perClient = attemptCounter('reset-client', RESETS_PER_CLIENT);

// POST /password/forgot: the same answer, in the same time, whether or not the e-mail exists.
export async function create(req: Request, res: Response): Promise<void> {
  const parsed = forgotPasswordSchema.safeParse(req.body ?? {});
  if (!parsed.success) {
    res.status(422).render('passwords/forgot', {
      values: { email: String(req.body?.email ?? '') },
      errors: fieldErrors(parsed.error),
    });
    return;
  }
  const { email } = parsed.data;
  const [byAddress, byClient] = await Promise.all([
    perAddress.hit(req, email.toLowerCase()),
    perClient.hit(req, clientKey(req)),
  ]);
  if (byAddress.limited || byClient.limited) {
    const resetTime = new Date(Math.max(byAddress.resetTime.getTime(), byClient.resetTime.getTime()));
    const { minutes, at } = whenLifted(resetTime, await tenantTimeZone());
    res.set('Retry-After', String(minutes * 60));
    res.status(429).render('passwords/forgot', {
      values: { email },
      errors: {
        _: `Too many requests for this address. No e-mail was sent. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, at ${at}.`,
      },
    });
    return;
  }
  req.flash('info', SENT);
  res.redirect('/login');
  // The lookup and the e-mail happen after the answer has gone, so its timing says nothing about
  // whether the address has an account. The tenant context carries over the await.
  await finished(res).catch(() => {});
  await sendResetLink(req, email).catch((err) => log().error({ err }, 'password reset e-mail failed'));
}

/**
 * The token and its e-mail are one transaction: a link is never mailed for a token that was not
 * saved, and a saved token always has its e-mail queued. Resets pass any mass mailing in the queue.
 */
async function sendResetLink(req: Request, email: string): Promise<void> {
  const user = await User.findOne({ where: { email, active: true } });
  if (!user) return;
  await db().transaction(async () => {
    const token = await issueToken(user.id, 'reset');
    const url = tenantUrlFor(req, `/password/reset/${token}`);
    await enqueue(
      mailJob,
      {
        to: user.email,
        subject: 'Choose a new password',
        template: 'reset',
        locals: { name: user.name, url },
      },
      { priority: PRIORITY.urgent },
    );
  });
}

// GET /password/reset/:token
export async function edit(req: Request, res: Response): Promise<void> {
  const userId = await peekToken(String(req.params.token), 'reset');
  if (!userId && usedHere(req)) return res.redirect('/login');
  if (!userId) return res.status(410).render('passwords/expired', { purpose: 'reset' });
  res.render('passwords/reset', {
    action: req.originalUrl,
    values: {},
    errors: {},
    heading: 'Choose a new password',
  });
}

/** Sets a password from a single-use token (reset or invitation), then asks the person to sign in. */
export function setPasswordWithToken(purpose: 'reset' | 'invite') {
  return async (req: Request, res: Response): Promise<void> => {
    const heading = purpose === 'reset' ? 'Choose a new password' : 'Choose your password';
    const parsed = newPasswordSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(422).render('passwords/reset', {
        action: req.originalUrl,
        values: {},
        errors: fieldErrors(parsed.error),
        heading,
      });
      return;
    }
    const passwordHash = await hashPassword(parsed.data.password);
    const userId = await consumeToken(String(req.params.token), purpose);
    const user = userId ? await User.findByPk(userId) : null;
    if (!user?.active && usedHere(req)) return res.redirect('/login');
    if (!user?.active) return res.status(410).render('passwords/expired', { purpose });
    await user.update({ passwordHash });
    await endOtherSessions(req, user);
    await audit.record({
      action: purpose === 'reset' ? 'password.reset' : 'invitation.accepted',
      recordType: 'user',
      recordId: user.id,
      recordLabel: user.email,
    });
    req.flash(
      'success',
      purpose === 'reset'
        ? 'Your password was changed. Sign in with it now.'
        : 'Welcome! Sign in with your new password.',
    );
    req.session.passwordSetWith = linkDigest(req);
    res.redirect('/login');
  };
}

// POST /password/reset/:token
export const update = setPasswordWithToken('reset');
