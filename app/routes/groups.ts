import { Router } from 'express';

/** The groups area of a tenant's host. Each line names the access it needs. */
export function groupsRoutes(): Router {
  const r = Router();
  return r;
}
