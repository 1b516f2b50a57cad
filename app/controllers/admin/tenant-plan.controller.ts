import type { Request, Response } from 'express';
import { ValidationError } from '../../errors.ts';
import { currentAdmin } from '../../middleware/auth.ts';
import { changeTenantPlan, findTenant } from '../../services/platform/tenant-admin.ts';
import { formInput } from '../../validators/admin.validator.ts';
import { PLAN_FIELD, planChoiceSchema } from '../../validators/billing.validator.ts';
import { fieldErrors } from '../../validators/common.ts';
import { renderTenant } from './tenants.controller.ts';

// POST /admin/tenants/:id/plan: the next daily charge uses the new plan's price.
export async function update(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const values = formInput(req.body, PLAN_FIELD);
  const parsed = planChoiceSchema.safeParse(values);
  if (!parsed.success) return renderTenant(res, tenant, { values, errors: fieldErrors(parsed.error) });
  try {
    const { plan, changed } = await changeTenantPlan(currentAdmin(req), tenant, parsed.data.plan);
    if (changed) req.flash('success', `${tenant.name} is now on the ${plan.name} plan.`);
    else req.flash('info', `${tenant.name} is already on the ${plan.name} plan.`);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return renderTenant(res, tenant, { values, errors: err.fields });
  }
  res.redirect(`/admin/tenants/${tenant.id}`);
}
