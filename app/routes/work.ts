import { Router } from 'express';

/** The work dashboard, activity feeds and project reports of a tenant's host. Each line names the access it needs. */
export function workRoutes(): Router {
  const r = Router();
  return r;
}
