/** Root hooks: create, migrate and finally drop the throwaway test database. */

import path from 'node:path';
import pg from 'pg';
import { closeDatabase, connectDatabase } from '../../app/db/database.ts';
import { startEmbeddedPostgres } from '../../app/db/embedded.ts';
import { migratePublic } from '../../app/db/migrator.ts';
import { closeRedis, connectRedis } from '../../app/db/redis.ts';
import { rootLogger } from '../../app/logger.ts';
import { closeSessionStore } from '../../app/middleware/session.ts';
import { config } from '../../config/index.ts';
import { mailbox } from './mailbox.ts';

// Set by env.mjs, preloaded before any module reads its configuration.
const adminUrl = process.env.STEWARD_TEST_ADMIN_URL ?? '';
const testDbName = process.env.STEWARD_TEST_DB ?? '';
const embeddedPort = Number(process.env.STEWARD_TEST_EMBEDDED_PORT || 0);

let stopEmbedded: (() => Promise<void>) | null = null;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
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
    await admin(`CREATE DATABASE "${testDbName}"`);
    connectDatabase({ url: config.DATABASE_URL ?? '', poolMax: config.DB_POOL_MAX });
    await migratePublic();
    await connectRedis().catch(() => null);
    await mailbox.start(Number(process.env.STEWARD_TEST_SMTP_PORT));
  },

  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await mailbox.stop();
    await closeSessionStore();
    await closeRedis().catch(() => {});
    await closeDatabase();
    await admin(`DROP DATABASE IF EXISTS "${testDbName}" WITH (FORCE)`);
    await stopEmbedded?.();
  },
};
