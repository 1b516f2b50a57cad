/**
 * Servers a fault test owns and may stop: a PostgreSQL cluster in a temporary directory, a
 * redis-server, and the web app itself in a child process (so a crash is seen as an exit, and
 * "the same process serves again" is a pid that did not change). Never the machine's shared ones.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { config } from '../../config/index.ts';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Every child this file started, so a failed or interrupted run still stops them. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntil(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface OwnPostgres {
  url(database: string): string;
  /** Runs one statement as the superuser on the maintenance database. */
  sql<R extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** A PostgreSQL 15 cluster of the test's own on a free port (as the postgres user when run as root). */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'steward-fault-pg-'));
  const asRoot = process.getuid?.() === 0;
  const pgRun = (bin: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args])
      : run(path.join(PG_BIN, bin), args);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    chownSync(dir, uid, uid);
  }
  const data = path.join(dir, 'data');
  await pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off`;
  const start = () =>
    pgRun('pg_ctl', ['-D', data, '-o', options, '-w', '-l', path.join(dir, 'log'), 'start']);
  await start();
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let running = true;
  return {
    url,
    async sql<R extends pg.QueryResultRow>(text: string, params: unknown[] = []) {
      const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2000 });
      client.on('error', () => {});
      await client.connect();
      try {
        return (await client.query<R>(text, params)).rows;
      } finally {
        await client.end().catch(() => {});
      }
    },
    async stop() {
      await pgRun('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface OwnRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung Redis). */
  pause(): void;
  resume(): void;
}

function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
    s.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
  });
}

/** A redis-server of the test's own on a free port, without persistence. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const c = spawn(
      'redis-server',
      ['--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      {
        stdio: 'ignore',
      },
    );
    children.add(c);
    c.once('exit', () => children.delete(c));
    child = c;
    await waitUntil('redis-server answering', 5000, () => redisAnswers(port));
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      c.kill('SIGCONT');
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await exited;
    },
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}

export interface AppProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  /** The tenant's host and a super admin who can sign in there. */
  host: string;
  email: string;
  /** What the process printed, for failure messages. */
  output(): string;
  /** Null while it runs; how it ended otherwise. */
  exit(): { code: number | null; signal: string | null } | null;
  stop(): Promise<void>;
}

/** Starts the web app (test/faults/serve-app.ts) with these settings and waits until it listens. */
export async function startApp(env: { DATABASE_URL: string; REDIS_URL?: string }): Promise<AppProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(config.root, 'test/faults/serve-app.ts')],
    {
      cwd: config.root,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: env.DATABASE_URL,
        REDIS_URL: env.REDIS_URL ?? '',
        SESSION_SECRET: 'fault-tests-session-secret-0123456789abcdef',
        TENANT_CACHE_TTL_MS: '60000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let output = '';
  let exit: { code: number | null; signal: string | null } | null = null;
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      children.delete(child);
      resolve();
    }),
  );
  await waitUntil('the app listening', 30_000, async () => {
    if (exit) throw new Error(`The app exited before listening (${JSON.stringify(exit)}):\n${output}`);
    return /^listening /m.test(output);
  });
  const ready = JSON.parse((/^listening (.*)$/m.exec(output) as RegExpExecArray)[1]) as {
    port: number;
    host: string;
    email: string;
  };
  return {
    url: `http://127.0.0.1:${ready.port}`,
    pid: child.pid ?? 0,
    host: ready.host,
    email: ready.email,
    output: () => output,
    exit: () => exit,
    async stop() {
      if (!exit) child.kill('SIGKILL');
      await exited;
    },
  };
}
