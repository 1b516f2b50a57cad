import type { Request, Response } from 'express';
import { z } from 'zod';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import { markAllRead, markRead, notificationsOf, toPayload, unreadCount } from '../services/notifications.ts';
import { localPath, signedInUser } from './signed-in.ts';

/** The signed-in user's own notifications: every lookup is by id and user, so others' are a 404. */

const PER_PAGE = 25;
const pageSchema = z.object({ page: z.coerce.number().int().min(1).max(100_000).catch(1) });

// GET /notifications
export async function index(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { page } = pageSchema.parse(req.query);
  const [{ rows, total }, unread, timeZone] = await Promise.all([
    notificationsOf(user.id, { limit: PER_PAGE, offset: (page - 1) * PER_PAGE }),
    unreadCount(user.id),
    tenantTimeZone(),
  ]);
  res.render('notifications/index', {
    title: 'Notifications',
    notifications: rows.map((n) => ({
      ...toPayload(n),
      read: n.readAt !== null,
      when: formatDateTime(n.createdAt, timeZone),
    })),
    total,
    unread,
    page,
    pages: Math.max(1, Math.ceil(total / PER_PAGE)),
    pageUrl: (n: number) => `/notifications?page=${n}`,
  });
}

// GET /notifications/unread.json: the bell's count and its drop-down.
export async function unread(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const [count, latest] = await Promise.all([
    unreadCount(user.id),
    notificationsOf(user.id, { limit: 5, offset: 0 }),
  ]);
  res.set('Cache-Control', 'no-store');
  res.json({ count, latest: latest.rows.map((n) => ({ ...toPayload(n), read: n.readAt !== null })) });
}

// POST /notifications/:id/read: then on to the notification's page when asked (`next`).
export async function read(req: Request, res: Response): Promise<void> {
  const notification = await markRead(signedInUser(req).id, req.params.id);
  if (req.accepts(['html', 'json']) === 'json') {
    res.json({ id: String(notification.id), read: true });
    return;
  }
  res.redirect(localPath(req.body?.next) ?? '/notifications');
}

// POST /notifications/read-all
export async function readAll(req: Request, res: Response): Promise<void> {
  const marked = await markAllRead(signedInUser(req).id);
  if (req.accepts(['html', 'json']) === 'json') {
    res.json({ marked });
    return;
  }
  req.flash('success', marked ? 'Every notification is marked as read.' : 'Nothing was unread.');
  res.redirect('/notifications');
}
