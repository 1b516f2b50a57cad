import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { config } from '../../config/index.ts';
import { redisClient } from '../db/redis.ts';
import { TooManyRequests } from '../errors.ts';

/**
 * A limit on attempts per client address and host (so one tenant's traffic never spends another's
 * allowance). Counts are shared through Redis when it is configured (connect it before building routes).
 */
export function attemptLimit(
  name: string,
  limit: number,
  windowMs = config.RATE_LIMIT_WINDOW_MS,
): RequestHandler {
  const redis = redisClient();
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => `${req.tenant ? req.tenant.schema : 'platform'}:${ipKeyGenerator(req.ip ?? '')}`,
    // Only failures count: a successful attempt redirects.
    skipSuccessfulRequests: true,
    store: redis
      ? new RedisStore({
          prefix: `${config.REDIS_PREFIX}rl:${name}:`,
          sendCommand: (...args: string[]) => redis.sendCommand(args),
        })
      : undefined,
    handler: (_req: Request, _res: Response, next: NextFunction) => next(new TooManyRequests()),
  });
}
