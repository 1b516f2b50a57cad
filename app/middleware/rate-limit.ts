import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { config } from '../../config/index.ts';
import { type RedisClient, redisClient, unlessRedisIsAway } from '../db/redis.ts';
import { TooManyRequests } from '../errors.ts';
import { rootLogger } from '../logger.ts';

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

/**
 * A limit on attempts per client address and host (so one tenant's traffic never spends another's
 * allowance). Counts are shared through Redis when it is configured (connect it before building routes).
 */
export function attemptLimit(
  name: string,
  limit: number,
  windowMs = config.RATE_LIMIT_WINDOW_MS,
  redis: RedisClient | null = redisClient(),
): RequestHandler {
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${req.tenant ? req.tenant.schema : 'platform'}:${ipKeyGenerator(req.ip ?? '')}`,
    // Only failures count: a successful attempt redirects.
    skipSuccessfulRequests: true,
    // Redis away: the count cannot be kept, and the request gets a 503 rather than a 500 or a wait.
    store: redis
      ? new RecoveringRedisStore({
          prefix: `${config.REDIS_PREFIX}rl:${name}:`,
          sendCommand: (...args: string[]) => unlessRedisIsAway(redis.sendCommand(args)),
        })
      : undefined,
    handler: (_req: Request, _res: Response, next: NextFunction) => next(new TooManyRequests()),
    // Its own complaints (a store that could not load its scripts, a failed decrement) go to the app's log.
    logger: { error: logToApp, warn: logToApp },
  });
}
