import type { Request, Response } from 'express';
import { config } from '../../config/index.ts';
import { NotFound } from '../errors.ts';
import { Tenant } from '../models/tenant.ts';
import { billingSummary } from '../services/billing.ts';
import { ledgerPageSchema } from '../validators/billing.validator.ts';

export interface BillingForm {
  values: Record<string, string>;
  errors: Record<string, string>;
}

/** The row of the tenant whose host this is. */
export async function currentTenantRecord(req: Request): Promise<Tenant> {
  const tenant = req.tenant ? await Tenant.findByPk(req.tenant.id) : null;
  if (!tenant) throw new NotFound();
  return tenant;
}

/** The billing page; the plan-request form re-renders it with its field messages. */
export async function renderBilling(
  req: Request,
  res: Response,
  tenant: Tenant,
  form: BillingForm = { values: { plan: '', message: '' }, errors: {} },
): Promise<void> {
  const { page } = ledgerPageSchema.parse(req.query);
  const billing = await billingSummary(tenant, page);
  res.status(Object.keys(form.errors).length ? 422 : 200).render('billing/show', {
    title: 'Billing',
    org: tenant,
    billing,
    graceDays: config.PAST_DUE_GRACE_DAYS,
    pageUrl: (n: number) => `/billing?page=${n}`,
    ...form,
  });
}

// GET /billing
export async function show(req: Request, res: Response): Promise<void> {
  await renderBilling(req, res, await currentTenantRecord(req));
}
