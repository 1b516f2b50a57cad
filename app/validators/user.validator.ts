import { z } from 'zod';
import { ID_RE, isCleanText, lineField } from './common.ts';
import { emailField } from './tenant.validator.ts';

// Kept here too so older imports read on; new code imports them from common.ts.

/** A form field left out of the post reads as left empty, so it gets the same message. */
export function blankIfMissing<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => v ?? '', schema);
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

/** Role ids as a list, each once. */
const roleIdList = z
  .array(z.string().regex(ID_RE, 'contains a role that does not exist'), {
    error: 'must be a list of role ids',
  })
  .max(50, 'has too many roles')
  .transform((ids) => [...new Set(ids)]);

const roleIds = z.preprocess(idList, roleIdList);

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

// A JSON client sends the roles as a list of ids: the checkbox rules above (nothing ticked arrives
// as no field, one as a bare string) are the form's, so the API's bodies take the list itself.
export const userCreateApiSchema = userCreateSchema.extend({ roleIds: roleIdList.default([]) });
export const userUpdateApiSchema = userUpdateSchema.extend({ roleIds: roleIdList });

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
    .refine((v) => isCleanText(v))
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
