import { currentTransaction } from '../db/transaction-context.ts';
import { log } from '../logger.ts';
import { Notification } from '../models/notification.ts';
import { requireTenant } from '../tenancy/context.ts';

/**
 * Notifications: saved in the tenant's `notifications` table first, then pushed to the user's open
 * pages through the publisher the socket server installs (none in the clock process or in tests
 * that do not need it). A notification made inside a transaction is pushed only after it commits.
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
let publisher: Publisher | null = null;

/** Installs the function that pushes to socket rooms (the web process's socket server). */
export function setPublisher(fn: Publisher | null): void {
  publisher = fn;
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
    publisher?.(room, payload);
  } catch (err) {
    log().warn({ err, room }, 'notification push failed; it stays in the list');
  }
}
