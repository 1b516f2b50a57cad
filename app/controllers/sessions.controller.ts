import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { config } from '../../config/index.ts';
import { ApiProblem, sendProblem } from '../api/problem.ts';
import { endThisSession, passport } from '../auth/passport.ts';
import { log } from '../logger.ts';
import { currentUser } from '../middleware/auth.ts';
import {
  attemptCounter,
  type LimitReached,
  sharedAttemptLimit,
  whenLifted,
} from '../middleware/rate-limit.ts';
import { scopeOf } from '../middleware/session.ts';
import type { PlatformAdmin } from '../models/platform-admin.ts';
import { User } from '../models/user.ts';
import { tenantTimeZone } from '../services/local-time.ts';
import { sendMail } from '../services/mailer.ts';
import { fieldErrors } from '../validators/common.ts';
import { signInSchema } from '../validators/session.validator.ts';
import { localPath } from './signed-in.ts';

/** Only same-site paths are followed after sign-in. */
export function safeNext(next: unknown, fallback = '/'): string {
  return localPath(next) ?? fallback;
}

// GET /login
export function newSession(req: Request, res: Response): void {
  if (currentUser(req)) return res.redirect('/');
  res.render('sessions/new', { values: { next: safeNext(req.query.next) }, errors: {} });
}

/**
 * Signs in with the given strategy: a new session id, bound to this host. A wrong e-mail or
 * password gets one generic message that does not say which was wrong.
 */
function formValues(req: Request, home: string) {
  return {
    email: String(req.body?.email ?? '').slice(0, 254),
    next: safeNext(req.body?.next, home),
  };
}

export function signIn(strategy: 'tenant-local' | 'admin-local', view: string, home: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const values = formValues(req, home);
    const parsed = signInSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(422).render(view, { values, errors: fieldErrors(parsed.error) });
      return;
    }
    passport.authenticate(strategy, (err: unknown, user: User | PlatformAdmin | false) => {
      if (err) return next(err);
      if (!user) {
        res.status(401).render(view, {
          values,
          errors: { _: 'That e-mail and password do not match an active account.' },
        });
        return;
      }
      req.login(user, (loginErr) => {
        if (loginErr) return next(loginErr);
        req.session.scope = scopeOf(req);
        void (user as { update(v: { lastLoginAt: Date }): Promise<unknown> })
          .update({ lastLoginAt: new Date() })
          .catch(() => {});
        // Saved before the redirect: a store that cannot keep the sign-in answers 503 here, rather
        // than a redirect to a page that finds nobody signed in.
        req.session.save((saveErr) => (saveErr ? next(saveErr) : res.redirect(values.next)));
      });
    })(req, res, next);
  };
}

// POST /login
export const create = signIn('tenant-local', 'sessions/new', '/');

// One warning per account per window, however many attempts follow.
const warnings = attemptCounter('login-warning', 1);

/**
 * Once the sign-in limit is reached, every attempt (the right password too) gets this page, which
 * says when sign-in opens again; the owner of the account being tried hears about it once.
 */
export const limited: LimitReached = (req, res, next, resetTime) => {
  if (req.originalUrl.startsWith('/api/')) {
    void refuseApiSignIn(req, res, resetTime).catch(next);
    return;
  }
  void showLimited(req, res, resetTime).catch(next);
};

/**
 * The sign-in attempt limit: the sign-in page and the API's token endpoint count against the same
 * allowance (per client address and tenant), so neither door adds attempts.
 */
export function loginAttempts(): RequestHandler {
  return sharedAttemptLimit('login', config.LOGIN_RATE_LIMIT, { onLimit: limited });
}

/** The token endpoint's answer once the limit is reached: a 429 problem, and the same warning e-mail. */
async function refuseApiSignIn(req: Request, res: Response, resetTime: Date): Promise<void> {
  const { minutes, at } = whenLifted(resetTime, req.tenant ? await tenantTimeZone() : 'UTC');
  res.set('Retry-After', String(minutes * 60));
  sendProblem(
    new ApiProblem(
      429,
      'rate-limited',
      `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, at ${at}.`,
    ),
    req,
    res,
  );
  const parsed = signInSchema.shape.email.safeParse(req.body?.email);
  if (req.tenant && parsed.success) {
    void warnOwner(req, parsed.data, at).catch((err) =>
      log().error({ err }, 'sign-in warning e-mail failed'),
    );
  }
}

async function showLimited(req: Request, res: Response, resetTime: Date): Promise<void> {
  const { minutes, at } = whenLifted(resetTime, req.tenant ? await tenantTimeZone() : 'UTC');
  res.set('Retry-After', String(minutes * 60));
  res.status(429).render('sessions/new', {
    values: formValues(req, '/'),
    errors: { _: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, at ${at}.` },
  });
  const parsed = signInSchema.shape.email.safeParse(req.body?.email);
  if (req.tenant && parsed.success) {
    void warnOwner(req, parsed.data, at).catch((err) =>
      log().error({ err }, 'sign-in warning e-mail failed'),
    );
  }
}

async function warnOwner(req: Request, email: string, until: string): Promise<void> {
  const { count } = await warnings.hit(req, email.toLowerCase());
  if (count !== 1) return;
  const user = await User.findOne({ where: { email, active: true } });
  if (!user) return;
  await sendMail({
    to: user.email,
    subject: 'Someone is trying to sign in to your account',
    template: 'sign-in-limited',
    locals: {
      name: user.name,
      at: new Date().toISOString().replace('T', ' ').slice(0, 16),
      until,
      ip: req.ip ?? 'unknown',
    },
  });
}

// POST /logout
export function destroy(req: Request, res: Response, next: NextFunction): void {
  endThisSession(req).then(
    () =>
      req.logout((err) => {
        if (err) return next(err);
        req.session.destroy((destroyErr) => {
          if (destroyErr) return next(destroyErr);
          res.clearCookie('steward.sid');
          res.redirect(req.tenant ? '/login' : '/admin/login');
        });
      }),
    next,
  );
}
