import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import connectPgSimple from 'connect-pg-simple';
import { RedisStore } from 'connect-redis';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import pg from 'pg';
import { config } from '../../config/index.ts';
import { databaseUrl } from '../db/database.ts';
import { redisClient } from '../db/redis.ts';
import { log } from '../logger.ts';

declare module 'express-session' {
  interface SessionData {
    /** `t:<tenant id>` or `platform`: the host this session was signed in on. */
    scope?: string;
    flash?: { type: 'success' | 'danger' | 'info' | 'warning'; text: string }[];
  }
}

/** SESSION_SECRET, or (outside production) a random secret kept in DATA_DIR across restarts. */
function sessionSecret(): string {
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

/**
 * Sessions live in Redis when REDIS_URL is set, otherwise in public.sessions. Neither store is
 * touched on every request: the cookie is not rolling, so a session ends at its fixed expiry anyway,
 * and a write per page view would cost more than the page's own queries.
 */
function sessionStore(): session.Store {
  if (store) return store;
  const redis = redisClient();
  if (redis) {
    store = new RedisStore({ client: redis, prefix: `${config.REDIS_PREFIX}sess:`, disableTouch: true });
  } else {
    const PgStore = connectPgSimple(session);
    // As many connections as the app's own pool: every signed-in request reads its session first.
    pgPool = new pg.Pool({ connectionString: databaseUrl(), max: config.DB_POOL_MAX });
    store = new PgStore({
      pool: pgPool,
      schemaName: 'public',
      tableName: 'sessions',
      pruneSessionInterval: 15 * 60,
      disableTouch: true,
    });
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

/** The cookie has no Domain attribute, so the browser never sends it to another subdomain. */
export function sessionMiddleware(): RequestHandler {
  return session({
    name: 'steward.sid',
    secret: sessionSecret(),
    store: sessionStore(),
    resave: false,
    saveUninitialized: false,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: 'auto',
      maxAge: config.SESSION_MAX_AGE_HOURS * 3_600_000,
    },
  });
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
