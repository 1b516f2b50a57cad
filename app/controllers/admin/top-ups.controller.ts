import type { Request, Response } from 'express';
import { currentAdmin } from '../../middleware/auth.ts';
import { formatCents } from '../../services/money.ts';
import { findTenant, topUpTenant } from '../../services/platform/tenant-admin.ts';
import { formInput } from '../../validators/admin.validator.ts';
import { TOP_UP_FORM_FIELDS, topUpSchema } from '../../validators/billing.validator.ts';
import { fieldErrors } from '../../validators/common.ts';
import { renderTenant } from './tenants.controller.ts';

// POST /admin/tenants/:id/top-ups: adds credit; brings back a tenant that billing held.
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const values = formInput(req.body, TOP_UP_FORM_FIELDS);
  const parsed = topUpSchema.safeParse(values);
  if (!parsed.success) return renderTenant(res, tenant, { values, errors: fieldErrors(parsed.error) });
  const { amount: amountCents, note } = parsed.data;
  const { tenant: after, reactivated } = await topUpTenant(currentAdmin(req), tenant, { amountCents, note });
  const amount = formatCents(amountCents, '$');
  const balance = formatCents(after.creditCents, '$');
  req.flash(
    'success',
    reactivated
      ? `${amount} was added to ${after.name}. Its balance is ${balance} and it is ${after.status} again.`
      : `${amount} was added to ${after.name}. Its balance is ${balance}.`,
  );
  res.redirect(`/admin/tenants/${tenant.id}`);
}
