/** Root hooks: create, migrate and finally drop the throwaway test database. */

import path from 'node:path';
import pg from 'pg';
import { closeDatabase, connectDatabase } from '../../app/db/database.ts';
import { startEmbeddedPostgres } from '../../app/db/embedded.ts';
import { migratePublic } from '../../app/db/migrator.ts';
import { closeRedis, connectRedis } from '../../app/db/redis.ts';
import { rootLogger } from '../../app/logger.ts';
import { closeSessionStore } from '../../app/middleware/session.ts';
import '../../app/queue/registry.ts';
import { startQueue, stopQueue } from '../../app/queue/queue.ts';
import { config } from '../../config/index.ts';
import { mailbox } from './mailbox.ts';

// Set by env.mjs, preloaded before any module reads its configuration.
const adminUrl = process.env.STEWARD_TEST_ADMIN_URL ?? '';
const testDbName = process.env.STEWARD_TEST_DB ?? '';
const embeddedPort = Number(process.env.STEWARD_TEST_EMBEDDED_PORT || 0);

let stopEmbedded: (() => Promise<void>) | null = null;

async function admin<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Resolves with the step's outcome, or rejects once `ms` have passed without one. */
function bounded<T>(what: string, ms: number, step: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([step, limit]).finally(() => clearTimeout(timer));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Drops the test databases an earlier run on this machine left behind (its teardown timed out, or
 * it was killed): their names carry the pid of the run that made them, and a run whose process is
 * gone owns nothing. A database that will not go now is left for the next run.
 */
async function dropLeftoverDatabases(): Promise<void> {
  const rows = await admin<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'steward\\_test\\_%'",
  );
  for (const { datname } of rows) {
    const match = /^steward_test_(\d+)_[0-9a-f]+$/.exec(datname);
    if (!match || datname === testDbName || processAlive(Number(match[1]))) continue;
    await bounded(
      `dropping the leftover test database ${datname}`,
      15_000,
      admin(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`),
    ).catch((err: Error) => console.warn(`  (left for the next run: ${err.message})`));
  }
}

/** Runs a teardown step within its bound; a step that fails or overruns is reported, not fatal. */
async function teardownStep(what: string, ms: number, step: () => Promise<unknown>): Promise<void> {
  try {
    await bounded(what, ms, step());
  } catch (err) {
    console.warn(`  teardown: ${(err as Error).message}`);
  }
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    if (!adminUrl || !testDbName)
      throw new Error('test/support/env.mjs was not preloaded (see .mocharc.json)');
    if (embeddedPort) {
      const server = await startEmbeddedPostgres({
        dir: path.join(config.root, '.data', 'test-pg'),
        port: embeddedPort,
        database: 'postgres',
        log: rootLogger,
      });
      stopEmbedded = server.stop;
    }
    await dropLeftoverDatabases();
    await admin(`CREATE DATABASE "${testDbName}"`);
    connectDatabase({ url: config.DATABASE_URL ?? '', poolMax: config.DB_POOL_MAX });
    await migratePublic();
    await connectRedis().catch(() => null);
    await mailbox.start(Number(process.env.STEWARD_TEST_SMTP_PORT));
    await startQueue({ databaseUrl: config.DATABASE_URL ?? '', work: true });
  },

  async afterAll(this: Mocha.Context) {
    // Every step is bounded so the run ends on a loaded machine; what is left behind (the test
    // database at worst) is dropped by the next run's dropLeftoverDatabases.
    this.timeout(90_000);
    await teardownStep('stopping the job queue', 15_000, () => stopQueue(5_000));
    await teardownStep('stopping the test mailbox', 5_000, () => mailbox.stop());
    await teardownStep('closing the session store', 5_000, () => closeSessionStore());
    await teardownStep('closing Redis', 5_000, () => closeRedis());
    await teardownStep('closing the database pool', 10_000, () => closeDatabase());
    await teardownStep('dropping the test database', 30_000, () =>
      admin(`DROP DATABASE IF EXISTS "${testDbName}" WITH (FORCE)`),
    );
    if (stopEmbedded) await teardownStep('stopping the embedded PostgreSQL', 30_000, stopEmbedded);
  },
};
