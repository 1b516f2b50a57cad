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

/** The rules of every sign-up field but the plan, whose choices come from the plans table. */
const signupFields = {
  name: lineField(120, 2, 'must be at least 2 characters'),
  kind: z.enum(TENANT_KINDS, { message: 'choose church or company' }),
  slug: slugField,
  adminName: lineField(120, 1),
  email: emailField,
  password: passwordField,
};

/** The self-service sign-up form; `planCodes` are the plans offered on it. */
export function signupSchema(planCodes: readonly string[]) {
  return z.object({
    name: formText(signupFields.name),
    kind: formText(signupFields.kind),
    slug: formText(signupFields.slug),
    adminName: formText(signupFields.adminName),
    email: formText(signupFields.email),
    password: formText(signupFields.password),
    plan: formText(z.string().refine((v) => planCodes.includes(v), 'choose one of the plans shown')),
  });
}

/**
 * The sign-up as a JSON client sends it: the form's fields and rules, with typed values instead of
 * the form's "anything reads as text". Whether the plan is offered is checked by `signUp`.
 */
export const signupBodySchema = z.object({
  ...signupFields,
  plan: z.string({ message: 'choose one of the plans shown' }).trim().min(1, 'choose a plan').max(32),
});

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
