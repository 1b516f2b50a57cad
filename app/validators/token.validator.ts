/** Personal access tokens: the form that makes one, on the profile page and on /admin/tokens. */
import { z } from 'zod';
import { type NewPersonalToken, TOKEN_SCOPES, type TokenScope } from '../services/api-tokens.ts';
import { instantOf, localParts } from '../services/local-time.ts';
import { lineField } from './common.ts';

export const TOKEN_NAME_MAX = 80;

/** How long a new token lasts: never ends, a number of days, or until the end of a chosen day. */
export const TOKEN_EXPIRIES = ['never', '30', '90', '365', 'date'] as const;
export type TokenExpiry = (typeof TOKEN_EXPIRIES)[number];

export const SCOPE_LABELS: Record<TokenScope, string> = { read: 'Read-only', 'read-write': 'Read and write' };
export const EXPIRY_LABELS: Record<TokenExpiry, string> = {
  never: 'Never',
  '30': 'In 30 days',
  '90': 'In 90 days',
  '365': 'In a year',
  date: 'On a date',
};

const DAY_MS = 86_400_000;
const DATE_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

/** The form's fields as typed, for re-rendering it with the person's input. */
export function tokenFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown, fallback = '') => (typeof v === 'string' ? v : fallback);
  return {
    name: text(b.name),
    scope: text(b.scope, 'read'),
    expiry: text(b.expiry, '90'),
    expiresOn: text(b.expiresOn),
  };
}

function calendarDay(text: string): boolean {
  const m = DATE_RE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  return y <= 9999 && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
}

function nextDay(date: string): string {
  const [y, mo, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, mo - 1, d) + DAY_MS).toISOString().slice(0, 10);
}

/**
 * The new-token form, read on the clock of `timeZone` at `now`: a chosen day lasts until the end of
 * that day there, and must be after today. The output is what `createPersonalToken` takes.
 */
export function tokenCreateSchema(timeZone: string, now: Date = new Date()) {
  const today = localParts(now, timeZone).date;
  return z
    .object({
      name: lineField(TOKEN_NAME_MAX, 1),
      scope: z.enum(TOKEN_SCOPES, { message: 'must be read-only or read-write' }),
      expiry: z.enum(TOKEN_EXPIRIES, { message: 'must be one of the choices' }),
      expiresOn: z.string({ message: 'must be a date' }).trim().optional(),
    })
    .superRefine((v, ctx) => {
      if (v.expiry !== 'date') return;
      const day = v.expiresOn ?? '';
      if (!calendarDay(day))
        ctx.addIssue({ code: 'custom', path: ['expiresOn'], message: 'must be a date such as 2027-06-30' });
      else if (day <= today)
        ctx.addIssue({ code: 'custom', path: ['expiresOn'], message: 'must be a day after today' });
    })
    .transform(
      (v): NewPersonalToken => ({
        name: v.name,
        scope: v.scope,
        expiresAt:
          v.expiry === 'never'
            ? null
            : v.expiry === 'date'
              ? instantOf(nextDay(v.expiresOn ?? ''), '00:00', timeZone)
              : new Date(now.getTime() + Number(v.expiry) * DAY_MS),
      }),
    );
}

export type TokenCreateInput = z.output<ReturnType<typeof tokenCreateSchema>>;
