import type { NextFunction, Request, Response } from 'express';
import { scopeOf } from '../middleware/session.ts';
import { User } from '../models/user.ts';
import { consumeToken } from '../services/tokens.ts';

/**
 * GET /session/handoff/:token: signs in with a single-use token that lives one minute. Sign-up
 * creates it on the new tenant and redirects here, since cookies cannot cross hosts.
 */
export async function show(req: Request, res: Response, next: NextFunction): Promise<void> {
  const userId = await consumeToken(String(req.params.token), 'login');
  const user = userId ? await User.findOne({ where: { id: userId, active: true } }) : null;
  if (!user) return res.status(410).render('passwords/expired', { purpose: 'login' });
  req.login(user, (err) => {
    if (err) return next(err);
    req.session.scope = scopeOf(req);
    req.flash('success', `Welcome to ${req.tenant?.name ?? 'Steward'}. Your organisation is ready.`);
    res.redirect('/');
  });
}
