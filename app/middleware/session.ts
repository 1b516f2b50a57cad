import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import connectPgSimple from 'connect-pg-simple';
import { RedisStore } from 'connect-redis';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import pg from 'pg';
import { config } from '../../config/index.ts';
import { APPLICATION_NAME, CONNECT_TIMEOUT_MS, databaseUrl } from '../db/database.ts';
import { REDIS_COMMAND_TIMEOUT_MS, redisClient } from '../db/redis.ts';
import { ServiceUnavailable } from '../errors.ts';
import { log, rootLogger } from '../logger.ts';

declare module 'express-session' {
  interface SessionData {
    /** `t:<tenant id>` or `platform`: the host this session was signed in on. */
    scope?: string;
    flash?: { type: 'success' | 'danger' | 'info' | 'warning'; text: string }[];
  }
}

/** SESSION_SECRET, or (outside production) a random secret kept in DATA_DIR across restarts. */
export function sessionSecret(): string {
  if (config.SESSION_SECRET) return config.SESSION_SECRET;
  const file = path.join(config.dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

let pgPool: pg.Pool | null = null;
let store: session.Store | null = null;

/** The connections the PostgreSQL session store opens, named apart from the app's own pool. */
export const SESSION_APPLICATION_NAME = `${APPLICATION_NAME}-sessions`;
/** A session read or write is one short statement; one that takes longer means the database is stuck. */
const SESSION_QUERY_TIMEOUT_MS = 5_000;

type StoreCallback = (err?: unknown, ...results: unknown[]) => void;

/**
 * A store that cannot be read or written means sessions are unavailable for now: its errors, and
 * with `boundMs` an answer that takes longer, reach the error handler as a 503, whichever store is
 * in use. A late answer is dropped.
 */
function reportingOutages(s: session.Store, boundMs: number | null): session.Store {
  // The store's methods are called by express-session with a callback last; wrapped by name.
  const methods = s as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>;
  for (const name of ['get', 'set', 'destroy', 'touch']) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = (...args: unknown[]) => {
      const done = args.at(-1);
      if (typeof done !== 'function') return original.apply(s, args);
      let answered = false;
      const answer = (err: unknown, ...results: unknown[]) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        (done as StoreCallback)(err ? new ServiceUnavailable(err) : err, ...results);
      };
      const timer =
        boundMs === null
          ? undefined
          : setTimeout(
              () => answer(new Error(`the session store did not answer within ${boundMs} ms`)),
              boundMs,
            );
      args[args.length - 1] = answer;
      return original.apply(s, args);
    };
  }
  return s;
}

/**
 * Sessions live in Redis when REDIS_URL is set, otherwise in public.sessions. Neither store is
 * touched on every request: the cookie is not rolling, so a session ends at its fixed expiry anyway,
 * and a write per page view would cost more than the page's own queries.
 */
function sessionStore(): session.Store {
  if (store) return store;
  const redis = redisClient();
  if (redis) {
    const redisStore = new RedisStore({
      client: redis,
      prefix: `${config.REDIS_PREFIX}sess:`,
      disableTouch: true,
    });
    store = reportingOutages(redisStore, REDIS_COMMAND_TIMEOUT_MS);
  } else {
    const PgStore = connectPgSimple(session);
    // As many connections as the app's own pool: every signed-in request reads its session first.
    pgPool = new pg.Pool({
      connectionString: databaseUrl(),
      max: config.DB_POOL_MAX,
      application_name: SESSION_APPLICATION_NAME,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // A database that accepted the query but does not answer (hung, overloaded) is not waited on.
      query_timeout: SESSION_QUERY_TIMEOUT_MS,
    });
    // An idle connection ended by the server (restart, pg_terminate_backend) is dropped from the
    // pool and reported here; without a listener it would end the process.
    pgPool.on('error', (err) => rootLogger.warn({ err: err.message }, 'session store connection lost'));
    const pgStore = new PgStore({
      pool: pgPool,
      schemaName: 'public',
      tableName: 'sessions',
      pruneSessionInterval: 15 * 60,
      disableTouch: true,
      errorLog: (message: string, err?: Error) => rootLogger.warn({ err: err?.message }, message),
    });
    store = reportingOutages(pgStore, null);
  }
  return store;
}

export async function closeSessionStore(): Promise<void> {
  const s = store as (session.Store & { close?: () => void }) | null;
  store = null;
  s?.close?.();
  await pgPool?.end();
  pgPool = null;
}

/**
 * The cookie has no Domain attribute, so the browser never sends it to another subdomain. While
 * the Redis behind the sessions is known to be away, requests get a 503 at once: a page that made
 * a new session (a sign-in form and its CSRF token) could not keep it anyway.
 */
export function sessionMiddleware(): RequestHandler {
  const redis = redisClient();
  const publicHttps = config.PUBLIC_SCHEME === 'https';
  const handler = session({
    name: 'steward.sid',
    secret: sessionSecret(),
    store: sessionStore(),
    resave: false,
    saveUninitialized: false,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: publicHttps ? true : 'auto',
      maxAge: config.SESSION_MAX_AGE_HOURS * 3_600_000,
    },
  });
  const withSession: RequestHandler = publicHttps
    ? (req, res, next) => {
        // People reach Steward over https (PUBLIC_SCHEME), whatever the last hop from a TLS-ending
        // proxy is: the cookie is always Secure, and express-session only sends a Secure cookie on
        // a request it sees as secure. TRUST_PROXY is then needed for the client address only.
        Object.defineProperty(req, 'secure', { value: true, configurable: true });
        handler(req, res, next);
      }
    : handler;
  if (!redis) return withSession;
  return (req, res, next) => {
    if (!redis.isReady) {
      next(new ServiceUnavailable(new Error('Redis is not connected')));
      return;
    }
    withSession(req, res, next);
  };
}

export function scopeOf(req: Request): string {
  return req.tenant ? `t:${req.tenant.id}` : 'platform';
}

/**
 * A session signed in on one host and presented on another (another tenant, or the platform) is
 * refused: it is emptied before anything reads the user from it, and the attempt is logged.
 */
export function bindSessionToHost(req: Request, _res: Response, next: NextFunction): void {
  const scope = scopeOf(req);
  if (req.session?.scope && req.session.scope !== scope) {
    log().warn({ sessionScope: req.session.scope, scope }, 'session presented on another host; signed out');
    req.session.regenerate((err) => next(err));
    return;
  }
  next();
}
