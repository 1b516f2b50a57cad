import { z } from 'zod';
import { CONTRIBUTION_METHODS } from '../models/contribution.ts';
import { parseCents } from '../services/money.ts';
import { ID_RE, lineField } from './common.ts';

export { idParam } from './common.ts';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
// "1,234.56": commas between groups of three digits separate thousands; "1,5" stays a decimal comma.
const THOUSANDS_RE = /^\s*-?\s*[$€£]?\s*\d{1,3}(,\d{3})+(\.\d{1,2})?\s*$/;

export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2999;

/** Cents from what a person typed ("1,234.56", "1234.5", "12"); null when it is not an amount. */
export function centsFromText(text: string): string | null {
  return parseCents(THOUSANDS_RE.test(text) ? text.replace(/,/g, '') : text);
}

/** True for a real calendar date written YYYY-MM-DD between 1900 and 2999. */
export function isDate(text: string): boolean {
  const m = DATE_RE.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  return (
    year >= FIRST_YEAR &&
    year <= LAST_YEAR &&
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day
  );
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function thisYear(): number {
  return new Date().getUTCFullYear();
}

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/** A positive amount in cents, as a string (BIGINT). */
const amountField = z
  .string({ error: 'is required' })
  .trim()
  .min(1, 'is required')
  .transform((v, ctx) => {
    const cents = centsFromText(v);
    if (cents === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an amount such as 1,234.56 (at most two decimals)' });
      return z.NEVER;
    }
    if (BigInt(cents) <= 0n) {
      ctx.addIssue({ code: 'custom', message: 'must be more than 0' });
      return z.NEVER;
    }
    return cents;
  });

const dateField = z
  .string({ error: 'is required' })
  .trim()
  .min(1, 'is required')
  .refine(isDate, 'must be a date (YYYY-MM-DD)');

const requiredId = (what: string) => z.string({ error: `choose a ${what}` }).regex(ID_RE, `choose a ${what}`);

const optionalId = (what: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v ? v.trim() : ''))
    .refine((v) => v === '' || ID_RE.test(v), `is not a known ${what}`)
    .transform((v) => v || null);

const optionalLine = (max: number) =>
  lineField(max)
    .optional()
    .transform((v) => v || null);

const checkbox = z.preprocess((v) => v === 'on' || v === 'true' || v === '1' || v === true, z.boolean());

export const fundSchema = z.object({
  name: lineField(80, 1),
  description: optionalLine(300),
  active: checkbox,
});
export type FundInput = z.output<typeof fundSchema>;

export function fundFormValues(body: unknown): Record<string, unknown> {
  const b = (body ?? {}) as Record<string, unknown>;
  return { name: text(b.name), description: text(b.description), active: checkbox.parse(b.active) };
}

export const contributionSchema = z.object({
  memberId: optionalId('person'),
  fundId: requiredId('fund'),
  amount: amountField,
  receivedOn: dateField,
  method: z.enum(CONTRIBUTION_METHODS, { error: 'choose a method' }),
  reference: optionalLine(80),
  note: optionalLine(300),
});
export type ContributionInput = z.output<typeof contributionSchema>;

export function contributionFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    ['memberId', 'fundId', 'amount', 'receivedOn', 'method', 'reference', 'note'].map((k) => [k, text(b[k])]),
  );
}

export const expenseSchema = z.object({
  category: lineField(80, 1),
  fundId: requiredId('fund'),
  amount: amountField,
  spentOn: dateField,
  payee: lineField(160, 1),
  note: optionalLine(300),
  removeReceipt: checkbox,
});
export type ExpenseInput = z.output<typeof expenseSchema>;

export function expenseFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    ['category', 'fundId', 'amount', 'spentOn', 'payee', 'note'].map((k) => [k, text(b[k])]),
  );
}

/** A query-string value that must be a date; anything else is ignored. */
const dateFilter = z
  .string()
  .trim()
  .refine((v) => v === '' || isDate(v))
  .catch('');
const idFilter = z.string().trim().regex(ID_RE).catch('');
const pageFilter = z.coerce.number().int().min(1).max(100_000).catch(1);

export const contributionFilterSchema = z.object({
  from: dateFilter.default(''),
  to: dateFilter.default(''),
  fundId: idFilter.default(''),
  memberId: idFilter.default(''),
  method: z.enum(CONTRIBUTION_METHODS).or(z.literal('')).catch('').default(''),
  page: pageFilter.default(1),
});
export type ContributionFilter = z.output<typeof contributionFilterSchema>;

export const expenseFilterSchema = z.object({
  from: dateFilter.default(''),
  to: dateFilter.default(''),
  fundId: idFilter.default(''),
  category: lineField(80).catch('').default(''),
  page: pageFilter.default(1),
});
export type ExpenseFilter = z.output<typeof expenseFilterSchema>;

/** A year from the query string; the current year when missing or impossible. */
export function yearParam(raw: unknown): number {
  const year = Number(raw);
  return Number.isInteger(year) && year >= FIRST_YEAR && year <= LAST_YEAR ? year : thisYear();
}

export interface Period {
  from: string;
  to: string;
  /** Set when the period is a calendar year. */
  year: number | null;
}

/**
 * The statistics period: from/to when both are dates in order and at most 20 years apart, else the
 * year asked for, else this year.
 */
export function periodParam(query: Record<string, unknown>): Period {
  const from = text(query.from).trim();
  const to = text(query.to).trim();
  if (isDate(from) && isDate(to) && from <= to && Number(to.slice(0, 4)) - Number(from.slice(0, 4)) < 20)
    return { from, to, year: null };
  const year = yearParam(query.year);
  return { from: `${year}-01-01`, to: `${year}-12-31`, year };
}

export const reversalSchema = z.object({ reason: optionalLine(200) });

// The API's bodies. A JSON client sends money as integer cents (as the API shows every amount), an
// empty optional value as null (or ''), and `active` as a boolean rather than a checkbox's "on";
// otherwise each field and its rule is the form's, and the same service takes the result.

/** The largest amount a form takes (twelve digits and two decimals), in cents. */
const MAX_CENTS = 99_999_999_999_999;

/** A positive whole number of cents, handed on as the string the services keep (BIGINT). */
export const centsField = z
  .number({ error: 'must be a whole number of cents' })
  .int('must be a whole number of cents')
  .min(1, 'must be more than 0')
  .max(MAX_CENTS, `must be at most ${MAX_CENTS}`)
  .transform(String);

const nullableLine = (max: number) =>
  lineField(max)
    .nullable()
    .optional()
    .transform((v) => v || null);

const nullableId = (what: string) =>
  z
    .string({ error: `is not a known ${what}` })
    .trim()
    .refine((v) => v === '' || ID_RE.test(v), `is not a known ${what}`)
    .nullable()
    .optional()
    .transform((v) => v || null);

/** A date the API takes in a query: YYYY-MM-DD, as the forms check it. */
export const dateQuery = z.string().trim().refine(isDate, 'must be a date (YYYY-MM-DD)');

export const fundApiSchema = fundSchema.extend({
  description: nullableLine(300),
  active: z.boolean({ error: 'must be true or false' }).default(true),
});

export const contributionApiFields = contributionSchema.omit({ amount: true }).extend({
  memberId: nullableId('person'),
  amountCents: centsField,
  reference: nullableLine(80),
  note: nullableLine(300),
});
export const contributionApiSchema = contributionApiFields.transform(
  ({ amountCents, ...fields }): ContributionInput => ({ ...fields, amount: amountCents }),
);

export const expenseApiFields = expenseSchema.omit({ amount: true, removeReceipt: true }).extend({
  amountCents: centsField,
  note: nullableLine(300),
});
export const expenseApiSchema = expenseApiFields.transform(({ amountCents, ...fields }) => ({
  ...fields,
  amount: amountCents,
}));

export const reversalApiSchema = reversalSchema.extend({ reason: nullableLine(200) });
