import { Router } from 'express';
import * as activity from '../controllers/work/activity.controller.ts';
import * as dashboard from '../controllers/work/dashboard.controller.ts';
import * as projectActivity from '../controllers/work/project-activity.controller.ts';
import * as report from '../controllers/work/report.controller.ts';
import * as reportExport from '../controllers/work/report-export.controller.ts';
import * as reportFile from '../controllers/work/report-file.controller.ts';
import * as reportRuns from '../controllers/work/report-runs.controller.ts';
import * as taskActivity from '../controllers/work/task-activity.controller.ts';
import { requireAuth } from '../middleware/auth.ts';

/** The work dashboard, activity feeds and project reports of a tenant's host. Each line names the access it needs. */
export function workRoutes(): Router {
  const r = Router();
  r.get('/work', requireAuth, dashboard.show); // scoped: project members
  r.get('/activity', requireAuth, activity.index); // scoped: project members; other records need audit.view
  r.get('/projects/:id/activity', requireAuth, projectActivity.index); // scoped: project members
  r.get('/tasks/:id/activity', requireAuth, taskActivity.index); // scoped: project members
  r.get('/projects/:id/report', requireAuth, report.show); // scoped: project members
  r.get('/projects/:id/report.csv', requireAuth, reportExport.show); // scoped: project members
  r.post('/projects/:id/reports', requireAuth, reportRuns.create); // scoped: project members
  r.get('/projects/:id/reports/:reportId', requireAuth, reportRuns.show); // scoped: project members
  r.get('/projects/:id/reports/:reportId/file', requireAuth, reportFile.show); // scoped: project members
  return r;
}
