import { Router } from 'express';
import { config } from '../../config/index.ts';
import * as adjustments from '../controllers/admin/adjustments.controller.ts';
import * as dashboard from '../controllers/admin/dashboard.controller.ts';
import * as jobRuns from '../controllers/admin/job-runs.controller.ts';
import * as jobs from '../controllers/admin/jobs.controller.ts';
import * as plans from '../controllers/admin/plans.controller.ts';
import * as queue from '../controllers/admin/queue.controller.ts';
import * as sessions from '../controllers/admin/sessions.controller.ts';
import * as tenantPlan from '../controllers/admin/tenant-plan.controller.ts';
import * as deletion from '../controllers/admin/tenants/deletion.controller.ts';
import * as domains from '../controllers/admin/tenants/domains.controller.ts';
import * as primaryDomain from '../controllers/admin/tenants/primary-domain.controller.ts';
import * as suspension from '../controllers/admin/tenants/suspension.controller.ts';
import * as tenants from '../controllers/admin/tenants.controller.ts';
import * as tokens from '../controllers/admin/tokens.controller.ts';
import * as topUps from '../controllers/admin/top-ups.controller.ts';
import { requireAdmin } from '../middleware/auth.ts';
import { attemptLimit } from '../middleware/rate-limit.ts';

/**
 * The platform admin area, mounted at /admin on the root domain only (tenant hosts never reach it).
 * Every page but sign-in and sign-out needs a signed-in platform admin.
 */
export function adminRoutes(): Router {
  const r = Router();
  r.get('/login', sessions.newSession);
  r.post('/login', attemptLimit('admin-login', config.LOGIN_RATE_LIMIT), sessions.create);
  r.post('/logout', sessions.destroy);

  r.get('/', requireAdmin, dashboard.show);

  r.get('/tenants', requireAdmin, tenants.index);
  r.get('/tenants/new', requireAdmin, tenants.newTenant);
  r.post('/tenants', requireAdmin, tenants.create);
  r.get('/tenants/:id', requireAdmin, tenants.show);
  r.post('/tenants/:id/domains', requireAdmin, domains.create);
  r.post('/tenants/:id/domains/:domainId/delete', requireAdmin, domains.destroy);
  r.post('/tenants/:id/domains/:domainId/primary', requireAdmin, primaryDomain.create);
  r.post('/tenants/:id/suspension', requireAdmin, suspension.create);
  r.post('/tenants/:id/suspension/delete', requireAdmin, suspension.destroy);
  r.get('/tenants/:id/delete', requireAdmin, deletion.newDeletion);
  r.post('/tenants/:id/delete', requireAdmin, deletion.create);

  r.get('/plans', requireAdmin, plans.index);
  r.get('/plans/:id/edit', requireAdmin, plans.edit);
  r.post('/plans/:id', requireAdmin, plans.update);

  r.post('/tenants/:id/top-ups', requireAdmin, topUps.create);
  r.post('/tenants/:id/adjustments', requireAdmin, adjustments.create);
  r.post('/tenants/:id/plan', requireAdmin, tenantPlan.update);
  r.get('/jobs', requireAdmin, jobs.index);
  r.post('/jobs/:name/run', requireAdmin, jobRuns.create);
  r.get('/queue', requireAdmin, queue.index);
  r.post('/queue/:queue/jobs/:id/retry', requireAdmin, queue.retry);
  r.post('/queue/:queue/jobs/:id/delete', requireAdmin, queue.destroy);

  r.get('/tokens', requireAdmin, tokens.index);
  r.post('/tokens', requireAdmin, tokens.create);
  r.post('/tokens/:tokenId/delete', requireAdmin, tokens.destroy);
  return r;
}
