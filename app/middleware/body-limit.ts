import { AsyncResource } from 'node:async_hooks';
import type { Socket } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../errors.ts';
import { errorHandler } from './error-handler.ts';

/** Form and JSON bodies (and anything else that is not an upload). */
export const FORM_BODY_MAX_BYTES = 200 * 1024;

/** What a multipart body may hold besides its file: the fields, part headers and boundaries. */
export function multipartBodyMax(fileBytes: number, fieldBytes: number): number {
  return fileBytes + fieldBytes + 64 * 1024;
}

class PayloadTooLarge extends HttpError {
  constructor(message: string) {
    super(413, message, '400');
  }
}

const TOO_LARGE = 'The request is too large to be accepted.';

/**
 * How long a refused connection stays half-open after its answer. Closing it at once, with the
 * client's unread bytes still queued, sends a reset that can make the client lose the answer.
 */
const LINGER_MS = 2000;

interface Limit {
  max: number;
  received: number;
  refused: boolean;
  message: string;
}

const limits = new WeakMap<Request, Limit>();

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * After the answer Node closes the connection (`Connection: close`): here it sends its end at once
 * but keeps the socket, unread, for LINGER_MS, so the client reads the answer, stops sending and
 * closes, instead of getting a reset while it is still sending.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function destroySoon(this: Socket) {
    this.end();
    // Node resumes an unread request once it is answered (to reach the next one); not this one.
    setImmediate(() => this.pause());
    setTimeout(() => this.destroy(), LINGER_MS).unref();
  };
}

/** Answers 413 with `Connection: close` and reads nothing more. */
function refuse(req: Request, res: Response, limit: Limit): void {
  limit.refused = true;
  req.unpipe();
  req.pause();
  req.socket?.pause();
  if (res.headersSent) {
    req.socket?.destroy();
    return;
  }
  if (req.socket) lingerOnClose(req.socket);
  res.setHeader('Connection', 'close');
  errorHandler(new PayloadTooLarge(limit.message), req, res, () => req.socket?.destroy());
}

/**
 * Counts a chunked body's bytes as the HTTP parser hands them to the request (whoever reads it:
 * the form parser, multer), so the count holds whatever consumes the stream. The chunk that goes
 * past the limit is never passed on.
 */
function countChunks(req: Request, res: Response, limit: Limit): void {
  const push = req.push.bind(req);
  // The refusal runs from a socket event; it renders in the request's context (request id, tenant).
  const refuseHere = AsyncResource.bind(() => refuse(req, res, limit));
  req.push = (chunk: Buffer | null, encoding?: BufferEncoding): boolean => {
    if (limit.refused) return false;
    if (chunk !== null) {
      limit.received += chunk.length;
      if (limit.received > limit.max) {
        refuseHere();
        return false;
      }
    }
    return push(chunk, encoding);
  };
}

/**
 * Holds the request's body to `max` bytes (a route can only lower the limit already set): a
 * Content-Length over it is refused at once, before a byte is read; a chunked body is refused when
 * it goes past it. Returns true when the request was refused; its answer is then on its way and
 * nothing else must run for it.
 */
export function limitBody(req: Request, res: Response, max: number, message = TOO_LARGE): boolean {
  let limit = limits.get(req);
  if (limit?.refused) return true;
  if (!hasBody(req)) return false;
  if (!limit) {
    limit = { max, received: 0, refused: false, message };
    limits.set(req, limit);
    if (req.headers['content-length'] === undefined) countChunks(req, res, limit);
  } else if (max < limit.max) {
    limit.max = max;
    limit.message = message;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit.max || limit.received > limit.max) {
    refuse(req, res, limit);
    return true;
  }
  return false;
}

/** Whether this request's body was refused for its size (and answered). */
export function bodyRefused(req: Request): boolean {
  return limits.get(req)?.refused === true;
}

/**
 * The limit of every body, by its type: uploads (multipart) up to `multipartMax` bytes (each
 * upload route lowers it to its own), everything else up to FORM_BODY_MAX_BYTES.
 */
export function bodyLimit(multipartMax: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    const max = req.is('multipart/form-data') ? multipartMax : FORM_BODY_MAX_BYTES;
    if (!limitBody(req, res, max)) next();
  };
}

/** A body parser that goes quiet once the body was refused: the 413 is the request's answer. */
export function unlessRefused(parser: RequestHandler): RequestHandler {
  return (req, res, next) => parser(req, res, (err?: unknown) => (bodyRefused(req) ? undefined : next(err)));
}
