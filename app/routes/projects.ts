import { Router } from 'express';

/** The projects, their members and tasks of a tenant's host. Each line names the access it needs. */
export function projectsRoutes(): Router {
  const r = Router();
  return r;
}
