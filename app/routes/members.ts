import { Router } from 'express';

/** The members area of a tenant's host. Each line names the access it needs. */
export function membersRoutes(): Router {
  const r = Router();
  return r;
}
