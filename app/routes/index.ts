import { Router } from 'express';
import { financeRoutes } from './finance.ts';
import { groupsRoutes } from './groups.ts';
import { membersRoutes } from './members.ts';
import { tenantRoutes } from './tenant.ts';

/** Everything a tenant's host serves, area by area. */
export function tenantRouter(): Router {
  const r = Router();
  r.use(tenantRoutes());
  r.use(membersRoutes());
  r.use(groupsRoutes());
  r.use(financeRoutes());
  return r;
}
