import { z } from 'zod';
import { NotFound } from '../errors.ts';
import { emailField } from './tenant.validator.ts';

// Digits that fit a BIGINT: anything else would make PostgreSQL raise an error (a 500) on lookup.
export const ID_RE = /^[1-9][0-9]{0,17}$/;

/** A record id from the URL; anything that cannot be an id is a 404, never a database error. */
export function idParam(raw: unknown): string {
  if (typeof raw === 'string' && ID_RE.test(raw)) return raw;
  throw new NotFound();
}

// NUL cannot be stored in PostgreSQL text, and other control characters have no place in a name.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LINE_BREAK = /[\r\n\t]/;

/** A form field left out of the post reads as left empty, so it gets the same message. */
export function blankIfMissing<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => v ?? '', schema);
}

/** A one-line text of at most `max` characters, trimmed; `min` 1 makes it required. */
export function lineField(max: number, min = 0) {
  return z
    .string({ message: 'must be text' })
    .trim()
    .min(min, min ? 'is required' : undefined)
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !CONTROL.test(v) && !LINE_BREAK.test(v), 'must not contain control characters');
}

/** A multi-line text of at most `max` characters, trimmed, with its line breaks kept. */
export function textField(max: number) {
  return z
    .string({ message: 'must be text' })
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !CONTROL.test(v), 'must not contain control characters');
}

/** Optional text: missing or empty is stored as NULL. */
const optionalLine = (max: number) =>
  lineField(max)
    .optional()
    .transform((v) => v || null);

/**
 * Checkbox lists arrive from urlencoded forms as nothing (none ticked), one string (one ticked) or
 * an array of strings: always an array here.
 */
export function idList(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

const roleIds = z.preprocess(
  idList,
  z
    .array(z.string().regex(ID_RE, 'contains a role that does not exist'))
    .max(50, 'has too many roles')
    .transform((ids) => [...new Set(ids)]),
);

export const userNameField = lineField(120, 1);

export const userCreateSchema = z.object({
  name: userNameField,
  email: emailField,
  department: optionalLine(120),
  roleIds,
});

export const userUpdateSchema = z.object({
  name: userNameField,
  department: optionalLine(120),
  roleIds,
});

export type UserCreate = z.output<typeof userCreateSchema>;
export type UserUpdate = z.output<typeof userUpdateSchema>;

export const USER_STATUS_FILTERS = ['all', 'active', 'inactive'] as const;
export type UserStatusFilter = (typeof USER_STATUS_FILTERS)[number];

/** The staff list's query string; a value that makes no sense falls back to its default. */
export const userFilterSchema = z.object({
  q: z
    .string()
    .trim()
    .max(100)
    .refine((v) => !CONTROL.test(v))
    .catch(''),
  status: z.enum(USER_STATUS_FILTERS).catch('all'),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export type UserFilter = z.output<typeof userFilterSchema>;

/** What the user typed, to put back into a form that is shown again. */
export function userFormValues(body: unknown): Record<string, unknown> {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    name: text(b.name),
    email: text(b.email),
    department: text(b.department),
    roleIds: idList(b.roleIds),
  };
}
