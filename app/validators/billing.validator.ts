import { z } from 'zod';
import { parseCents } from '../services/money.ts';
import { lineField, textField } from './common.ts';

/** Top-ups and adjustments stop at $1,000,000.00: a bigger figure is a typing slip, not a payment. */
export const MAX_TOP_UP_CENTS = 100_000_000n;

/**
 * An amount in dollars and cents as a cent string: above zero, or (signed) anything but zero, and
 * at most MAX_TOP_UP_CENTS either way.
 */
function creditAmount(signed: boolean) {
  return z.string().transform((v, ctx) => {
    const cents = parseCents(v);
    const value = cents === null ? null : BigInt(cents);
    if (value === null || value === 0n || (!signed && value < 0n)) {
      const message = signed
        ? 'must be an amount other than zero, such as 10.00 or -4.50'
        : 'must be an amount above zero, such as 25.00';
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    if ((value < 0n ? -value : value) > MAX_TOP_UP_CENTS) {
      const message = signed ? 'must be at most 1,000,000.00 either way' : 'must be at most 1,000,000.00';
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return String(value);
  });
}

export const TOP_UP_FORM_FIELDS = ['amount', 'note'] as const;

/** A platform admin's top-up: a positive amount in dollars and cents, and an optional note. */
export const topUpSchema = z.object({
  amount: creditAmount(false),
  note: lineField(200).transform((v) => v || null),
});

export const ADJUSTMENT_FORM_FIELDS = ['adjustAmount', 'adjustNote'] as const;

/** A correction of the credit: a signed amount that is not zero, and its reason (required). */
export const adjustmentSchema = z.object({
  adjustAmount: creditAmount(true),
  adjustNote: lineField(200, 1, 'say why, for example "refund of the March charges"'),
});

export const PLAN_FIELD = ['plan'] as const;

/** A plan code from a select; whether it exists is checked against the plans table. */
export const planChoiceSchema = z.object({
  plan: z.string().trim().min(1, 'choose a plan').max(32, 'choose a plan from the list'),
});

export const PLAN_REQUEST_FIELDS = ['plan', 'message'] as const;

export const planRequestSchema = planChoiceSchema.extend({
  message: textField(1000),
});

/** The ledger page in the query string; a bad value shows the first page. */
export const ledgerPageSchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
});
