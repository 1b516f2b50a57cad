import type { Request, Response } from 'express';
import { loadProject } from '../../policies/project.policy.ts';
import { formatDateTime } from '../../services/local-time.ts';
import { projectReport, STATUS_LABELS } from '../../services/project-report.ts';
import { REPORT_STATUS_LABELS, recentReportRuns } from '../../services/project-report-runs.ts';
import { reportRecipients } from '../../services/report-mail.ts';
import { signedInUser } from '../signed-in.ts';

// GET /projects/:id/report: the figures as a chart and as tables.
export async function show(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { record: project } = await loadProject(user, req.params.id);
  const [report, recipients, runs] = await Promise.all([
    projectReport(project),
    reportRecipients(project, user),
    recentReportRuns(project),
  ]);
  res.render('work/reports/show', {
    title: `Report · ${project.name}`,
    ...{ project, report, STATUS_LABELS, recipients, runs, REPORT_STATUS_LABELS, formatDateTime },
  });
}
