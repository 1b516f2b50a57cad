import { Agent, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { io as connectSocket, type Socket } from 'socket.io-client';
import supertest from 'supertest';
import { createApp } from '../../app/app.ts';
import type { Tenant } from '../../app/models/index.ts';
import { attachRealtime, type Realtime, type RealtimeOptions } from '../../app/realtime/socket.ts';
import type { NotificationPayload } from '../../app/services/notifications.ts';
import { csrfToken } from '../support/auth.ts';
import { TEST_PASSWORD } from '../support/factories.ts';

/** A web process in miniature: the app on a real port, with its socket server. */
export interface WebServer {
  server: HttpServer;
  realtime: Realtime;
  port: number;
  close(): Promise<void>;
}

export async function startWebServer(opts: RealtimeOptions = {}): Promise<WebServer> {
  const app = createApp();
  const server: HttpServer = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const realtime = await attachRealtime(server, opts);
  return {
    server,
    realtime,
    port: (server.address() as AddressInfo).port,
    async close() {
      await realtime.close();
      server.closeAllConnections();
    },
  };
}

/** Signs in on `host` through the real form and returns the session cookie (`steward.sid=...`). */
export async function sessionCookie(web: WebServer, host: string, email: string): Promise<string> {
  const agent = supertest.agent(web.server);
  const _csrf = await csrfToken(agent, host, '/login');
  const res = await agent
    .post('/login')
    .set('Host', host)
    .type('form')
    .send({ email, password: TEST_PASSWORD, _csrf, next: '/' });
  expect(res.status, `sign-in as ${email}`).to.equal(302);
  const cookie = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith('steward.sid='));
  if (!cookie) throw new Error('the sign-in set no session cookie');
  return cookie.split(';')[0];
}

/**
 * Sends every host name to this machine, so `<slug>.localhost:<port>` reaches the test server with
 * the Host header a browser would send (the client's own XMLHttpRequest rewrites a Host set by hand).
 */
const loopback = new Agent({
  keepAlive: true,
  lookup: (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
    opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
} as ConstructorParameters<typeof Agent>[0]);

/**
 * A socket.io client as a page opens it: long-polling first, then the upgrade to a WebSocket, with
 * the page's Host and cookie. Resolves once connected; rejects with the server's refusal.
 */
export function openSocket(
  web: WebServer,
  host: string,
  cookie: string | null,
  opts: { transports?: ('polling' | 'websocket')[] } = {},
): Promise<Socket> {
  const socket = connectSocket(`http://${host}:${web.port}`, {
    transports: opts.transports ?? ['polling', 'websocket'],
    // The client's types allow only a string here; at run time it hands the agent to http.request.
    agent: loopback as unknown as string,
    extraHeaders: cookie ? { cookie } : {},
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Everything `socket` receives as notifications, in order. */
export function inbox(socket: Socket): NotificationPayload[] {
  const got: NotificationPayload[] = [];
  socket.on('notification', (p: NotificationPayload) => got.push(p));
  return got;
}

/** The next notification on `socket`, or a failure after `ms`. */
export function nextNotification(socket: Socket, ms = 1000): Promise<NotificationPayload> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no notification within ${ms} ms`)), ms);
    socket.once('notification', (p: NotificationPayload) => {
      clearTimeout(timer);
      resolve(p);
    });
  });
}

/** Waits until the socket has been upgraded (or `ms` passes), as a page's socket soon is. */
export async function upgraded(socket: Socket, ms = 2000): Promise<string> {
  const engine = socket.io.engine;
  if (engine.transport.name !== 'websocket')
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      engine.once('upgrade', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  return engine.transport.name;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function hostOfTenant(tenant: Tenant): string {
  return `${tenant.slug}.localhost`;
}
