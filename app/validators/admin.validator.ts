import { z } from 'zod';
import { TENANT_KINDS, TENANT_STATUSES, type TenantKind } from '../models/tenant.ts';
import { MAX_TOP_UP_CENTS } from './billing.validator.ts';
import { lineField } from './common.ts';
import { emailField, passwordField, type TenantCreateInput, tenantCreateSchema } from './tenant.validator.ts';

/**
 * Every field of a submitted form as a string: a missing field is '', a repeated one its first value.
 * Values are cut at 1,000 characters (every field's own limit is lower), so a re-rendered form stays small.
 */
export function formInput<K extends string>(body: unknown, keys: readonly K[]): Record<K, string> {
  const source = (body ?? {}) as Record<string, unknown>;
  const values = {} as Record<K, string>;
  for (const key of keys) {
    const raw = Array.isArray(source[key]) ? source[key][0] : source[key];
    values[key] = typeof raw === 'string' ? raw.slice(0, 1000) : '';
  }
  return values;
}

export const TENANTS_PER_PAGE = 25;

/** The tenant list's query string. Bad values fall back to "no filter" rather than an error page. */
export const tenantFilterSchema = z.object({
  q: z
    .string()
    .transform((v) =>
      v
        .replace(/\p{Cc}/gu, '')
        .trim()
        .slice(0, 100),
    )
    .catch(''),
  status: z.enum(TENANT_STATUSES).optional().catch(undefined),
  kind: z.enum(TENANT_KINDS).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1),
});

export const TENANT_FORM_FIELDS = [
  'name',
  'slug',
  'kind',
  'plan',
  'adminName',
  'adminEmail',
  'adminPassword',
] as const;

/**
 * The new-tenant form as provisionTenant's input, blank optional fields left out. provisionTenant
 * validates it with tenantCreateSchema, so the rules live in one place.
 */
export function tenantInputFromForm(
  form: Record<(typeof TENANT_FORM_FIELDS)[number], string>,
): TenantCreateInput {
  return {
    name: form.name,
    slug: form.slug,
    // Checked by tenantCreateSchema inside provisionTenant; the cast only satisfies the input type.
    kind: form.kind as TenantKind,
    plan: form.plan || undefined,
    adminName: form.adminName.trim() || undefined,
    adminEmail: form.adminEmail,
    adminPassword: form.adminPassword === '' ? undefined : form.adminPassword,
  };
}

/** A platform admin account (created from the command line). */
export const platformAdminSchema = z.object({
  email: emailField,
  name: lineField(120, 1),
  password: passwordField,
});

export type PlatformAdminInput = z.input<typeof platformAdminSchema>;

/*
 * The admin API's bodies. The pages' forms send every value as text (an amount such as "25.00",
 * blank optional fields); a JSON client sends typed values, so these schemas carry the same rules
 * in that shape and feed the same services.
 */

/** A new tenant as the admin API takes it: the new-tenant form's fields; omitted ones take their defaults. */
export const tenantCreateBodySchema = tenantCreateSchema.pick({
  name: true,
  slug: true,
  kind: true,
  plan: true,
  adminName: true,
  adminEmail: true,
  adminPassword: true,
});

/** The forms' limit on one top-up or adjustment: $1,000,000.00 either way. */
const MAX_CREDIT_CENTS = Number(MAX_TOP_UP_CENTS);

/** A top-up in integer cents, above zero, and an optional note. */
export const topUpBodySchema = z.object({
  amountCents: z
    .int({ message: 'must be a whole number of cents, such as 2500' })
    .min(1, 'must be above zero')
    .max(MAX_CREDIT_CENTS, `must be at most ${MAX_CREDIT_CENTS} (1,000,000.00)`)
    .meta({ description: 'Cents to add (2500 is 25.00).', example: 2500 }),
  note: lineField(200)
    .nullable()
    .optional()
    .transform((v) => v || null),
});

/** A correction of the credit in signed integer cents, other than zero, with its reason. */
export const adjustmentBodySchema = z.object({
  amountCents: z
    .int({ message: 'must be a whole number of cents, such as -450' })
    .min(-MAX_CREDIT_CENTS, `must be at least -${MAX_CREDIT_CENTS} (-1,000,000.00)`)
    .max(MAX_CREDIT_CENTS, `must be at most ${MAX_CREDIT_CENTS} (1,000,000.00)`)
    .refine((v) => v !== 0, 'must be an amount other than zero')
    .meta({ description: 'Signed cents (-450 takes 4.50 away).', example: -450 }),
  note: lineField(200, 1, 'say why, for example "refund of the March charges"'),
});
