import { z } from 'zod';
import { lineField } from './common.ts';

// Whole units (at most 7 digits, so cents fit an INTEGER column) and at most two decimals.
const PRICE_RE = /^(\d{1,7})(?:\.(\d{1,2}))?$/;
const LIMIT_RE = /^\d{1,9}$/;

/** "29.99" → 2999 and "0.1" → 10, read digit by digit (never through a float); null when malformed. */
export function parseCents(text: string): number | null {
  const match = PRICE_RE.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

const price = z.string().transform((v, ctx) => {
  const cents = parseCents(v);
  if (cents === null) {
    ctx.addIssue({ code: 'custom', message: 'must be an amount such as 9.00, with at most two decimals' });
    return z.NEVER;
  }
  return cents;
});

/** Blank means unlimited (null); otherwise a whole number of 0 or more. */
const limit = z.string().transform((v, ctx) => {
  const text = v.trim();
  if (text === '') return null;
  if (!LIMIT_RE.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'must be a whole number of 0 or more, or blank for unlimited' });
    return z.NEVER;
  }
  return Number(text);
});

export const PLAN_FORM_FIELDS = ['name', 'price', 'maxProjects', 'maxTasks', 'maxMembers'] as const;

export const planUpdateSchema = z.object({
  name: lineField(60, 1),
  price,
  maxProjects: limit,
  maxTasks: limit,
  maxMembers: limit,
});

export type PlanUpdate = z.output<typeof planUpdateSchema>;
