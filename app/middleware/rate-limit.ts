import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, type Options, rateLimit, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { config } from '../../config/index.ts';
import { type RedisClient, redisClient, unlessRedisIsAway } from '../db/redis.ts';
import { TooManyRequests } from '../errors.ts';
import { rootLogger } from '../logger.ts';
import { localParts } from '../services/local-time.ts';

function logToApp(err: unknown, message?: string): void {
  rootLogger.warn({ err: String(err) }, message ?? 'rate limit');
}

/**
 * rate-limit-redis loads its scripts once and keeps the promise: a load that failed while Redis
 * was away would fail every later count. Such a load is tried again on the next use.
 */
class RecoveringRedisStore extends RedisStore {
  override async increment(key: string) {
    await this.incrementScriptSha.catch(() => {
      this.incrementScriptSha = this.loadIncrementScript();
    });
    return super.increment(key);
  }

  override async get(key: string) {
    await this.getScriptSha.catch(() => {
      this.getScriptSha = this.loadGetScript();
    });
    return super.get(key);
  }
}

/** The Redis store of the limit `name`, or undefined (in-process counts) without Redis. */
export function storeFor(name: string, redis: RedisClient | null): Store | undefined {
  // Redis away: the count cannot be kept, and the request gets a 503 rather than a 500 or a wait.
  return redis
    ? new RecoveringRedisStore({
        prefix: `${config.REDIS_PREFIX}rl:${name}:`,
        sendCommand: (...args: string[]) => unlessRedisIsAway(redis.sendCommand(args)),
      })
    : undefined;
}

function tenantKey(req: Request): string {
  return req.tenant ? req.tenant.schema : 'platform';
}

/** The client's address as a limit key (IPv6 addresses by their /56 network). */
export function clientKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? '');
}

/** What a route does instead of its action once the limit is reached; `resetTime` is when it lifts. */
export type LimitReached = (req: Request, res: Response, next: NextFunction, resetTime: Date) => void;

export interface AttemptLimitOptions {
  windowMs?: number;
  onLimit?: LimitReached;
}

/**
 * A limit on attempts per client address and host (so one tenant's traffic never spends another's
 * allowance). Counts are shared through Redis when it is configured (connect it before building routes).
 */
export function attemptLimit(
  name: string,
  limit: number,
  options: number | AttemptLimitOptions = {},
  redis: RedisClient | null = redisClient(),
): RequestHandler {
  const { windowMs = config.RATE_LIMIT_WINDOW_MS, onLimit } =
    typeof options === 'number' ? { windowMs: options } : options;
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${tenantKey(req)}:${clientKey(req)}`,
    // Only failures count: a successful attempt redirects.
    skipSuccessfulRequests: true,
    store: storeFor(name, redis),
    // sharedAttemptLimit builds a limiter on first use, which may be inside a request.
    validate: { creationStack: false },
    handler: (req: Request, res: Response, next: NextFunction) => {
      // express-rate-limit sets req.rateLimit but does not declare it on Express's Request.
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const resetTime = info?.resetTime ?? new Date(Date.now() + windowMs);
      if (onLimit) return onLimit(req, res, next, resetTime);
      next(new TooManyRequests());
    },
    // Its own complaints (a store that could not load its scripts, a failed decrement) go to the app's log.
    logger: { error: logToApp, warn: logToApp },
  });
}

const shared = new Map<string, { redis: RedisClient | null; handler: RequestHandler }>();

/**
 * One attempt limit per process for `name`, however many routes use it (the sign-in page and the
 * API's token endpoint, the sign-up page and registration by API), so every door counts against
 * the same allowance even without Redis. Built on first use, once Redis is connected.
 */
export function sharedAttemptLimit(
  name: string,
  limit: number,
  options: AttemptLimitOptions = {},
): RequestHandler {
  return (req, res, next) => {
    const redis = redisClient();
    const key = `${name}:${limit}`;
    let entry = shared.get(key);
    if (entry?.redis !== redis) {
      entry = { redis, handler: attemptLimit(name, limit, options, redis) };
      shared.set(key, entry);
    }
    return entry.handler(req, res, next);
  };
}

export interface Hit {
  /** Hits in the current window, this one included. */
  count: number;
  limited: boolean;
  resetTime: Date;
}

/**
 * A counter of every request for a key of the caller's choosing (an e-mail address, a client
 * address), per tenant, kept in the same store as the attempt limits.
 */
export function attemptCounter(name: string, limit: number, windowMs = config.RATE_LIMIT_WINDOW_MS) {
  let store: Store | null = null;
  // Built on first use: Redis is connected after the modules that declare counters are loaded.
  const ready = (): Store => {
    if (store) return store;
    store = storeFor(name, redisClient()) ?? new MemoryStore();
    store.init?.({ windowMs } as Options);
    return store;
  };
  return {
    async hit(req: Request, key: string): Promise<Hit> {
      const { totalHits, resetTime } = await ready().increment(`${tenantKey(req)}:${key}`);
      return {
        count: totalHits,
        limited: totalHits > limit,
        resetTime: resetTime ?? new Date(Date.now() + windowMs),
      };
    },
  };
}

/**
 * "in 12 minutes, at 14:05 UTC" (or "at 09:05 (America/New_York)"): when a limit lifts, on the
 * wall clock of the tenant's time zone, for a page or an e-mail.
 */
export function whenLifted(resetTime: Date, timeZone = 'UTC'): { minutes: number; at: string } {
  const minutes = Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 60_000));
  const { time } = localParts(resetTime, timeZone);
  return { minutes, at: timeZone === 'UTC' ? `${time} UTC` : `${time} (${timeZone})` };
}
