import type { Request, Response } from 'express';
import { currentAdmin } from '../../middleware/auth.ts';
import { topUp } from '../../services/billing.ts';
import { formatCents } from '../../services/money.ts';
import { logAdminAction } from '../../services/platform-admins.ts';
import { formInput } from '../../validators/admin.validator.ts';
import { TOP_UP_FORM_FIELDS, topUpSchema } from '../../validators/billing.validator.ts';
import { fieldErrors } from '../../validators/common.ts';
import { findTenant, renderTenant } from './tenants.controller.ts';

// POST /admin/tenants/:id/top-ups: adds credit; brings back a tenant that billing held.
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const values = formInput(req.body, TOP_UP_FORM_FIELDS);
  const parsed = topUpSchema.safeParse(values);
  if (!parsed.success) return renderTenant(res, tenant, { values, errors: fieldErrors(parsed.error) });
  const admin = currentAdmin(req);
  const { tenant: after, reactivated } = await topUp(
    String(tenant.id),
    { amountCents: parsed.data.amount, note: parsed.data.note },
    admin,
  );
  const amount = formatCents(parsed.data.amount, '$');
  logAdminAction(admin, 'tenant.top_up', after, { amountCents: parsed.data.amount, reactivated });
  const balance = formatCents(after.creditCents, '$');
  req.flash(
    'success',
    reactivated
      ? `${amount} was added to ${after.name}. Its balance is ${balance} and it is ${after.status} again.`
      : `${amount} was added to ${after.name}. Its balance is ${balance}.`,
  );
  res.redirect(`/admin/tenants/${tenant.id}`);
}
