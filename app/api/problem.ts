/**
 * Errors of the JSON API as `application/problem+json` (RFC 9457): `type`, `title`, `status`,
 * `detail`, and for validation failures `fields`, a map of field name to message. Every error the
 * app knows (app/errors.ts, body parser errors, database or Redis away) maps to one; anything else
 * is a logged 500 whose detail says nothing of the cause.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { isDatabaseOutage } from '../db/database.ts';
import { isRedisOutage } from '../db/redis.ts';
import {
  HttpError,
  PlanLimitReached,
  ServiceUnavailable,
  TenantSuspended,
  UnknownHost,
  ValidationError,
} from '../errors.ts';
import { log } from '../logger.ts';
import { currentContext } from '../tenancy/context.ts';
import { fieldErrors } from '../validators/common.ts';

export const PROBLEM_TYPE_BASE = 'https://steward.app/problems/';

/** Problems the API answers with; `type` is PROBLEM_TYPE_BASE + the key. */
const TITLES: Record<number, [string, string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Authentication required'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  412: ['precondition-failed', 'Precondition failed'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['validation', 'Validation failed'],
  428: ['precondition-required', 'Precondition required'],
  429: ['rate-limited', 'Too many requests'],
  500: ['internal', 'Internal server error'],
  503: ['unavailable', 'Service unavailable'],
};

export const problemSchema = z
  .object({
    type: z.string().meta({ example: `${PROBLEM_TYPE_BASE}validation` }),
    title: z.string().meta({ example: 'Validation failed' }),
    status: z.number().int().meta({ example: 422 }),
    detail: z.string().meta({ example: 'Please correct the highlighted fields.' }),
    instance: z.string().optional().meta({ description: 'The request path.' }),
    requestId: z.string().optional().meta({ description: 'Quote it when reporting a problem.' }),
    fields: z
      .record(z.string(), z.string())
      .optional()
      .meta({
        description: 'Field name → message, for validation failures.',
        example: { lastName: 'is required' },
      }),
  })
  .meta({ id: 'Problem', description: 'An error (RFC 9457 problem details).' });

export type Problem = z.infer<typeof problemSchema>;

/** An API error with its own type key (e.g. `idempotency-key-reused`). */
export class ApiProblem extends HttpError {
  readonly key: string;
  readonly headers: Record<string, string>;
  constructor(status: number, key: string, detail: string, headers: Record<string, string> = {}) {
    super(status, detail);
    this.key = key;
    this.headers = headers;
  }
}

function fromError(err: unknown): { error: HttpError; fields?: Record<string, string>; key?: string } {
  if (err instanceof z.ZodError) {
    return { error: new ValidationError(fieldErrors(err)), fields: fieldErrors(err) };
  }
  if (err instanceof ValidationError) return { error: err, fields: err.fields };
  if (err instanceof ApiProblem) return { error: err, key: err.key };
  if (err instanceof PlanLimitReached) return { error: err, key: 'plan-limit' };
  if (err instanceof UnknownHost) return { error: err, key: 'unknown-host' };
  if (err instanceof TenantSuspended) return { error: err, key: 'tenant-suspended' };
  if (err instanceof HttpError) return { error: err };
  if (isDatabaseOutage(err) || isRedisOutage(err)) return { error: new ServiceUnavailable(err) };
  const bodyError = err as { type?: string; status?: number };
  if (bodyError?.type === 'entity.parse.failed')
    return { error: new ApiProblem(400, 'malformed-json', 'The request body is not valid JSON.') };
  if (bodyError?.type === 'entity.too.large' || bodyError?.status === 413)
    return { error: new HttpError(413, 'The request body is too large.') };
  if (bodyError?.type === 'charset.unsupported' || bodyError?.type === 'encoding.unsupported')
    return { error: new HttpError(415, 'The request body must be UTF-8.') };
  if (bodyError?.status && bodyError.status >= 400 && bodyError.status < 500)
    return { error: new HttpError(bodyError.status, 'The request could not be understood.') };
  return { error: new HttpError(500, 'Something went wrong on our side. It has been logged.') };
}

/** Writes `err` as a problem document. */
export function sendProblem(err: unknown, req: Request, res: Response): void {
  const { error, fields, key: ownKey } = fromError(err);
  const key = ownKey ?? (error instanceof ApiProblem ? error.key : undefined);
  const status = error.status;
  if (status >= 500 && !(error instanceof ServiceUnavailable)) log().error({ err }, 'unhandled API error');
  if (error instanceof ServiceUnavailable) {
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    log().warn({ cause, path: req.path }, 'service unavailable');
    res.set('Retry-After', String(error.retryAfter));
  }
  if (error instanceof ApiProblem) res.set(error.headers);
  if (status === 401) res.set('WWW-Authenticate', 'Bearer realm="steward"');
  const [typeKey, title] = TITLES[status] ?? [`status-${status}`, 'Error'];
  const body: Problem = {
    type: PROBLEM_TYPE_BASE + (key ?? typeKey),
    title,
    status,
    detail: error.message,
    instance: req.originalUrl.split('?')[0],
    requestId: currentContext()?.reqId,
    ...(fields ? { fields } : {}),
  };
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}
