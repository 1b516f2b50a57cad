import { Router } from 'express';

/** The comments and attachments on tasks of a tenant's host. Each line names the access it needs. */
export function collaborationRoutes(): Router {
  const r = Router();
  return r;
}
