import type { Request, Response } from 'express';
import { currentAdmin } from '../../middleware/auth.ts';
import { Plan } from '../../models/plan.ts';
import { changePlan } from '../../services/billing.ts';
import { logAdminAction } from '../../services/platform-admins.ts';
import { formInput } from '../../validators/admin.validator.ts';
import { PLAN_FIELD, planChoiceSchema } from '../../validators/billing.validator.ts';
import { fieldErrors } from '../../validators/common.ts';
import { findTenant, renderTenant } from './tenants.controller.ts';

// POST /admin/tenants/:id/plan: the next daily charge uses the new plan's price.
export async function update(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const values = formInput(req.body, PLAN_FIELD);
  const parsed = planChoiceSchema.safeParse(values);
  if (!parsed.success) return renderTenant(res, tenant, { values, errors: fieldErrors(parsed.error) });
  const plan = await Plan.findOne({ where: { code: parsed.data.plan } });
  if (!plan) return renderTenant(res, tenant, { values, errors: { plan: 'choose a plan from the list' } });
  if (plan.code === tenant.plan) {
    req.flash('info', `${tenant.name} is already on the ${plan.name} plan.`);
  } else {
    const from = tenant.plan;
    await changePlan(String(tenant.id), plan);
    logAdminAction(currentAdmin(req), 'tenant.plan_change', tenant, { from, to: plan.code });
    req.flash('success', `${tenant.name} is now on the ${plan.name} plan.`);
  }
  res.redirect(`/admin/tenants/${tenant.id}`);
}
