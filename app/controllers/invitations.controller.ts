import type { Request, Response } from 'express';
import { peekToken } from '../services/tokens.ts';
import { setPasswordWithToken } from './password-resets.controller.ts';

// GET /invitations/:token
export async function show(req: Request, res: Response): Promise<void> {
  const userId = await peekToken(String(req.params.token), 'invite');
  if (!userId) return res.status(410).render('passwords/expired', { purpose: 'invite' });
  res.render('passwords/reset', {
    action: req.originalUrl,
    values: {},
    errors: {},
    heading: 'Choose your password',
  });
}

// POST /invitations/:token
export const update = setPasswordWithToken('invite');
