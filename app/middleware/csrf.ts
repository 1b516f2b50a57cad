import { csrfSync } from 'csrf-sync';
import type { NextFunction, Request, Response } from 'express';
import { Forbidden } from '../errors.ts';

const { csrfSynchronisedProtection, generateToken } = csrfSync({
  // Upload forms (multipart) are parsed after this check, so they carry the token in the action URL.
  getTokenFromRequest: (req) =>
    (req.body?._csrf as string | undefined) ??
    req.get('x-csrf-token') ??
    (req.is('multipart/form-data') && typeof req.query._csrf === 'string' ? req.query._csrf : undefined),
});

/**
 * CSRF protection on every state-changing request (synchronizer token kept in the session), and the
 * token in `csrfToken` for forms. A missing or wrong token is a 403 page that says what happened.
 */
export function csrf(req: Request, res: Response, next: NextFunction): void {
  res.locals.csrfToken = () => generateToken(req);
  csrfSynchronisedProtection(req, res, (err?: unknown) => {
    if (err) {
      next(
        new Forbidden(
          'This form has expired or did not come from this site. Go back, reload the page and try again.',
        ),
      );
      return;
    }
    next();
  });
}
