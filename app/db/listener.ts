/**
 * A connection of a process's own, outside the pool, that LISTENs on one channel and keeps
 * listening: when the connection is lost it reconnects with a growing delay (250 ms doubling to
 * 10 s). Used by the change feed (cache invalidation) and the notification relay.
 *
 * Needs a direct or session-mode connection: LISTEN does not work through a transaction-mode pooler.
 */
import pg from 'pg';
import type { Logger } from 'pino';

export interface Listener {
  /** True while the connection is up and listening. */
  listening(): boolean;
  /** Resolves once it listens (at once when it already does, or once it is stopped). */
  whenListening(): Promise<void>;
  stop(): Promise<void>;
}

export interface ListenOptions {
  url: string;
  /** A channel name this code chose (not user input): it is written into the LISTEN statement. */
  channel: string;
  applicationName: string;
  log: Logger;
  /** What the log lines call it ("change feed"). */
  what: string;
  onPayload(payload: string): void;
  /** Called each time it listens again after a (re)connection. */
  onListening?(): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

export async function listen(opts: ListenOptions): Promise<Listener> {
  const { url, channel, applicationName, log, what } = opts;
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let client: pg.Client | null = null;
  let stopped = false;
  let retryMs = FIRST_RETRY_MS;
  let timer: NodeJS.Timeout | null = null;
  let waiters: (() => void)[] = [];

  const wakeWaiters = () => {
    for (const wake of waiters) wake();
    waiters = [];
  };

  const lost = (c: pg.Client, err?: Error) => {
    if (client !== c) return;
    client = null;
    c.removeAllListeners('notification');
    c.end().catch(() => {});
    if (stopped) return;
    log.warn({ err: err?.message, retryInMs: retryMs }, `${what} lost its connection`);
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
      application_name: applicationName,
      // A database that does not answer is retried later rather than waited on.
      connectionTimeoutMillis: 5_000,
    });
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    c.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) opts.onPayload(msg.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (err) {
      c.removeAllListeners();
      c.on('error', () => {});
      await c.end().catch(() => {});
      if (stopped) return;
      log.warn({ err: (err as Error).message, retryInMs: retryMs }, `${what} could not listen`);
      schedule();
      return;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    retryMs = FIRST_RETRY_MS;
    opts.onListening?.();
    wakeWaiters();
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
      wakeWaiters();
      if (c) {
        c.removeAllListeners('notification');
        await c.end().catch(() => {});
      }
    },
  };
}
