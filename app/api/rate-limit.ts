/**
 * Per-token request limits of the API: `API_RATE_LIMIT` requests a minute per token (per client
 * address for calls made without one), per tenant, counted in Redis when it is configured. Every
 * response carries the IETF `RateLimit-Policy` and `RateLimit` headers; past the limit the answer is
 * a 429 problem with `Retry-After`.
 */
import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { config } from '../../config/index.ts';
import { type RedisClient, redisClient } from '../db/redis.ts';
import { rootLogger } from '../logger.ts';
import { clientKey, storeFor } from '../middleware/rate-limit.ts';
import { ApiProblem } from './problem.ts';

const WINDOW_MS = 60_000;

/** What the limit counts a request against: its token, else its client address; always per host. */
export function rateKey(req: Request): string {
  const scope = req.tenant ? req.tenant.schema : 'platform';
  const principal = (req as Request & { apiPrincipal?: string }).apiPrincipal;
  return `${scope}:${principal ?? `ip:${clientKey(req)}`}`;
}

let built: { redis: RedisClient | null; limit: number; handler: RequestHandler } | null = null;

/** The API's limiter (one per process, so every router built shares its counts). */
export function apiRateLimit(): RequestHandler {
  const redis = redisClient();
  if (built && built.redis === redis && built.limit === config.API_RATE_LIMIT) return built.handler;
  const handler = rateLimit({
    windowMs: WINDOW_MS,
    limit: config.API_RATE_LIMIT,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'api',
    keyGenerator: rateKey,
    store: storeFor('api', redis),
    handler: (_req, res, next) => {
      const retry = res.getHeader('Retry-After');
      next(
        new ApiProblem(
          429,
          'rate-limited',
          'Too many requests with this token. Wait for the time in Retry-After, then go on.',
          retry ? { 'Retry-After': String(retry) } : {},
        ),
      );
    },
    validate: { creationStack: false },
    logger: {
      error: (err: unknown) => rootLogger.warn({ err: String(err) }, 'API rate limit'),
      warn: (err: unknown) => rootLogger.warn({ err: String(err) }, 'API rate limit'),
    },
  });
  built = { redis, limit: config.API_RATE_LIMIT, handler };
  return handler;
}
