import type { Request, Response } from 'express';
import { currentAdmin } from '../../middleware/auth.ts';
import { safeNext, signIn } from '../sessions.controller.ts';

export { destroy } from '../sessions.controller.ts';

// GET /admin/login
export function newSession(req: Request, res: Response): void {
  if (currentAdmin(req)) return res.redirect('/admin');
  res.render('admin/sessions/new', { values: { next: safeNext(req.query.next, '/admin') }, errors: {} });
}

// POST /admin/login: the admin strategy refuses on tenant hosts, and tenant users are not in its table.
export const create = signIn('admin-local', 'admin/sessions/new', '/admin');
