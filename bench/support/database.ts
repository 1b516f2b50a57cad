/**
 * A throwaway database for one bench run, on BENCH_DATABASE_URL or DATABASE_URL, or on an embedded
 * PostgreSQL of its own when neither is set. Must not import anything that reads the app config:
 * the caller sets DATABASE_URL from our answer before the first app module is loaded.
 */
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';

export interface BenchDatabase {
  /** Where the app should connect. */
  url: string;
  /** A short description of the server, without credentials. */
  server: string;
  /** Drops the database and stops the embedded server when we started one. */
  drop(): Promise<void>;
}

const EMBEDDED_PORT = 54331;

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function describe(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}`;
}

export async function createBenchDatabase(root: string): Promise<BenchDatabase> {
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
  let adminUrl: string;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let server: string;
  if (serverUrl) {
    adminUrl = serverUrl;
    server = describe(serverUrl);
  } else {
    const { startEmbeddedPostgres } = await import('../../app/db/embedded.ts');
    const embedded = await startEmbeddedPostgres({
      dir: path.join(root, '.data', 'bench-pg'),
      port: EMBEDDED_PORT,
      database: 'steward_bench_admin',
      log: pino({ level: 'silent' }),
    });
    adminUrl = embedded.url;
    stopEmbedded = embedded.stop;
    server = `embedded PostgreSQL on 127.0.0.1:${EMBEDDED_PORT}`;
  }

  const name = `steward_bench_${process.pid}`;
  // A run killed before its cleanup leaves its database behind; a reused pid would collide with it.
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  let dropped = false;
  return {
    url: url.toString(),
    server: `${server}, database ${name}`,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await stopEmbedded?.();
      }
    },
  };
}
