import { Router } from 'express';
import { collaborationRoutes } from './collaboration.ts';
import { financeRoutes } from './finance.ts';
import { groupsRoutes } from './groups.ts';
import { membersRoutes } from './members.ts';
import { notificationsRoutes } from './notifications.ts';
import { projectsRoutes } from './projects.ts';
import { reportMailRoutes } from './report-mail.ts';
import { tenantRoutes } from './tenant.ts';
import { workRoutes } from './work.ts';

/** Everything a tenant's host serves, area by area. */
export function tenantRouter(): Router {
  const r = Router();
  r.use(tenantRoutes());
  r.use(membersRoutes());
  r.use(groupsRoutes());
  r.use(financeRoutes());
  r.use(projectsRoutes());
  r.use(collaborationRoutes());
  r.use(workRoutes());
  r.use(reportMailRoutes());
  r.use(notificationsRoutes());
  return r;
}
