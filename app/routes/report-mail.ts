import { Router } from 'express';
import * as reportMail from '../controllers/projects/report-mail.controller.ts';
import { requireAuth } from '../middleware/auth.ts';

/** A project's report sent by e-mail. */
export function reportMailRoutes(): Router {
  const r = Router();
  r.post('/projects/:id/report/email', requireAuth, reportMail.create); // scoped: project members
  return r;
}
