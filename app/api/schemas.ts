/** Schemas shared by every API resource: ids, paging, timestamps. */
import { z } from 'zod';
import { ID_RE } from '../validators/common.ts';

/** A record id: digits of a BIGINT, as a string. */
export const idString = z.string().regex(ID_RE).meta({ example: '42', description: 'A record id (digits).' });

/** `/:id` in a path. */
export const idPath = z.object({ id: idString });

/** An ISO 8601 timestamp (UTC). */
export const timestamp = z.iso.datetime().meta({ example: '2026-12-01T09:30:00.000Z' });

/** A calendar day, YYYY-MM-DD. */
export const day = z.iso.date().meta({ example: '2026-12-01' });

export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 25;

/** `limit` and `cursor` of every list endpoint. */
export const listQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(DEFAULT_LIMIT)
    .meta({ description: `Items per page, 1 to ${MAX_LIMIT}.` }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .meta({ description: 'The `nextCursor` of the previous page (opaque).' }),
});

/** A page of a list: its items, the cursor of the next page (null on the last) and the total. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
    total: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Items in the whole list, where cheap to count.' }),
  });
}

/** Turns a Date (or a date-like value from raw SQL) into the ISO string the schemas expect. */
export function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
