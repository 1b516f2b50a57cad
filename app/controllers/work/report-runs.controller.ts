import type { Request, Response } from 'express';
import { loadProject } from '../../policies/project.policy.ts';
import { loadReportRun, REPORT_STATUS_LABELS } from '../../services/project-report-runs.ts';
import { requestReport } from '../../services/report-mail.ts';
import { signedInUser } from '../signed-in.ts';

// POST /projects/:id/reports: queues a report to be generated, then shows its progress.
export async function create(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { record: project } = await loadProject(user, req.params.id);
  const run = await requestReport(project, user);
  res.redirect(`/projects/${project.id}/reports/${run.id}`);
}

// GET /projects/:id/reports/:reportId: queued, running, ready (with its file) or failed.
export async function show(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { record: project } = await loadProject(user, req.params.id);
  const run = await loadReportRun(project, req.params.reportId);
  res.render('work/reports/run', { title: `Report · ${project.name}`, project, run, REPORT_STATUS_LABELS });
}
