import type { Request, Response } from 'express';
import { Unauthorized } from '../../errors.ts';
import { currentUser } from '../../middleware/auth.ts';
import { loadProject } from '../../policies/project.policy.ts';
import { projectReport, reportCsv } from '../../services/project-report.ts';
import { contentDisposition } from '../../services/storage.ts';

// GET /projects/:id/report.csv: the report's figures for a spreadsheet.
export async function show(req: Request, res: Response): Promise<void> {
  const user = currentUser(req);
  if (!user) throw new Unauthorized();
  const { record: project } = await loadProject(user, req.params.id);
  const report = await projectReport(project);
  const day = report.generatedAt.toISOString().slice(0, 10);
  res.set('Content-Disposition', contentDisposition(`${project.name} report ${day}.csv`));
  res.type('text/csv; charset=utf-8').send(reportCsv(report));
}
