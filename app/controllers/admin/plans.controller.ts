import type { Request, Response } from 'express';
import { NotFound } from '../../errors.ts';
import { currentAdmin } from '../../middleware/auth.ts';
import { centsAsDecimal, PLAN_LIMITS, Plan } from '../../models/plan.ts';
import { logAdminAction } from '../../services/platform-admins.ts';
import { formInput } from '../../validators/admin.validator.ts';
import { fieldErrors, idParam } from '../../validators/common.ts';
import { PLAN_FORM_FIELDS, planUpdateSchema } from '../../validators/plan.validator.ts';

async function findPlan(id: unknown): Promise<Plan> {
  const plan = await Plan.findByPk(idParam(id));
  if (!plan) throw new NotFound();
  return plan;
}

/** The plan as the edit form shows it: the price as a decimal, unlimited as blank. */
function formValues(plan: Plan): Record<string, string> {
  return {
    name: plan.name,
    price: centsAsDecimal(plan.pricePerMonthCents),
    ...Object.fromEntries(
      PLAN_LIMITS.map(({ field }) => [field, plan[field] === null ? '' : String(plan[field])]),
    ),
  };
}

// GET /admin/plans
export async function index(_req: Request, res: Response): Promise<void> {
  const plans = await Plan.findAll({
    order: [
      ['position', 'ASC'],
      ['id', 'ASC'],
    ],
  });
  res.render('admin/plans/index', { plans, limits: PLAN_LIMITS });
}

// GET /admin/plans/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const plan = await findPlan(req.params.id);
  res.render('admin/plans/edit', {
    plan,
    limits: PLAN_LIMITS,
    values: formValues(plan),
    errors: {},
  });
}

// POST /admin/plans/:id
export async function update(req: Request, res: Response): Promise<void> {
  const plan = await findPlan(req.params.id);
  const values = formInput(req.body, PLAN_FORM_FIELDS);
  const parsed = planUpdateSchema.safeParse(values);
  if (!parsed.success) {
    res.status(422).render('admin/plans/edit', {
      plan,
      limits: PLAN_LIMITS,
      values,
      errors: fieldErrors(parsed.error),
    });
    return;
  }
  const { price, ...rest } = parsed.data;
  await plan.update({ ...rest, pricePerMonthCents: price });
  logAdminAction(currentAdmin(req), 'plan.update', plan, { pricePerMonthCents: price });
  req.flash('success', `${plan.name} was saved.`);
  res.redirect('/admin/plans');
}
