import pg from 'pg';
import type { Logger } from 'pino';
import { applyChange, CHANGES_CHANNEL, decodeChange } from './changes.ts';

/**
 * This process's ear for changes announced by other processes (`changes.ts`): one connection of
 * its own, outside the pool, that LISTENs on the changes channel. When it loses the connection it
 * reconnects with a growing delay; whatever it may have missed meanwhile is covered by emptying the
 * caches once it listens again (until then the caches' TTL bounds how stale they can get).
 *
 * Needs a direct or session-mode connection: LISTEN does not work through a transaction-mode pooler.
 */
export interface ChangeFeed {
  /** True while the connection is up and listening. */
  listening(): boolean;
  /** Resolves once the feed listens (at once when it already does). */
  whenListening(): Promise<void>;
  stop(): Promise<void>;
}

export const FEED_APPLICATION_NAME = 'steward-changes';
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

export async function startChangeFeed(url: string, log: Logger): Promise<ChangeFeed> {
  let client: pg.Client | null = null;
  let stopped = false;
  let retryMs = FIRST_RETRY_MS;
  let timer: NodeJS.Timeout | null = null;
  let waiters: (() => void)[] = [];

  const lost = (c: pg.Client, err?: Error) => {
    if (client !== c) return;
    client = null;
    c.removeAllListeners('notification');
    c.end().catch(() => {});
    if (stopped) return;
    log.warn({ err: err?.message, retryInMs: retryMs }, 'change feed lost its connection');
    schedule();
  };

  const schedule = () => {
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };

  const connect = async () => {
    const c = new pg.Client({
      connectionString: url,
      application_name: FEED_APPLICATION_NAME,
      // A database that does not answer is retried later rather than waited on.
      connectionTimeoutMillis: 5_000,
    });
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    c.on('notification', (msg) => {
      if (msg.channel !== CHANGES_CHANNEL || msg.payload === undefined) return;
      const change = decodeChange(msg.payload);
      if (change) applyChange(change);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      c.removeAllListeners();
      c.on('error', () => {});
      await c.end().catch(() => {});
      if (stopped) return;
      log.warn({ err: (err as Error).message, retryInMs: retryMs }, 'change feed could not listen');
      schedule();
      return;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    retryMs = FIRST_RETRY_MS;
    // Changes committed while nobody here was listening are unknown: forget everything once.
    applyChange(null);
    for (const wake of waiters) wake();
    waiters = [];
  };

  await connect();
  return {
    listening: () => client !== null,
    whenListening: () => (client ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      for (const wake of waiters) wake();
      waiters = [];
      if (c) {
        c.removeAllListeners('notification');
        await c.end().catch(() => {});
      }
    },
  };
}
