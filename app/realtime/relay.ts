import { randomUUID } from 'node:crypto';
import { Emitter } from '@socket.io/redis-emitter';
import type { Logger } from 'pino';
import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { type Listener, listen } from '../db/listener.ts';
import { type RedisClient, redisClient } from '../db/redis.ts';
import { rootLogger } from '../logger.ts';

/**
 * How a notification made in one process reaches the open pages of every web process.
 *
 * - With REDIS_URL, the web processes' socket servers share events through the Redis adapter, and a
 *   process without a socket server (the clock, the worker, the CLI) publishes into the same channels
 *   through the Redis emitter.
 * - Without Redis, every process sends `NOTIFY steward_notifications` (the room, the event, the
 *   payload), and every web process LISTENs on a connection of its own and emits to its local sockets.
 *   A web process that made the notification has already emitted it, so it skips its own messages.
 *
 * A message names exactly one room (`t:<tenant id>:u:<user id>`) and is emitted to that room only.
 * What is relayed is a copy: the notification itself is saved before, and a page that misses the live
 * push (no listener for a moment, Redis away) finds it in the list.
 */
export const NOTIFICATIONS_CHANNEL = 'steward_notifications';
export const RELAY_APPLICATION_NAME = 'steward-notifications';

/** The events a relay carries; a message naming anything else is dropped. */
const RELAYED_EVENTS = new Set(['notification']);
/** A socket room of one user of one tenant, as `userRoom` writes it. */
const ROOM = /^t:[0-9]{1,20}:u:[0-9]{1,20}$/;
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
const MAX_NOTIFY_BYTES = 7900;

export interface RelayMessage {
  /** Who sent it: a web process ignores what it sent itself. */
  origin: string;
  room: string;
  event: string;
  data: Record<string, unknown>;
}

/** A name for one sender (a socket server, or this process when it has none). */
export function newOrigin(): string {
  return randomUUID();
}

const processOrigin = newOrigin();

/**
 * The NOTIFY payload of a message, under PostgreSQL's limit. Only a body full of escaped characters
 * can reach it (a title, a body and a URL are at most 1,500 characters): such a body travels
 * shortened, and the saved notification keeps it whole.
 */
export function encodeRelayMessage(message: RelayMessage): string {
  const encode = (data: Record<string, unknown>) =>
    JSON.stringify({ o: message.origin, r: message.room, e: message.event, d: data });
  let text = encode(message.data);
  const body = message.data.body;
  let keep = typeof body === 'string' ? body.length : 0;
  while (keep > 0 && Buffer.byteLength(text) > MAX_NOTIFY_BYTES) {
    keep = Math.floor(keep / 2);
    text = encode({ ...message.data, body: keep ? `${(body as string).slice(0, keep)}…` : null });
  }
  return text;
}

/** A NOTIFY payload read back, or null when it is not a well-formed message for one room. */
export function decodeRelayMessage(raw: string): RelayMessage | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const { o, r, e, d } = parsed as Record<string, unknown>;
  if (typeof o !== 'string' || typeof r !== 'string' || typeof e !== 'string') return null;
  if (!ROOM.test(r) || !RELAYED_EVENTS.has(e)) return null;
  if (!d || typeof d !== 'object' || Array.isArray(d)) return null;
  return { origin: o, room: r, event: e, data: d as Record<string, unknown> };
}

// Sends still on their way, so a process about to exit can let them finish (flushRelay).
const inFlight = new Set<Promise<unknown>>();

function track(send: Promise<unknown>, room: string): void {
  const sent = send.catch((err: unknown) =>
    rootLogger.warn({ err, room }, 'relaying a notification failed; it stays in the list'),
  );
  inFlight.add(sent);
  void sent.finally(() => inFlight.delete(sent));
}

/** Waits (at most `ms`) until every notification handed to the relay has been sent. */
export async function flushRelay(ms = 2_000): Promise<void> {
  if (inFlight.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled([...inFlight]), limit]);
  clearTimeout(timer);
}

/** Sends a message to the web processes' listeners through `NOTIFY`. */
export function relayThroughDatabase(message: RelayMessage): void {
  try {
    // Outside any transaction: the caller's has committed already (or there is none), and a
    // NOTIFY made inside one would wait for it.
    const sent = db().query('SELECT pg_notify(:channel, :payload)', {
      replacements: { channel: NOTIFICATIONS_CHANNEL, payload: encodeRelayMessage(message) },
      transaction: null,
    });
    track(sent, message.room);
  } catch (err) {
    track(Promise.reject(err), message.room);
  }
}

// One emitter per shared client (a test or a reconnect may replace the client).
let emitter: { client: RedisClient; emitter: Emitter } | null = null;

function emitterFor(client: RedisClient): Emitter {
  if (emitter?.client !== client) {
    // The emitter publishes without waiting for the answer: each publish is tracked here, so a
    // Redis that is away is logged instead of failing the process with an unhandled rejection.
    const publisher = {
      publish: (channel: string, message: Buffer) => track(client.publish(channel, message), channel),
    };
    emitter = {
      client,
      emitter: new Emitter(publisher as never, { key: `${config.REDIS_PREFIX}socket.io` }),
    };
  }
  return emitter.emitter;
}

/** Sends an event to a room of every web process through the Redis emitter. */
export function relayThroughRedis(room: string, event: string, data: unknown): void {
  const client = redisClient();
  if (!client) {
    track(Promise.reject(new Error('REDIS_URL is set but Redis is not connected')), room);
    return;
  }
  emitterFor(client).to(room).emit(event, data);
}

/**
 * The publisher of a process without a socket server: Redis when REDIS_URL is set (the web
 * processes listen there through the adapter), PostgreSQL NOTIFY otherwise.
 */
export function relayPublish(room: string, event: string, data: Record<string, unknown>): void {
  if (config.REDIS_URL) relayThroughRedis(room, event, data);
  else relayThroughDatabase({ origin: processOrigin, room, event, data });
}

export type RelayListener = Listener;

/**
 * A web process's ear for notifications sent through NOTIFY: one connection of its own, outside the
 * pool, reconnecting with a growing delay when lost (as the change feed does). Messages sent by
 * `origin` are skipped: that socket server emitted them itself.
 *
 * Needs a direct or session-mode connection: LISTEN does not work through a transaction-mode pooler.
 */
export function startRelayListener(opts: {
  url: string;
  origin: string;
  log: Logger;
  deliver: (message: RelayMessage) => void;
}): Promise<RelayListener> {
  const { url, origin, log, deliver } = opts;
  return listen({
    url,
    channel: NOTIFICATIONS_CHANNEL,
    applicationName: RELAY_APPLICATION_NAME,
    log,
    what: 'notification relay',
    onPayload(payload) {
      const message = decodeRelayMessage(payload);
      if (!message) {
        log.warn({ channel: NOTIFICATIONS_CHANNEL }, 'ignored a malformed relayed notification');
        return;
      }
      if (message.origin === origin) return;
      try {
        deliver(message);
      } catch (err) {
        log.warn({ err, room: message.room }, 'delivering a relayed notification failed');
      }
    },
  });
}
