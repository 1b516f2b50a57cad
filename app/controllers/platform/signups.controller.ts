import type { Request, Response } from 'express';
import { config } from '../../../config/index.ts';
import { Conflict, ValidationError } from '../../errors.ts';
import { log } from '../../logger.ts';
import { Plan } from '../../models/plan.ts';
import type { Tenant } from '../../models/tenant.ts';
import type { User } from '../../models/user.ts';
import { sendMail } from '../../services/mailer.ts';
import { formatCents } from '../../services/money.ts';
import { provisionTenant } from '../../services/provisioning.ts';
import { issueToken } from '../../services/tokens.ts';
import { hostUrl } from '../../services/urls.ts';
import { withTenant } from '../../tenancy/context.ts';
import { fieldErrors } from '../../validators/common.ts';
import { formErrors, type Signup, signupSchema } from '../../validators/signup.validator.ts';

export const TRIAL_DAYS = 14;
const KEPT_FIELDS = ['name', 'kind', 'slug', 'adminName', 'email', 'plan'] as const;

type FormValues = Partial<Record<(typeof KEPT_FIELDS)[number], string>>;

interface SignedUp {
  tenant: Tenant;
  admin: User;
  domain: string;
  token: string;
}

// GET /signup
export async function newSignup(req: Request, res: Response): Promise<void> {
  const plans = await offeredPlans();
  const plan = typeof req.query.plan === 'string' ? req.query.plan : plans[0]?.code;
  renderForm(res, plans, { plan }, {});
}

// POST /signup: provisions the tenant, then hands the new admin over to its own host.
export async function create(req: Request, res: Response): Promise<void> {
  const plans = await offeredPlans();
  const parsed = signupSchema(plans.map((p) => p.code)).safeParse(req.body ?? {});
  if (!parsed.success)
    return renderForm(res.status(422), plans, keptInput(req.body), fieldErrors(parsed.error));
  let signedUp: SignedUp;
  try {
    signedUp = await signUp(parsed.data);
  } catch (err) {
    if (!(err instanceof ValidationError || err instanceof Conflict)) throw err;
    const errors = err instanceof ValidationError ? formErrors(err.fields) : { slug: 'is already taken' };
    return renderForm(res.status(422), plans, keptInput(req.body), errors);
  }
  sendWelcome(signedUp);
  res.redirect(303, hostUrl(signedUp.domain, `/session/handoff/${signedUp.token}`));
}

function offeredPlans(): Promise<Plan[]> {
  return Plan.findAll({
    order: [
      ['position', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}

function renderForm(res: Response, plans: Plan[], values: FormValues, errors: Record<string, string>): void {
  allowRedirectToTenantHosts(res);
  const options = plans.map((p) => ({
    value: p.code,
    label: `${p.name}: ${formatCents(p.pricePerMonthCents, '$')} per month`,
  }));
  res.render('platform/signups/new', { plans: options, values, errors, trialDays: TRIAL_DAYS });
}

/**
 * Browsers apply the form page's `form-action` to the redirects that follow a submission too, so
 * this page must allow the new tenant's host, where a successful sign-up is handed over.
 */
function allowRedirectToTenantHosts(res: Response): void {
  const policy = res.getHeader('Content-Security-Policy');
  if (typeof policy !== 'string') return;
  const tenantHosts = hostUrl(`*.${config.BASE_DOMAIN}`, '');
  res.setHeader('Content-Security-Policy', policy.replace(/form-action [^;]*/, `$& ${tenantHosts}`));
}

/** What the person typed, to show again: every field but the password, cut to a sane length. */
function keptInput(body: Record<string, unknown> | undefined): FormValues {
  const values: FormValues = {};
  for (const field of KEPT_FIELDS) {
    const v = body?.[field];
    values[field] = typeof v === 'string' ? v.slice(0, 300) : '';
  }
  return values;
}

/**
 * Creates the tenant on a trial with its admin and, in the same transaction and tenant, the admin's
 * one-minute sign-in token: the session has to start on the new host, since cookies are per host.
 */
async function signUp(form: Signup): Promise<SignedUp> {
  let token = '';
  const created = await provisionTenant(
    {
      slug: form.slug,
      name: form.name,
      kind: form.kind,
      plan: form.plan,
      adminName: form.adminName,
      adminEmail: form.email,
      adminPassword: form.password,
      trialDays: TRIAL_DAYS,
    },
    {
      extraSteps: async ({ admin }) => {
        token = await issueToken(admin.id, 'login');
      },
    },
  );
  log().info({ tenant: created.tenant.slug, plan: form.plan }, 'signed up');
  return { ...created, token };
}

const longDate = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' });

/**
 * The welcome e-mail, sent as the new tenant (the mailer marks mail with the current tenant). Not
 * awaited: a slow mail server must not hold the redirect past the token's minute, and a failure
 * must not undo a sign-up that has succeeded.
 */
function sendWelcome({ tenant, admin, domain }: SignedUp): void {
  const mail = {
    to: admin.email,
    subject: `Welcome to Steward: ${tenant.name} is ready`,
    template: 'welcome',
    locals: {
      name: admin.name,
      email: admin.email,
      url: hostUrl(domain),
      trialEndsOn: tenant.trialEndsAt ? longDate.format(tenant.trialEndsAt) : null,
    },
  };
  void withTenant(tenant.toRef(), () => sendMail(mail)).catch((err: unknown) =>
    log().error({ err, tenant: tenant.slug }, 'welcome e-mail failed'),
  );
}
