import type { Request, Response } from 'express';
import { currentAdmin } from '../../middleware/auth.ts';
import { formatCents } from '../../services/money.ts';
import { adjustTenantCredit, findTenant } from '../../services/platform/tenant-admin.ts';
import { formInput } from '../../validators/admin.validator.ts';
import { ADJUSTMENT_FORM_FIELDS, adjustmentSchema } from '../../validators/billing.validator.ts';
import { fieldErrors } from '../../validators/common.ts';
import { renderTenant } from './tenants.controller.ts';

// POST /admin/tenants/:id/adjustments: corrects the credit either way, with its reason.
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const values = formInput(req.body, ADJUSTMENT_FORM_FIELDS);
  const parsed = adjustmentSchema.safeParse(values);
  if (!parsed.success) return renderTenant(res, tenant, { values, errors: fieldErrors(parsed.error) });
  const { adjustAmount: amountCents, adjustNote: note } = parsed.data;
  const { tenant: after, reactivated } = await adjustTenantCredit(currentAdmin(req), tenant, {
    amountCents,
    note,
  });
  const amount = formatCents(amountCents, '$');
  const balance = formatCents(after.creditCents, '$');
  const below = BigInt(after.creditCents) < 0n && after.status !== 'past_due' && after.status !== 'suspended';
  req.flash(
    'success',
    `${after.name}'s credit was adjusted by ${amount}. Its balance is ${balance}` +
      (reactivated
        ? ` and it is ${after.status} again.`
        : below
          ? '; the next daily charge makes it past due unless credit is added.'
          : '.'),
  );
  res.redirect(`/admin/tenants/${tenant.id}`);
}
