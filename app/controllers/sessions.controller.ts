import type { NextFunction, Request, Response } from 'express';
import { passport } from '../auth/passport.ts';
import { currentUser } from '../middleware/auth.ts';
import { scopeOf } from '../middleware/session.ts';
import type { PlatformAdmin } from '../models/platform-admin.ts';
import type { User } from '../models/user.ts';
import { signInSchema } from '../validators/session.validator.ts';
import { fieldErrors } from '../validators/tenant.validator.ts';
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
export function signIn(strategy: 'tenant-local' | 'admin-local', view: string, home: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const values = {
      email: String(req.body?.email ?? '').slice(0, 254),
      next: safeNext(req.body?.next, home),
    };
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

// POST /logout
export function destroy(req: Request, res: Response, next: NextFunction): void {
  req.logout((err) => {
    if (err) return next(err);
    req.session.destroy((destroyErr) => {
      if (destroyErr) return next(destroyErr);
      res.clearCookie('steward.sid');
      res.redirect(req.tenant ? '/login' : '/admin/login');
    });
  });
}
