import type { Request, Response } from 'express';
import { currentUser } from '../middleware/auth.ts';
import { Setting } from '../models/setting.ts';
import { renderMarkdown } from '../services/markdown.ts';
import * as dashboard from './dashboard.controller.ts';

// GET /  (tenant host): the public page for visitors; signed-in staff get their dashboard instead.
export async function show(req: Request, res: Response): Promise<void> {
  if (currentUser(req)) return dashboard.show(req, res);
  // Not `settings`: Express keeps its own app settings under that name (it decides view caching).
  const texts = await Setting.all();
  res.render('home/show', {
    texts,
    about: renderMarkdown(texts.about ?? '').trim(),
    serviceTimes: renderMarkdown(texts.service_times ?? '').trim(),
  });
}
