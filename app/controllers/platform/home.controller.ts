import type { Request, Response } from 'express';
import { TRIAL_DAYS } from '../../services/platform/signups.ts';

// GET /  (root domain)
export function show(_req: Request, res: Response): void {
  res.render('platform/home', { trialDays: TRIAL_DAYS });
}
