import { expect } from 'chai';
import type { z } from 'zod';
import { slugProblem } from '../../app/tenancy/schema-name.ts';
import { platformAdminSchema } from '../../app/validators/admin.validator.ts';
import { adjustmentSchema, planRequestSchema, topUpSchema } from '../../app/validators/billing.validator.ts';
import { commentSchema } from '../../app/validators/comment.validator.ts';
import { CONTROL_MESSAGE, SURROGATE_MESSAGE, textProblem } from '../../app/validators/common.ts';
import { domainSchema } from '../../app/validators/domain.validator.ts';
import { eventSchema } from '../../app/validators/event.validator.ts';
import {
  contributionSchema,
  expenseSchema,
  fundSchema,
  reversalSchema,
} from '../../app/validators/finance.validator.ts';
import { groupSchema } from '../../app/validators/group.validator.ts';
import { householdSchema, memberSchema } from '../../app/validators/member.validator.ts';
import { planUpdateSchema } from '../../app/validators/plan.validator.ts';
import { profileSchema } from '../../app/validators/profile.validator.ts';
import { projectSchema } from '../../app/validators/project.validator.ts';
import { roleSchema } from '../../app/validators/role.validator.ts';
import { settingsSchema } from '../../app/validators/setting.validator.ts';
import { signupSchema } from '../../app/validators/signup.validator.ts';
import { taskSchema } from '../../app/validators/task.validator.ts';
import { tenantCreateSchema } from '../../app/validators/tenant.validator.ts';
import { userCreateSchema } from '../../app/validators/user.validator.ts';

// Every free-text field of every schema, and whether it keeps line breaks.
const FIELDS: [string, z.ZodType, string, boolean][] = [
  ['top-up', topUpSchema, 'note', false],
  ['credit adjustment', adjustmentSchema, 'adjustNote', false],
  ['plan request', planRequestSchema, 'message', true],
  ['platform admin', platformAdminSchema, 'name', false],
  ['plan', planUpdateSchema, 'name', false],
  ['new tenant', tenantCreateSchema, 'name', false],
  ['new tenant', tenantCreateSchema, 'adminName', false],
  ['sign-up', signupSchema(['free']), 'name', false],
  ['sign-up', signupSchema(['free']), 'adminName', false],
  ['member', memberSchema, 'firstName', false],
  ['member', memberSchema, 'lastName', false],
  ['member', memberSchema, 'address', false],
  ['member', memberSchema, 'notes', true],
  ['household', householdSchema, 'name', false],
  ['household', householdSchema, 'address', false],
  ['task', taskSchema, 'title', false],
  ['task', taskSchema, 'description', true],
  ['comment', commentSchema, 'body', true],
  ['project', projectSchema, 'name', false],
  ['project', projectSchema, 'description', true],
  ['group', groupSchema, 'name', false],
  ['group', groupSchema, 'description', true],
  ['event', eventSchema, 'title', false],
  ['fund', fundSchema, 'name', false],
  ['fund', fundSchema, 'description', false],
  ['contribution', contributionSchema, 'reference', false],
  ['contribution', contributionSchema, 'note', false],
  ['expense', expenseSchema, 'category', false],
  ['expense', expenseSchema, 'payee', false],
  ['expense', expenseSchema, 'note', false],
  ['reversal', reversalSchema, 'reason', false],
  ['role', roleSchema, 'name', false],
  ['role', roleSchema, 'description', false],
  ['settings', settingsSchema, 'welcome_text', true],
  ['settings', settingsSchema, 'about', true],
  ['settings', settingsSchema, 'service_times', true],
  ['settings', settingsSchema, 'address', true],
  ['staff account', userCreateSchema, 'name', false],
  ['staff account', userCreateSchema, 'department', false],
  ['profile', profileSchema, 'name', false],
];

/** The message zod gives for `field` when only that field is posted, or undefined. */
function messageFor(schema: z.ZodType, field: string, value: string): string | undefined {
  const result = schema.safeParse({ [field]: value });
  return result.success ? undefined : result.error.issues.find((i) => i.path[0] === field)?.message;
}

describe('the free-text rule', () => {
  for (const [form, schema, field, multiline] of FIELDS) {
    it(`refuses NUL, other controls, DEL and lone surrogates in the ${form} ${field}`, () => {
      for (const bad of ['Ann\u0000e', 'Ann\u001be', 'Ann\u007fe', 'Ann\u0008e'])
        expect(messageFor(schema, field, bad), JSON.stringify(bad)).to.equal(CONTROL_MESSAGE);
      for (const bad of ['Ann\uD800e', 'Ann\uDC00e'])
        expect(messageFor(schema, field, bad), JSON.stringify(bad)).to.equal(SURROGATE_MESSAGE);
      expect(messageFor(schema, field, 'Zoë 👋 <b>&amp;</b>')).to.equal(undefined);
      const lines = messageFor(schema, field, 'one\ttwo\r\nthree');
      if (multiline) expect(lines).to.equal(undefined);
      else expect(lines).to.equal(CONTROL_MESSAGE);
    });
  }

  it('keeps tab and line breaks only where text may span lines', () => {
    expect(textProblem('a\tb\nc\r\nd', true)).to.equal(null);
    expect(textProblem('a\nb', false)).to.equal(CONTROL_MESSAGE);
    expect(textProblem('\u0000', true)).to.equal(CONTROL_MESSAGE);
    expect(textProblem('a\u{1F600}b', false)).to.equal(null);
  });
});

describe('reserved names', () => {
  it('refuses localhost, the base domain label, as a slug', () => {
    expect(slugProblem('localhost')).to.equal('"localhost" is reserved');
  });

  it('refuses the base domain and reserved labels under it as a custom domain', () => {
    for (const domain of [
      'admin.localhost',
      'www.localhost',
      'API.localhost',
      'localhost',
      'localhost.localhost',
    ]) {
      const result = domainSchema.safeParse({ domain });
      expect(result.success, domain).to.equal(false);
    }
    for (const schema of [tenantCreateSchema]) {
      const result = schema.safeParse({ domain: 'admin.localhost' });
      expect(result.success).to.equal(false);
      if (!result.success) expect(result.error.issues.some((i) => i.path[0] === 'domain')).to.equal(true);
    }
  });

  it('still accepts a tenant subdomain and a domain of its own', () => {
    for (const domain of ['grace.localhost', 'admin.grace.org', 'www.grace.org'])
      expect(domainSchema.safeParse({ domain }).success, domain).to.equal(true);
  });
});
