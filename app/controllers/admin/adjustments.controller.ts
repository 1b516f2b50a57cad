import type { Request, Response } from 'express';
import { currentAdmin } from '../../middleware/auth.ts';
import { adjustCredit } from '../../services/billing.ts';
import { formatCents } from '../../services/money.ts';
import { logAdminAction } from '../../services/platform-admins.ts';
import { formInput } from '../../validators/admin.validator.ts';
import { ADJUSTMENT_FORM_FIELDS, adjustmentSchema } from '../../validators/billing.validator.ts';
import { fieldErrors } from '../../validators/common.ts';
import { findTenant, renderTenant } from './tenants.controller.ts';

// POST /admin/tenants/:id/adjustments: corrects the credit either way, with its reason.
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const values = formInput(req.body, ADJUSTMENT_FORM_FIELDS);
  const parsed = adjustmentSchema.safeParse(values);
  if (!parsed.success) return renderTenant(res, tenant, { values, errors: fieldErrors(parsed.error) });
  const admin = currentAdmin(req);
  const { adjustAmount: amountCents, adjustNote: note } = parsed.data;
  const { tenant: after, reactivated } = await adjustCredit(String(tenant.id), { amountCents, note }, admin);
  logAdminAction(admin, 'tenant.adjustment', after, { amountCents, reactivated });
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
