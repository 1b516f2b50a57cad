import { Router } from 'express';

/** The finance area of a tenant's host. Each line names the access it needs. */
export function financeRoutes(): Router {
  const r = Router();
  return r;
}
