import type { Request, Response } from 'express';
import { loadProject } from '../../policies/project.policy.ts';
import { mailProjectReportLater } from '../../services/report-mail.ts';
import { requireTenant } from '../../tenancy/context.ts';
import { signedInUser } from '../signed-in.ts';

// POST /projects/:id/report/email: the report is built after the answer and e-mailed to the reader.
export async function create(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { record: project } = await loadProject(user, req.params.id);
  mailProjectReportLater(requireTenant(), project.id, user);
  req.flash('success', `The report is on its way to ${user.email}.`);
  res.redirect(`/projects/${project.id}/report`);
}
