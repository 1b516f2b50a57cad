/**
 * Cross-origin calls to the API are refused by default: no CORS headers are sent, so browsers
 * keep other sites' pages from reading answers. A tenant opens its API to the origins listed in its
 * `api_cors_origins` setting (Settings page, one origin per line). Credentials are never allowed:
 * the API reads no cookies, so a listed origin's page must send a bearer token itself.
 */
import type { NextFunction, Request, Response } from 'express';
import { Setting } from '../models/setting.ts';
import { ApiProblem, sendProblem } from './problem.ts';

export const CORS_SETTING = 'api_cors_origins';

const ALLOWED_HEADERS = 'Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key';
const EXPOSED_HEADERS =
  'ETag, Link, Location, RateLimit, RateLimit-Policy, Retry-After, X-Total-Count, Idempotent-Replayed';

/** The origins a setting's text lists (`https://app.example.org`, one per line or space-separated). */
export function listedOrigins(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .map((o) => o.trim().replace(/\/+$/, '').toLowerCase())
    .filter((o) => /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(o));
}

export async function cors(req: Request, res: Response, next: NextFunction): Promise<void> {
  const origin = req.get('origin');
  if (!origin) return next();
  res.vary('Origin');
  try {
    const allowed = req.tenant ? listedOrigins((await Setting.all())[CORS_SETTING]) : [];
    const ok = allowed.includes(origin.toLowerCase());
    if (req.method === 'OPTIONS') {
      if (!ok)
        return sendProblem(new ApiProblem(403, 'cors', 'This origin may not call this API.'), req, res);
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      res.status(204).end();
      return;
    }
    if (ok)
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSED_HEADERS });
    next();
  } catch (err) {
    sendProblem(err, req, res);
  }
}
