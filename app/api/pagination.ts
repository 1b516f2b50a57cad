/**
 * Opaque cursors for list endpoints. A cursor carries the offset of the next page (and a version,
 * so its shape can change); clients must treat it as opaque. A forged or garbled one is a 400.
 */

import type { ApiContext, ApiResult } from './kit.ts';
import { ApiProblem } from './problem.ts';

export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ v: 1, o: offset })).toString('base64url');
}

/** The offset a cursor stands for (0 without one). */
export function offsetOf(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      v?: unknown;
      o?: unknown;
    };
    if (
      parsed.v === 1 &&
      Number.isInteger(parsed.o) &&
      (parsed.o as number) >= 0 &&
      (parsed.o as number) <= 10_000_000
    )
      return parsed.o as number;
  } catch {
    // fall through
  }
  throw new ApiProblem(400, 'bad-cursor', 'The cursor is not one this API gave out.');
}

/**
 * A page of `items` as the list body `{ data, nextCursor, total }`, with a `Link` header to the
 * next page (RFC 8288). `items` may hold one more than `limit` (fetched to know whether a next
 * page exists without counting); it is cut to `limit`.
 */
export function listResult<T>(
  ctx: ApiContext<unknown, unknown, unknown>,
  items: T[],
  page: { limit: number; offset: number; total?: number },
): ApiResult {
  const more =
    page.total !== undefined
      ? page.offset + Math.min(items.length, page.limit) < page.total
      : items.length > page.limit;
  const data = items.slice(0, page.limit);
  const nextCursor = more ? encodeCursor(page.offset + page.limit) : null;
  const headers: Record<string, string> = {};
  if (nextCursor) {
    const url = new URL(ctx.req.originalUrl, 'http://x');
    url.searchParams.set('cursor', nextCursor);
    headers.Link = `<${url.pathname}${url.search}>; rel="next"`;
  }
  if (page.total !== undefined) headers['X-Total-Count'] = String(page.total);
  return { body: { data, nextCursor, ...(page.total !== undefined ? { total: page.total } : {}) }, headers };
}
