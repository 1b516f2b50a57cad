import type { Request, Response } from 'express';
import { feedPage, feedQuerySchema, visibleEntriesWhere } from '../../services/activity.ts';
import { signedInUser } from '../signed-in.ts';

// GET /activity: everything the user may read in this tenant, newest first.
export async function index(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { page } = feedQuerySchema.parse(req.query);
  const feed = await feedPage(await visibleEntriesWhere(user), page);
  res.render('activity/index', { title: 'Activity', feed, basePath: '/activity', parent: null });
}
