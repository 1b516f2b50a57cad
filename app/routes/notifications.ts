import { Router } from 'express';
import * as notifications from '../controllers/notifications.controller.ts';
import { requireAuth } from '../middleware/auth.ts';

/** A signed-in user's own notifications. Each line names the access it needs. */
export function notificationsRoutes(): Router {
  const r = Router();
  r.get('/notifications', requireAuth, notifications.index); // scoped: own notifications
  r.get('/notifications/unread.json', requireAuth, notifications.unread); // scoped: own notifications
  r.post('/notifications/read-all', requireAuth, notifications.readAll); // scoped: own notifications
  r.post('/notifications/:id/read', requireAuth, notifications.read); // scoped: own notifications
  return r;
}
