import type { Request, Response } from 'express';
import { Unauthorized } from '../../errors.ts';
import { currentUser } from '../../middleware/auth.ts';
import { loadProject } from '../../policies/project.policy.ts';
import { projectReport, STATUS_LABELS } from '../../services/project-report.ts';

// GET /projects/:id/report: the figures as a chart and as tables.
export async function show(req: Request, res: Response): Promise<void> {
  const user = currentUser(req);
  if (!user) throw new Unauthorized();
  const { record: project } = await loadProject(user, req.params.id);
  const report = await projectReport(project);
  res.render('work/reports/show', { title: `Report · ${project.name}`, project, report, STATUS_LABELS });
}
