import type { Request, Response } from 'express';
import { log } from '../../logger.ts';
import { currentUser } from '../../middleware/auth.ts';
import { Plan } from '../../models/plan.ts';
import { requestPlanChange } from '../../services/billing.ts';
import { formInput } from '../../validators/admin.validator.ts';
import { PLAN_REQUEST_FIELDS, planRequestSchema } from '../../validators/billing.validator.ts';
import { fieldErrors } from '../../validators/common.ts';
import { currentTenantRecord, renderBilling } from '../billing.controller.ts';

// POST /billing/plan-requests: plans are changed by the platform's admins, who are asked by e-mail.
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await currentTenantRecord(req);
  const values = formInput(req.body, PLAN_REQUEST_FIELDS);
  const parsed = planRequestSchema.safeParse(values);
  if (!parsed.success) return renderBilling(req, res, tenant, { values, errors: fieldErrors(parsed.error) });
  const plan = await Plan.findOne({ where: { code: parsed.data.plan } });
  const problem = !plan
    ? 'choose a plan from the list'
    : plan.code === tenant.plan
      ? 'is already your plan'
      : null;
  const user = currentUser(req);
  if (problem || !plan || !user)
    return renderBilling(req, res, tenant, { values, errors: { plan: problem ?? '' } });
  const sent = await requestPlanChange(tenant, user, plan, parsed.data.message).then(
    () => true,
    (err: unknown) => {
      log().error({ err }, 'plan request e-mail failed');
      return false;
    },
  );
  req.flash(
    sent ? 'success' : 'danger',
    sent
      ? `Your request for the ${plan.name} plan was sent. You will hear back by e-mail.`
      : 'Your request could not be sent just now. Please try again in a moment.',
  );
  res.redirect('/billing');
}
