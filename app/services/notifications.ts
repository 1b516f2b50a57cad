import { currentTransaction } from '../db/transaction-context.ts';
import { NotFound } from '../errors.ts';
import { log } from '../logger.ts';
import { Notification } from '../models/notification.ts';
import { relayPublish } from '../realtime/relay.ts';
import { requireTenant } from '../tenancy/context.ts';
import { idParam } from '../validators/common.ts';

/**
 * Notifications: saved in the tenant's `notifications` table first, then pushed to the user's open
 * pages. A web process's socket server installs its publisher; a process without one (the clock,
 * the worker, the CLI) pushes through the relay (`app/realtime/relay.ts`) to the web processes.
 * A notification made inside a transaction is pushed only after it commits.
 */
export const NOTIFICATION_KINDS = [
  'task.assigned',
  'task.commented',
  'task.mentioned',
  'task.overdue',
  'task.due_soon',
  'group.member_added',
  'billing.low_credit',
  'billing.past_due',
  'job.failed',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface NotificationInput {
  userId: string;
  kind: NotificationKind;
  title: string;
  body?: string | null;
  /** A path on the tenant's host, e.g. `/tasks/42`. */
  url?: string | null;
  /** At most one notification per user and key, e.g. `task:42:overdue`. */
  dedupeKey?: string | null;
}

/** What a page receives for one notification. */
export interface NotificationPayload {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  url: string | null;
  createdAt: string;
}

export type Publisher = (room: string, payload: NotificationPayload) => void;

/** Without a socket server in this process: to the web processes, through Redis or PostgreSQL. */
const relay: Publisher = (room, payload) => relayPublish(room, 'notification', { ...payload });
let publisher: Publisher = relay;

/**
 * Installs the function that pushes to socket rooms (the web process's socket server); null puts
 * back the relay to the web processes.
 */
export function setPublisher(fn: Publisher | null): void {
  publisher = fn ?? relay;
}

/** The socket room of one user of one tenant. */
export function userRoom(tenantId: string, userId: string): string {
  return `t:${tenantId}:u:${userId}`;
}

export function toPayload(n: Notification): NotificationPayload {
  return {
    id: String(n.id),
    kind: n.kind,
    title: n.title,
    body: n.body,
    url: n.url,
    createdAt: n.createdAt.toISOString(),
  };
}

/**
 * Saves a notification for a user of the current tenant and pushes it to their open pages.
 * Returns null when one with the same `dedupeKey` already exists for that user.
 */
export async function notify(input: NotificationInput): Promise<Notification | null> {
  const tenant = requireTenant();
  const [row] = await Notification.bulkCreate(
    [
      {
        userId: input.userId,
        kind: input.kind,
        title: input.title.slice(0, 200),
        body: input.body?.slice(0, 1000) ?? null,
        url: input.url ?? null,
        dedupeKey: input.dedupeKey ?? null,
      },
    ],
    { ignoreDuplicates: true, returning: true },
  );
  if (!row?.id) return null;
  const push = () => publish(userRoom(tenant.id, input.userId), toPayload(row));
  const transaction = currentTransaction();
  if (transaction) transaction.afterCommit(push);
  else push();
  return row;
}

function publish(room: string, payload: NotificationPayload): void {
  try {
    publisher(room, payload);
  } catch (err) {
    log().warn({ err, room }, 'notification push failed; it stays in the list');
  }
}

/** A user's own notifications, newest first; `unread` keeps only those not yet read. */
export async function notificationsOf(
  userId: string,
  opts: { limit: number; offset: number; unread?: boolean },
): Promise<{ rows: Notification[]; total: number }> {
  const { rows, count } = await Notification.findAndCountAll({
    where: { userId, ...(opts.unread ? { readAt: null } : {}) },
    order: [
      ['createdAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit: opts.limit,
    offset: opts.offset,
  });
  return { rows, total: count };
}

/** How many of the user's notifications are unread. */
export function unreadCount(userId: string): Promise<number> {
  return Notification.count({ where: { userId, readAt: null } });
}

/** Marks one of the user's own notifications read (404 for anyone else's); reading it again changes nothing. */
export async function markRead(userId: string, rawId: unknown): Promise<Notification> {
  const notification = await Notification.findOne({ where: { id: idParam(rawId), userId } });
  if (!notification) throw new NotFound();
  if (!notification.readAt) await notification.update({ readAt: new Date() });
  return notification;
}

/** Marks every unread notification of the user read; how many were. */
export async function markAllRead(userId: string): Promise<number> {
  const [marked] = await Notification.update({ readAt: new Date() }, { where: { userId, readAt: null } });
  return marked;
}
