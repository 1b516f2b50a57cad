import type { NextFunction, Request, Response } from 'express';

type FlashType = 'success' | 'danger' | 'info' | 'warning';

declare global {
  namespace Express {
    interface Request {
      flash(type: FlashType, text: string): void;
    }
  }
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
  next();
}
