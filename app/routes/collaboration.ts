import { Router } from 'express';
import * as attachments from '../controllers/attachments.controller.ts';
import * as comments from '../controllers/comments.controller.ts';
import { requireAuth } from '../middleware/auth.ts';

/** The comments and attachments on tasks of a tenant's host. Each line names the access it needs. */
export function collaborationRoutes(): Router {
  const r = Router();
  r.get('/tasks/:taskId/comments', requireAuth, comments.index); // scoped: project members
  r.post('/tasks/:taskId/comments', requireAuth, comments.create); // scoped: project members
  r.post('/tasks/:taskId/comments/:id', requireAuth, comments.update); // scoped: project members
  r.post('/tasks/:taskId/comments/:id/delete', requireAuth, comments.destroy); // scoped: project members

  r.get('/tasks/:taskId/attachments', requireAuth, attachments.index); // scoped: project members
  r.post('/tasks/:taskId/attachments', requireAuth, attachments.create); // scoped: project members
  r.get('/tasks/:taskId/attachments/:id', requireAuth, attachments.show); // scoped: project members
  r.post('/tasks/:taskId/attachments/:id/delete', requireAuth, attachments.destroy); // scoped: project members
  return r;
}
