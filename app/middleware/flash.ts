import { AsyncResource } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';
import type session from 'express-session';

type FlashType = 'success' | 'danger' | 'info' | 'warning';

declare global {
  namespace Express {
    interface Request {
      flash(type: FlashType, text: string): void;
    }
  }
}

/** The session's data as the store keeps it (the cookie is written separately). */
function stateOf(s: session.Session & Partial<session.SessionData>): string {
  return JSON.stringify(s, (key, value) => (key === 'cookie' ? undefined : value));
}

/**
 * After a save, express-session's own save at the end of the response would write the same data
 * again (always, once the id was regenerated): that late write can land after the next request's
 * and bring back a message already shown. It is skipped while nothing changed.
 */
function skipUnchangedResave(s: session.Session, saved: string): void {
  const save = s.save;
  Object.defineProperty(s, 'save', {
    configurable: true,
    enumerable: false,
    writable: true,
    value(this: session.Session, callback?: (err?: unknown) => void) {
      if (stateOf(this) === saved) {
        callback?.();
        return this;
      }
      return save.call(this, callback);
    },
  });
}

/**
 * A redirect goes out only once the session is saved, when the request changed it (a message,
 * a sign-in, a new session id). express-session saves while it writes the response, so a browser
 * that follows the redirect at once would read the session as it was before.
 */
function redirectAfterSave(req: Request, res: Response): void {
  const loaded = req.session ? { id: req.sessionID, state: stateOf(req.session) } : null;
  const redirect = res.redirect.bind(res) as (...args: [string] | [number, string]) => void;
  res.redirect = ((...args: [string] | [number, string]) => {
    const s = req.session;
    if (!s || (loaded && loaded.id === req.sessionID && loaded.state === stateOf(s))) {
      redirect(...args);
      return;
    }
    const state = stateOf(s);
    s.save(
      AsyncResource.bind((err?: unknown) => {
        if (err) return req.next?.(err);
        skipUnchangedResave(s, state);
        redirect(...args);
      }),
    );
  }) as Response['redirect'];
}

/** One-time messages shown on the next page rendered. */
export function flash(req: Request, res: Response, next: NextFunction): void {
  req.flash = (type, text) => {
    req.session.flash = [...(req.session.flash ?? []), { type, text }];
  };
  res.locals.flash = [];
  Object.defineProperty(res.locals, 'flash', {
    enumerable: true,
    configurable: true,
    get() {
      const messages = req.session?.flash ?? [];
      if (req.session?.flash) delete req.session.flash;
      return messages;
    },
  });
  redirectAfterSave(req, res);
  next();
}
