import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import express, { type Request, type RequestHandler } from 'express';
import type { SessionData } from 'express-session';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { config } from '../../config/index.ts';
import { passport } from '../auth/passport.ts';
import { databaseUrl } from '../db/database.ts';
import { rootLogger } from '../logger.ts';
import { sessionMiddleware } from '../middleware/session.ts';
import { User } from '../models/user.ts';
import { ADMIN_PERSONAL_PREFIX, claimedTenant, TokenRefused, userForToken } from '../services/api-tokens.ts';
import { type Publisher, setPublisher, userRoom } from '../services/notifications.ts';
import { runInContext, type TenantRef } from '../tenancy/context.ts';
import { isPlatformHost, parseHost, tenantForHost } from '../tenancy/resolver.ts';
import { newOrigin, type RelayListener, relayThroughDatabase, startRelayListener } from './relay.ts';

/**
 * socket.io on the web server: pages of signed-in staff receive their notifications live.
 *
 * The handshake reads the same session cookie as the pages (express-session, then passport), in the
 * tenant the Host names, so a socket is refused unless it carries a signed-in user of that tenant
 * whose session was signed in on that tenant's host. A program using the API may instead send an
 * access token or a personal access token as `auth.token` in the socket.io handshake: it is checked
 * as the API checks it, in the tenant the Host names, and when one is sent the cookie is not read.
 * Either way the socket joins its user's room only; the server never takes instructions from a socket. With REDIS_URL, the Redis adapter carries each
 * event to the sockets of every web process (and brings those the clock, the worker or the CLI
 * publish through the Redis emitter). Without it, every event made here is also sent through
 * PostgreSQL NOTIFY, and this server LISTENs for those made elsewhere (`relay.ts`).
 */

/** The handshake request once the middleware below has read it. */
type HandshakeRequest = IncomingMessage & {
  _query?: Record<string, string | undefined>;
  tenant?: TenantRef | null;
  session?: Partial<SessionData>;
  user?: unknown;
};
type Next = (err?: unknown) => void;
type Middleware = (req: HandshakeRequest, res: ServerResponse, next: Next) => void;

export interface Realtime {
  io: Server;
  /** Pushes a notification to a room, from whichever process it was made in. */
  publish: Publisher;
  close(): Promise<void>;
}

export interface RealtimeOptions {
  /** Carry events between processes through this Redis server (defaults to REDIS_URL). */
  redisUrl?: string | null;
  /** Install `publish` as the notifications publisher (default true). */
  installPublisher?: boolean;
}

/** Attaches socket.io to `server` and, unless told otherwise, makes it the notifications publisher. */
export async function attachRealtime(server: HttpServer, opts: RealtimeOptions = {}): Promise<Realtime> {
  const io = new Server(server, { serveClient: true, cors: { origin: false } });
  io.engine.use(handshake(sessionMiddleware()));
  io.use((socket, next) => {
    const req = socket.request as HandshakeRequest;
    const token: unknown = socket.handshake.auth?.token;
    if (token !== undefined && token !== null) {
      tokenRoom(req, token).then(
        (room) => {
          socket.data.room = room;
          next();
        },
        (err: unknown) => next(refusal(req, token, err)),
      );
      return;
    }
    const room = roomOf(req);
    if (!room) return next(new Error('unauthorized'));
    socket.data.room = room;
    next();
  });
  io.on('connection', (socket) => {
    socket.join(socket.data.room as string);
  });

  const redisUrl = opts.redisUrl === undefined ? config.REDIS_URL : opts.redisUrl;
  const redis = redisUrl ? await redisAdapter(io, redisUrl) : null;
  const origin = newOrigin();
  const publish: Publisher = (room, payload) => {
    io.to(room).emit('notification', payload);
    if (!redis) relayThroughDatabase({ origin, room, event: 'notification', data: { ...payload } });
  };
  const listener: RelayListener | null = redis
    ? null
    : await startRelayListener({
        url: databaseUrl(),
        origin,
        log: rootLogger.child({ realtime: true }),
        // Only this server's own sockets: the message reached every web process already.
        deliver: (message) => io.local.to(message.room).emit(message.event, message.data),
      });
  const installed = opts.installPublisher ?? true;
  if (installed) setPublisher(publish);

  return {
    io,
    publish,
    async close() {
      if (installed) setPublisher(null);
      await listener?.stop();
      // Every socket ends as a lost transport, not as a server-side disconnect, so browsers
      // reconnect by themselves (to another instance, or to this one once it is back). io.close()
      // would also close the HTTP server and wait for its keep-alive connections: that is the
      // owner's to do, within its grace period.
      io.engine.close();
      await Promise.allSettled([io.of('/').adapter.close()]);
      await redis?.close();
    },
  };
}

/** The room of a handshake's signed-in user, or null when the socket must be refused. */
function roomOf(req: HandshakeRequest): string | null {
  const tenant = req.tenant;
  const user = req.user instanceof User ? req.user : null;
  if (!tenant || !user || tenant.status === 'suspended') return null;
  // A session signed in on another host never speaks for this one.
  if (req.session?.scope !== `t:${tenant.id}`) return null;
  return userRoom(tenant.id, user.id);
}

/**
 * The room of the user a handshake token acts for, in the tenant the Host names; TokenRefused when it
 * is not a live token of that tenant's active user. An access token must also name this host.
 */
async function tokenRoom(req: HandshakeRequest, token: unknown): Promise<string> {
  const tenant = req.tenant;
  if (typeof token !== 'string' || !/^[\x21-\x7e]{1,4096}$/.test(token)) throw new TokenRefused('malformed');
  if (!tenant || tenant.status === 'suspended' || token.startsWith(ADMIN_PERSONAL_PREFIX))
    throw new TokenRefused('wrong-audience');
  const log = rootLogger.child({ tenant: tenant.slug, realtime: true });
  return runInContext({ tenant, log }, async () => {
    const { user } = await userForToken(token, tenant, hostHeader(req)?.toLowerCase() ?? '');
    return userRoom(tenant.id, String(user.id));
  });
}

/** What a refused token handshake tells the client: the same word as a refused cookie, the reason logged. */
function refusal(req: HandshakeRequest, token: unknown, err: unknown): Error {
  if (err instanceof TokenRefused) {
    // As the API logs it: a token of another tenant says which one it claims.
    const claimed = typeof token === 'string' && token.startsWith('ey') ? claimedTenant(token) : null;
    rootLogger.warn(
      {
        reason: err.reason,
        tenant: req.tenant?.slug,
        claimedTenant: claimed ?? undefined,
        realtime: true,
        ip: req.socket.remoteAddress,
      },
      'socket token refused',
    );
    return new Error('unauthorized');
  }
  rootLogger.error({ err, tenant: req.tenant?.slug, realtime: true }, 'socket token check failed');
  return new Error('unavailable');
}

/**
 * One engine middleware, run on the handshake request only: tenant by Host, session, passport.
 * It is a single function because engine.io chains its middlewares through promises, which would
 * leave the tenant context behind between two of them.
 */
function handshake(session: RequestHandler): Middleware {
  // express-session and passport expect an express request; they read only what a plain
  // IncomingMessage has (headers, url, socket), so the casts below are safe.
  const readSession = session as unknown as Middleware;
  const initialize = passport.initialize() as unknown as Middleware;
  const fromSession = passport.session() as unknown as Middleware;
  return (req, res, next) => {
    // Later requests of an open connection (polling, the upgrade) were checked at the handshake.
    if (req._query?.sid !== undefined) return next();
    tenantOf(req).then((tenant) => {
      req.tenant = tenant;
      if (!tenant) return next();
      const log = rootLogger.child({ tenant: tenant.slug, realtime: true });
      runInContext({ tenant, log }, () => {
        readSession(req, res, (err) => {
          if (err) return next(err);
          if (req.session?.scope !== `t:${tenant.id}`) return next();
          initialize(req, res, () => fromSession(req, res, next));
        });
      });
    }, next);
  };
}

// Reads the Host exactly as the pages do, honouring TRUST_PROXY for X-Forwarded-Host.
const hostReader = express().set('trust proxy', config.TRUST_PROXY);

/** The host as `req.host` reads it on a page or API request (the port kept). */
function hostHeader(req: IncomingMessage): string | undefined {
  const view: Request = Object.create(hostReader.request, {
    headers: { value: req.headers },
    socket: { value: req.socket },
  });
  return view.host;
}

function hostOf(req: IncomingMessage): string | null {
  return parseHost(hostHeader(req));
}

async function tenantOf(req: IncomingMessage): Promise<TenantRef | null> {
  const host = hostOf(req);
  if (!host || isPlatformHost(host)) return null;
  return tenantForHost(host);
}

/** Two dedicated connections (publishing and subscribing), under this app's key prefix. */
async function redisAdapter(io: Server, url: string): Promise<{ close(): Promise<void> }> {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on('error', (err) => rootLogger.warn({ err: err.message }, 'redis error'));
  await Promise.all([pub.connect(), sub.connect()]);
  // The adapter's own client types do not line up with redis 6's; both are plain redis clients.
  io.adapter(createAdapter(pub as never, sub as never, { key: `${config.REDIS_PREFIX}socket.io` }));
  return {
    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
