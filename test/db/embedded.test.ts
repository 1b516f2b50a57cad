import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../app/db/embedded.ts';
import { rootLogger } from '../../app/logger.ts';
import { config } from '../../config/index.ts';

const PORT = 54341;

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

function pidOf(dir: string): number {
  return Number.parseInt(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0], 10);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A process that starts the server on `port` and keeps running, as `npm start` would. */
async function spawnServer(dir: string, port: number): Promise<ChildProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/start-embedded.ts', dir, String(port)],
    {
      cwd: config.root,
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
  child.removeAllListeners('exit');
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

/** The server of a run that was killed: still running, with nobody left who owns it. */
async function leaveOrphan(dir: string, port: number): Promise<number> {
  await kill(await spawnServer(dir, port));
  return pidOf(dir);
}

/** The server of a running app, and a way to end both. */
async function startOwned(dir: string, port: number): Promise<{ stop(): Promise<void> }> {
  const child = await spawnServer(dir, port);
  return {
    async stop() {
      const pid = pidOf(dir);
      await kill(child);
      process.kill(pid, 'SIGINT');
      while (alive(pid)) await new Promise((r) => setTimeout(r, 100));
    },
  };
}

describe('the embedded PostgreSQL', function () {
  this.timeout(120_000);
  let root: string;
  let dir: string;

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'steward-pg-'));
    chmodSync(root, 0o755); // the server runs as the postgres user when we are root
    dir = path.join(root, 'pg');
  });

  after(() => {
    if (existsSync(path.join(dir, 'postmaster.pid'))) {
      const pid = pidOf(dir);
      if (alive(pid)) process.kill(pid, 'SIGQUIT');
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('initialises a cluster once, listens on 127.0.0.1, and keeps data across restarts', async () => {
    const first = await startEmbeddedPostgres({ dir, port: PORT, database: 'steward', log: rootLogger });
    expect(first.url).to.match(/@127\.0\.0\.1:54341\/steward$/);
    await query(first.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$still here$$)');
    const listen = await query(first.url, 'SHOW listen_addresses');
    expect(listen.rows[0].listen_addresses).to.equal('127.0.0.1');
    await first.stop();
    const version = readFileSync(path.join(dir, 'PG_VERSION'), 'utf8');
    const second = await startEmbeddedPostgres({ dir, port: PORT, database: 'steward', log: rootLogger });
    expect(readFileSync(path.join(dir, 'PG_VERSION'), 'utf8')).to.equal(version);
    expect((await query(second.url, 'SELECT v FROM kept')).rows[0].v).to.equal('still here');
    await second.stop();
  });

  it('recovers from a stale postmaster.pid whose process is gone', async () => {
    writeFileSync(path.join(dir, 'postmaster.pid'), '999999\n/nowhere\n');
    const server = await startEmbeddedPostgres({ dir, port: PORT, database: 'steward', log: rootLogger });
    expect((await query(server.url, 'SELECT v FROM kept')).rows[0].v).to.equal('still here');
    await server.stop();
  });

  it('reuses the server a killed run left answering on its port', async () => {
    const orphan = await leaveOrphan(dir, PORT);
    expect(alive(orphan)).to.equal(true);
    const server = await startEmbeddedPostgres({ dir, port: PORT, database: 'steward', log: rootLogger });
    expect((await query(server.url, 'SELECT v FROM kept')).rows[0].v).to.equal('still here');
    await server.stop();
    expect(alive(orphan), 'a reused server belongs to whoever started it').to.equal(true);
    process.kill(orphan, 'SIGINT');
    while (alive(orphan)) await new Promise((r) => setTimeout(r, 100));
  });

  it('uses a leftover server on the port its postmaster.pid names, and leaves it running', async () => {
    const orphan = await leaveOrphan(dir, PORT + 1);
    const server = await startEmbeddedPostgres({ dir, port: PORT, database: 'steward', log: rootLogger });
    expect(server.url).to.include(`:${PORT + 1}/`);
    expect((await query(server.url, 'SELECT v FROM kept')).rows[0].v).to.equal('still here');
    await server.stop();
    expect(alive(orphan)).to.equal(true);
    process.kill(orphan, 'SIGINT');
    while (alive(orphan)) await new Promise((r) => setTimeout(r, 100));
  });

  it('never stops the server of a running app that uses another port (the CLI beside npm start)', async () => {
    const app = await startOwned(dir, PORT + 2);
    try {
      const server = await startEmbeddedPostgres({ dir, port: PORT, database: 'steward', log: rootLogger });
      expect(server.url).to.include(`:${PORT + 2}/`);
      expect((await query(server.url, 'SELECT v FROM kept')).rows[0].v).to.equal('still here');
      await server.stop();
      const pid = pidOf(dir);
      expect(alive(pid), "the app's PostgreSQL is still running").to.equal(true);
      const url = server.url;
      expect((await query(url, 'SELECT 1 AS one')).rows[0].one).to.equal(1);
    } finally {
      await app.stop();
    }
  });

  it('leaves the server running when another process came to use it (npm start beside the CLI that started it)', async () => {
    const first = await startEmbeddedPostgres({ dir, port: PORT, database: 'steward', log: rootLogger });
    const user = new pg.Client({ connectionString: first.url });
    await user.connect();
    try {
      await first.stop();
      expect((await user.query('SELECT v FROM kept')).rows[0].v, 'the other process still works').to.equal(
        'still here',
      );
    } finally {
      await user.end();
    }
    // The next start finds it answering and uses it as it is.
    const again = await startEmbeddedPostgres({ dir, port: PORT, database: 'steward', log: rootLogger });
    const pid = pidOf(dir);
    await again.stop();
    expect(alive(pid)).to.equal(true);
    process.kill(pid, 'SIGINT');
    while (alive(pid)) await new Promise((r) => setTimeout(r, 100));
  });

  it('adds no signal handler of its own that would end the process before the app has shut down', () => {
    // In a fresh process: the package hooks the signals when it is first loaded.
    const script = `
      const { startEmbeddedPostgres } = await import('./app/db/embedded.ts');
      const { rootLogger } = await import('./app/logger.ts');
      const server = await startEmbeddedPostgres({ dir: ${JSON.stringify(dir)}, port: ${PORT}, database: 'steward', log: rootLogger });
      const hooked = ['SIGTERM', 'SIGINT', 'SIGHUP'].map((s) => process.listeners(s).length);
      await server.stop();
      process.stdout.write(JSON.stringify(hooked));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: config.root,
      encoding: 'utf8',
      env: { ...process.env, LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal([0, 0, 0]);
  });
});
