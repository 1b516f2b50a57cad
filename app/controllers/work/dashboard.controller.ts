import type { Request, Response } from 'express';
import { PROJECT_STATUSES } from '../../models/project.ts';
import { recentWork } from '../../services/activity.ts';
import { dashboardFor } from '../../services/work-dashboard.ts';
import { signedInUser } from '../signed-in.ts';

// GET /work: the figures of the projects the user can see, and what happened lately.
export async function show(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const [dashboard, activity] = await Promise.all([dashboardFor(user), recentWork(user, 10)]);
  res.render('work/show', { title: 'Work', dashboard, activity, projectStatuses: PROJECT_STATUSES });
}
