import { z } from 'zod';
import { config } from '../../config/index.ts';
import { ValidationError } from '../errors.ts';
import { domainProblem } from '../models/domain.ts';
import { TENANT_KINDS } from '../models/tenant.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from '../services/passwords.ts';
import { reservedDomainProblem, slugProblem } from '../tenancy/schema-name.ts';
import { fieldErrors, lineField } from './common.ts';

// Kept here too so older imports read on; new code imports it from common.ts.

const slug = z
  .string()
  .trim()
  .toLowerCase()
  .superRefine((v, ctx) => {
    const problem = slugProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .superRefine((v, ctx) => {
    const problem = domainProblem(v) ?? reservedDomainProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'is too long')
  .pipe(z.email('must be an e-mail address'));
export const passwordField = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);

export const tenantCreateSchema = z.object({
  slug,
  name: lineField(120, 2, 'must be at least 2 characters'),
  kind: z.enum(TENANT_KINDS, { message: 'must be church or company' }),
  domain: domain.optional(),
  adminEmail: emailField,
  adminName: lineField(120, 1).default('Administrator'),
  adminPassword: passwordField.optional(),
  plan: z.string().trim().min(1).max(32).default('free'),
  trialDays: z.number().int().min(0).max(365).default(14),
});

export type TenantCreateInput = z.input<typeof tenantCreateSchema>;
export type TenantCreate = z.output<typeof tenantCreateSchema>;

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldErrors(result.error));
  return result.data;
}

export function defaultDomainFor(slugValue: string): string {
  return `${slugValue}.${config.BASE_DOMAIN}`;
}
