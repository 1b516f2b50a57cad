import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { rootLogger } from '../logger.ts';
import { currentContext, type RequestContext, runInContext } from '../tenancy/context.ts';

const REQ_ID_RE = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Opens the request's context: a request id (from X-Request-Id when sane) and a logger whose lines
 * carry `reqId` and, once the host is resolved, `tenant`. Logs one line when the response ends.
 */
export function requestContext(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get('x-request-id');
  const reqId = incoming && REQ_ID_RE.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', reqId);
  const ctx: RequestContext = { tenant: null, reqId, log: rootLogger.child({ reqId }) };
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const level = res.statusCode >= 500 ? 'error' : 'info';
    ctx.log?.[level](
      // The CSRF token of an upload form's URL stays out of the logs.
      {
        method: req.method,
        url: req.originalUrl.replace(/([?&]_csrf=)[^&]*/, '$1-'),
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
      },
      'request',
    );
  });
  runInContext(ctx, next);
}

export function currentRequestId(): string | undefined {
  return currentContext()?.reqId;
}
