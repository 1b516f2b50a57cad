import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import pg from 'pg';
import { drain, listen } from '../../app/web-server.ts';
import { config } from '../../config/index.ts';

const adminUrl = process.env.STEWARD_TEST_ADMIN_URL ?? '';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A raw HTTP/1.1 connection: what was written, and everything the server sent back. */
function connect(
  port: number,
): Promise<{ socket: net.Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => {
      data += d.toString();
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', () => {});
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

function waitFor(what: string, ms: number, ok: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (ok()) return resolve();
      if (Date.now() > until) return reject(new Error(`${what} did not happen within ${ms} ms`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('graceful shutdown', function () {
  this.timeout(60_000);

  describe('drain (app/web-server.ts)', () => {
    let server: Server;
    let port: number;
    let release: () => void;

    beforeEach(async () => {
      const app = express();
      const slow = new Promise<void>((r) => {
        release = r;
      });
      app.get('/slow', async (_req, res) => {
        await slow;
        res.send('finished');
      });
      app.get('/fast', (_req, res) => {
        res.send('fast');
      });
      server = await listen(app, 0, '127.0.0.1');
      port = (server.address() as { port: number }).port;
    });

    afterEach(() => {
      release();
      server.closeAllConnections();
    });

    it('lets a request in flight finish, closes idle keep-alive connections at once, and refuses new ones', async () => {
      const busy = await connect(port);
      busy.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
      const idle = await connect(port);
      idle.socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor('the fast answer', 5_000, () => idle.received().includes('fast'));

      const drained = drain(server, { graceMs: 5_000 });
      await idle.closed;
      expect(busy.socket.destroyed, 'the busy connection is kept').to.equal(false);
      const refused = await new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => resolve('connected'));
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(refused).to.equal('ECONNREFUSED');

      release();
      await busy.closed;
      expect(busy.received()).to.match(/^HTTP\/1\.1 200 OK/);
      expect(busy.received()).to.include('finished');
      expect(await drained).to.equal(true);
    });

    it('closes what is still open once the grace period is over', async () => {
      const busy = await connect(port);
      busy.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((r) => setTimeout(r, 50));
      expect(await drain(server, { graceMs: 200 })).to.equal(false);
      await busy.closed;
    });

    it('refuses to listen on a port in use with a message naming the port', async () => {
      const err = await listen(express(), port, '127.0.0.1').then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).to.match(new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`));
    });
  });

  describe('the web process (server.ts)', () => {
    const database = `steward_test_${process.pid}_5e77e7`;
    let url: string;
    let child: ChildProcess | null = null;

    before(async () => {
      await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin(`CREATE DATABASE "${database}"`);
      const u = new URL(adminUrl);
      u.pathname = `/${database}`;
      url = u.toString();
    });

    afterEach(() => {
      child?.kill('SIGKILL');
      child = null;
    });

    after(() => admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));

    function start(port: number): {
      proc: ChildProcess;
      output: () => string;
      exited: Promise<number | null>;
    } {
      const proc = spawn(process.execPath, ['--import', 'tsx', path.join(config.root, 'server.ts')], {
        cwd: config.root,
        env: {
          ...process.env,
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          DATABASE_URL: url,
          REDIS_URL: '',
          PORT: String(port),
          BIND_HOST: '127.0.0.1',
          SESSION_SECRET: 'shutdown-tests-session-secret-0123456789abcdef',
          CLOCK_IN_WEB: 'true',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      let out = '';
      proc.stdout?.on('data', (d) => {
        out += d;
      });
      proc.stderr?.on('data', (d) => {
        out += d;
      });
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      return { proc, output: () => out, exited };
    }

    it('on SIGTERM answers the request whose body is still arriving, then exits 0', async () => {
      const port = await freePort();
      const app = start(port);
      await waitFor('the app listening', 40_000, () => app.output().includes('Steward is running'));

      const body = 'email=nobody%40example.com&password=not-the-password';
      const posting = await connect(port);
      posting.socket.write(
        `POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
      const idle = await connect(port);
      idle.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await waitFor('the health answer', 5_000, () => idle.received().includes('\r\n\r\n'));
      await new Promise((r) => setTimeout(r, 100));

      app.proc.kill('SIGTERM');
      await idle.closed;
      posting.socket.write(body.slice(10));
      await posting.closed;
      expect(posting.received(), app.output()).to.match(/^HTTP\/1\.1 (302|403|200|400)/);
      expect(await app.exited, app.output()).to.equal(0);
    });

    it('exits 1 naming the port when the port is already in use', async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const { port } = taken.address() as { port: number };
      try {
        const app = start(port);
        expect(await app.exited, app.output()).to.equal(1);
        expect(app.output()).to.include(`Port ${port} on 127.0.0.1 is already in use`);
        expect(app.output()).not.to.include('Steward is running');
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });
  });
});
