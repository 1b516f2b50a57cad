import { z } from 'zod';
import { TENANT_KINDS } from '../models/tenant.ts';
import { slugProblem } from '../tenancy/schema-name.ts';
import { lineField } from './common.ts';
import { emailField, passwordField } from './tenant.validator.ts';

/** A form value as a string: a missing field or a repeated one (an array) reads as empty. */
function formText<S extends z.ZodType>(schema: S) {
  return z.preprocess((v) => (typeof v === 'string' ? v : ''), schema);
}

export const slugField = z
  .string()
  .trim()
  .toLowerCase()
  .superRefine((v, ctx) => {
    const problem = v ? slugProblem(v) : 'is required';
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** The self-service sign-up form; `planCodes` are the plans offered on it. */
export function signupSchema(planCodes: readonly string[]) {
  return z.object({
    name: formText(lineField(120, 2, 'must be at least 2 characters')),
    kind: formText(z.enum(TENANT_KINDS, { message: 'choose church or company' })),
    slug: formText(slugField),
    adminName: formText(lineField(120, 1)),
    email: formText(emailField),
    password: formText(passwordField),
    plan: formText(z.string().refine((v) => planCodes.includes(v), 'choose one of the plans shown')),
  });
}

export type Signup = z.output<ReturnType<typeof signupSchema>>;

/** The form's field for each field name that provisioning reports. */
const PROVISIONING_FIELDS: Record<string, keyof Signup> = {
  slug: 'slug',
  domain: 'slug',
  name: 'name',
  kind: 'kind',
  adminEmail: 'email',
  adminName: 'adminName',
  adminPassword: 'password',
  plan: 'plan',
};

/** Provisioning's field messages under the form's field names (anything else under `_`). */
export function formErrors(fields: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [field, message] of Object.entries(fields))
    errors[PROVISIONING_FIELDS[field] ?? '_'] ??= message;
  return errors;
}
