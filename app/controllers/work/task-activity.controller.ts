import type { Request, Response } from 'express';
import { loadTask } from '../../policies/project.policy.ts';
import { feedPage, feedQuerySchema, taskEntriesWhere } from '../../services/activity.ts';
import { signedInUser } from '../signed-in.ts';

// GET /tasks/:id/activity: a task's feed with its comments and files; 404 for those who cannot see it.
export async function index(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { record: task } = await loadTask(user, req.params.id);
  const { page } = feedQuerySchema.parse(req.query);
  const feed = await feedPage(taskEntriesWhere(task), page);
  res.render('activity/index', {
    title: `Activity · ${task.title}`,
    feed,
    basePath: `/tasks/${task.id}/activity`,
    parent: { label: task.title, href: `/tasks/${task.id}` },
  });
}
