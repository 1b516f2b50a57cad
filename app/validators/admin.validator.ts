import { z } from 'zod';
import { TENANT_KINDS, TENANT_STATUSES, type TenantKind } from '../models/tenant.ts';
import { lineField } from './common.ts';
import { emailField, passwordField, type TenantCreateInput } from './tenant.validator.ts';

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
