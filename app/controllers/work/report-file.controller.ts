import type { Request, Response } from 'express';
import { NotFound } from '../../errors.ts';
import { loadProject } from '../../policies/project.policy.ts';
import { loadReportRun } from '../../services/project-report-runs.ts';
import { contentDisposition, fileStore } from '../../services/storage.ts';
import { signedInUser } from '../signed-in.ts';

// GET /projects/:id/reports/:reportId/file: the generated CSV, once it is ready.
export async function show(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { record: project } = await loadProject(user, req.params.id);
  const run = await loadReportRun(project, req.params.reportId);
  if (run.status !== 'done' || !run.fileKey) throw new NotFound('This report is not ready.');
  // A file removed from the store by hand answers 404, not 500.
  const { stream, size } = await fileStore.open(run.fileKey).catch(() => {
    throw new NotFound('This report is no longer available.');
  });
  res.set('Content-Disposition', contentDisposition(run.fileName ?? 'report.csv'));
  res.set('Content-Length', String(size));
  res.type('text/csv; charset=utf-8');
  stream.pipe(res);
}
