import type { Request, Response } from 'express';
import { z } from 'zod';
import { NotFound } from '../errors.ts';
import { Notification } from '../models/notification.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import { toPayload } from '../services/notifications.ts';
import { idParam } from '../validators/common.ts';
import { localPath, signedInUser } from './signed-in.ts';

/** The signed-in user's own notifications: every lookup is by id and user, so others' are a 404. */

const PER_PAGE = 25;
const pageSchema = z.object({ page: z.coerce.number().int().min(1).max(100_000).catch(1) });

// GET /notifications
export async function index(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const { page } = pageSchema.parse(req.query);
  const [{ rows, count }, unread, timeZone] = await Promise.all([
    Notification.findAndCountAll({
      where: { userId: user.id },
      order: [
        ['createdAt', 'DESC'],
        ['id', 'DESC'],
      ],
      limit: PER_PAGE,
      offset: (page - 1) * PER_PAGE,
    }),
    Notification.count({ where: { userId: user.id, readAt: null } }),
    tenantTimeZone(),
  ]);
  res.render('notifications/index', {
    title: 'Notifications',
    notifications: rows.map((n) => ({
      ...toPayload(n),
      read: n.readAt !== null,
      when: formatDateTime(n.createdAt, timeZone),
    })),
    total: count,
    unread,
    page,
    pages: Math.max(1, Math.ceil(count / PER_PAGE)),
    pageUrl: (n: number) => `/notifications?page=${n}`,
  });
}

// GET /notifications/unread.json: the bell's count and its drop-down.
export async function unread(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const [count, latest] = await Promise.all([
    Notification.count({ where: { userId: user.id, readAt: null } }),
    Notification.findAll({
      where: { userId: user.id },
      order: [
        ['createdAt', 'DESC'],
        ['id', 'DESC'],
      ],
      limit: 5,
    }),
  ]);
  res.set('Cache-Control', 'no-store');
  res.json({ count, latest: latest.map((n) => ({ ...toPayload(n), read: n.readAt !== null })) });
}

// POST /notifications/:id/read: then on to the notification's page when asked (`next`).
export async function read(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const notification = await Notification.findOne({ where: { id: idParam(req.params.id), userId: user.id } });
  if (!notification) throw new NotFound();
  if (!notification.readAt) await notification.update({ readAt: new Date() });
  if (req.accepts(['html', 'json']) === 'json') {
    res.json({ id: String(notification.id), read: true });
    return;
  }
  res.redirect(localPath(req.body?.next) ?? '/notifications');
}

// POST /notifications/read-all
export async function readAll(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const [marked] = await Notification.update(
    { readAt: new Date() },
    { where: { userId: user.id, readAt: null } },
  );
  if (req.accepts(['html', 'json']) === 'json') {
    res.json({ marked });
    return;
  }
  req.flash('success', marked ? 'Every notification is marked as read.' : 'Nothing was unread.');
  res.redirect('/notifications');
}
