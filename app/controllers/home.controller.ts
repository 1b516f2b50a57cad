import type { Request, Response } from 'express';
import { Setting } from '../models/setting.ts';

// GET /  (tenant host)
export async function show(_req: Request, res: Response): Promise<void> {
  // Not `settings`: Express keeps its own app settings under that name (it decides view caching).
  res.render('home/show', { texts: await Setting.all() });
}
