import type { Request, Response } from 'express';
import { loadProject } from '../../policies/project.policy.ts';
import { feedPage, feedQuerySchema } from '../../services/activity.ts';
import { signedInUser } from '../signed-in.ts';

// GET /projects/:id/activity: one project's feed; 404 for those who cannot see the project.
export async function index(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { record: project } = await loadProject(user, req.params.id);
  const { page } = feedQuerySchema.parse(req.query);
  const feed = await feedPage({ projectId: project.id }, page);
  res.render('activity/index', {
    title: `Activity · ${project.name}`,
    feed,
    basePath: `/projects/${project.id}/activity`,
    parent: { label: project.name, href: `/projects/${project.id}` },
  });
}
