import { z } from 'zod';
import { MEMBER_STATUSES } from '../models/member.ts';
import { ID_RE, lineField, textField } from './common.ts';
import { emailField } from './tenant.validator.ts';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar day written YYYY-MM-DD (2025-02-30 is refused). */
export function isCalendarDay(v: string): boolean {
  if (!DATE_RE.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** An optional day: empty is NULL; otherwise YYYY-MM-DD from 1800 to 2100 (not after today when `past`). */
function dayField(past: boolean) {
  return z
    .string({ message: 'must be a date' })
    .trim()
    .optional()
    .transform((v) => v || null)
    .superRefine((v, ctx) => {
      if (v === null) return;
      const problem = !isCalendarDay(v)
        ? 'must be a date written YYYY-MM-DD'
        : v < '1800-01-01' || v > '2100-12-31'
          ? 'must be between 1800 and 2100'
          : past && v > today()
            ? 'cannot be in the future'
            : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

const optionalLine = (max: number) =>
  lineField(max)
    .optional()
    .transform((v) => v || null);

const optionalEmail = z
  .string({ message: 'must be text' })
  .trim()
  .optional()
  .transform((v) => v || null)
  .pipe(emailField.nullable());

const optionalId = (what: string) =>
  z
    .string({ message: `must be one of the ${what}` })
    .trim()
    .optional()
    .transform((v) => v || null)
    .refine((v) => v === null || ID_RE.test(v), `must be one of the ${what}`);

const statusField = z.enum(MEMBER_STATUSES, { message: 'must be visitor, regular, member or inactive' });

/** The fields a person's record shares between the form and a CSV row. */
const contactFields = {
  firstName: lineField(80, 1),
  lastName: lineField(80, 1),
  email: optionalEmail,
  phone: optionalLine(40),
  address: optionalLine(300),
  birthDate: dayField(true),
  joinedOn: dayField(false),
};

export const memberSchema = z.object({
  ...contactFields,
  status: statusField,
  notes: textField(5000)
    .optional()
    .transform((v) => v || null),
  householdId: optionalId('households'),
  userId: optionalId('staff accounts'),
});

export type MemberInput = z.output<typeof memberSchema>;

/** What the user typed, to put back into a form that is shown again. */
export function memberFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const keys = [
    'firstName',
    'lastName',
    'email',
    'phone',
    'address',
    'birthDate',
    'status',
    'joinedOn',
    'notes',
    'householdId',
    'userId',
  ];
  return Object.fromEntries(keys.map((k) => [k, text(b[k])]));
}

export const MEMBERS_PER_PAGE = 50;
export const MEMBER_SORTS = ['name', 'status', 'joined'] as const;
export type MemberSort = (typeof MEMBER_SORTS)[number];

/** The directory's query string; a value that makes no sense falls back to its default. */
export const memberFilterSchema = z.object({
  q: lineField(100).catch(''),
  status: z.enum(['all', ...MEMBER_STATUSES]).catch('all'),
  group: z.string().regex(ID_RE).catch(''),
  sort: z.enum(MEMBER_SORTS).catch('name'),
  dir: z.enum(['asc', 'desc']).catch('asc'),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export type MemberFilter = z.output<typeof memberFilterSchema>;

/** The filter as query parameters (defaults left out), for links that keep it. */
export function filterParams(filter: MemberFilter, changes: Partial<MemberFilter> = {}): URLSearchParams {
  const f = { ...filter, ...changes };
  const params = new URLSearchParams();
  if (f.q) params.set('q', f.q);
  if (f.status !== 'all') params.set('status', f.status);
  if (f.group) params.set('group', f.group);
  if (f.sort !== 'name' || f.dir !== 'asc') {
    params.set('sort', f.sort);
    params.set('dir', f.dir);
  }
  if (f.page > 1) params.set('page', String(f.page));
  return params;
}

/** One data row of an import file, by column; status is read case-insensitively and defaults to visitor. */
export const memberCsvRowSchema = z.object({
  ...contactFields,
  status: z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase() || 'visitor' : 'visitor'),
    statusField,
  ),
  household: optionalLine(120),
});

export type MemberCsvRow = z.output<typeof memberCsvRowSchema>;

const IMPORT_KEY_RE = /^t_[a-z][a-z0-9_]{1,40}\/member-import\/[0-9a-f-]{36}$/;

/** The hidden field that names an uploaded import file; only a key of `schema` is accepted. */
export function importKey(raw: unknown, schema: string): string | null {
  if (typeof raw !== 'string' || !IMPORT_KEY_RE.test(raw)) return null;
  return raw.startsWith(`${schema}/`) ? raw : null;
}

export const householdSchema = z.object({
  name: lineField(120, 1),
  address: optionalLine(300),
  phone: optionalLine(40),
});

export type HouseholdInput = z.output<typeof householdSchema>;

export function householdFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return { name: text(b.name), address: text(b.address), phone: text(b.phone) };
}

export const HOUSEHOLDS_PER_PAGE = 50;

export const householdFilterSchema = z.object({
  q: lineField(100).catch(''),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});
