import type { Request, Response } from 'express';
import { config } from '../../../config/index.ts';
import { ValidationError } from '../../errors.ts';
import type { Plan } from '../../models/plan.ts';
import { formatCents } from '../../services/money.ts';
import { offeredPlans, signUp, TRIAL_DAYS } from '../../services/platform/signups.ts';
import { hostUrl } from '../../services/urls.ts';
import { fieldErrors } from '../../validators/common.ts';
import { signupSchema } from '../../validators/signup.validator.ts';

const KEPT_FIELDS = ['name', 'kind', 'slug', 'adminName', 'email', 'plan'] as const;

type FormValues = Partial<Record<(typeof KEPT_FIELDS)[number], string>>;

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
  try {
    const { domain, token } = await signUp(parsed.data, { handOff: true });
    res.redirect(303, hostUrl(domain, `/session/handoff/${token}`));
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    renderForm(res.status(422), plans, keptInput(req.body), err.fields);
  }
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
