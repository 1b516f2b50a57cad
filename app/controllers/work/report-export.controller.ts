import type { Request, Response } from 'express';
import { loadProject } from '../../policies/project.policy.ts';
import { projectReport, reportCsv } from '../../services/project-report.ts';
import { contentDisposition } from '../../services/storage.ts';
import { signedInUser } from '../signed-in.ts';

// GET /projects/:id/report.csv: the report's figures for a spreadsheet.
export async function show(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { record: project } = await loadProject(user, req.params.id);
  const report = await projectReport(project);
  const day = report.generatedAt.toISOString().slice(0, 10);
  res.set('Content-Disposition', contentDisposition(`${project.name} report ${day}.csv`));
  res.type('text/csv; charset=utf-8').send(reportCsv(report));
}
