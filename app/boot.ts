import path from 'node:path';
import { config } from '../config/index.ts';
import { closeDatabase, connectDatabase } from './db/database.ts';
import { type EmbeddedServer, startEmbeddedPostgres } from './db/embedded.ts';
import { closeRedis, connectRedis } from './db/redis.ts';
import { rootLogger } from './logger.ts';
import { closeSessionStore } from './middleware/session.ts';
import './queue/registry.ts';
import { startQueue, stopQueue } from './queue/queue.ts';
import { flushRelay } from './realtime/relay.ts';
import { type ChangeFeed, startChangeFeed } from './tenancy/change-feed.ts';

export interface Booted {
  databaseUrl: string;
  embedded: boolean;
  shutdown(): Promise<void>;
}

export interface BootOptions {
  poolMax?: number;
  /** Long-running processes listen for tenant and settings changes made by other processes. */
  listenForChanges?: boolean;
  /**
   * The job queue: 'produce' (default) lets this process queue jobs; 'work' also runs them (the
   * worker process, and the web process when WORKER_IN_WEB); 'off' starts no queue.
   */
  queue?: 'produce' | 'work' | 'off';
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL (data in DATA_DIR) when it is unset;
 * connects Redis when REDIS_URL is set. Shared by the web server, the clock and the CLI.
 */
export async function boot(opts: BootOptions = {}): Promise<Booted> {
  let embedded: EmbeddedServer | null = null;
  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dir: path.join(config.dataDir, 'pg'),
      port: config.EMBEDDED_PG_PORT,
      database: 'steward',
      log: rootLogger,
    });
    url = embedded.url;
  }
  connectDatabase({ url, poolMax: opts.poolMax ?? config.DB_POOL_MAX, logSql: config.DB_LOG_SQL });
  await connectRedis();
  const feed: ChangeFeed | null = opts.listenForChanges ? await startChangeFeed(url, rootLogger) : null;
  if ((opts.queue ?? 'produce') !== 'off')
    await startQueue({ databaseUrl: url, work: opts.queue === 'work' });
  return {
    databaseUrl: url,
    embedded: embedded !== null,
    async shutdown() {
      await stopQueue().catch((err) => rootLogger.error({ err }, 'stopping the job queue failed'));
      // A push still on its way to the web processes goes out before the connections close.
      await flushRelay();
      await feed?.stop();
      await closeSessionStore();
      await closeRedis();
      await closeDatabase();
      await embedded?.stop();
    },
  };
}
