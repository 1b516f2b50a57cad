import type { NextFunction, Request, Response } from 'express';
import { sendProblem } from '../api/problem.ts';
import { isDatabaseOutage } from '../db/database.ts';
import { isRedisOutage } from '../db/redis.ts';
import { HttpError, NotFound, ServiceUnavailable, ValidationError } from '../errors.ts';
import { log } from '../logger.ts';
import { currentContext } from '../tenancy/context.ts';

function wantsJson(req: Request): boolean {
  return (
    req.originalUrl.startsWith('/api/') ||
    req.path.startsWith('/health') ||
    req.accepts(['html', 'json']) === 'json'
  );
}

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new NotFound());
}

/** Typed errors as they are; a database or Redis that cannot be reached as a 503; body errors as a 400. */
function knownError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (isDatabaseOutage(err) || isRedisOutage(err)) return new ServiceUnavailable(err);
  const bodyError = err as { type?: string; status?: number };
  return bodyError?.status && bodyError.status >= 400 && bodyError.status < 500
    ? new HttpError(bodyError.status, 'The request could not be understood.', '400')
    : null;
}

/** The one error handler: typed errors become their status page (or JSON); anything else is a 500. */
export function errorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(err);
    return;
  }
  // The API answers every error as a problem document, those raised before it too (host, body).
  if (req.originalUrl.startsWith('/api/')) return sendProblem(err, req, res);
  const known = knownError(err);
  const status = known?.status ?? 500;
  const message = known?.message ?? 'Something went wrong on our side. It has been logged.';
  if (!known) log().error({ err }, 'unhandled error');
  if (known instanceof ServiceUnavailable) {
    // One line per refused request while it lasts, with what could not be reached.
    const cause = known.cause instanceof Error ? known.cause.message : undefined;
    log().warn({ cause, path: req.path }, 'service unavailable');
    res.set('Retry-After', String(known.retryAfter));
  }
  const reqId = currentContext()?.reqId;
  res.status(status);
  if (wantsJson(req)) {
    const fields = err instanceof ValidationError ? err.fields : undefined;
    res.json({ error: { status, message, fields, reqId } });
    return;
  }
  const view = `errors/${known?.view ?? '500'}`;
  res.render(view, { status, message, err: known, reqId, title: message }, (renderErr, html) => {
    if (renderErr) {
      log().error({ err: renderErr }, 'error page failed to render');
      res.type('text').send(`${status} ${message}`);
      return;
    }
    res.send(html);
  });
}
