import type { Request, Response } from 'express';
import { currentAdmin } from '../../../middleware/auth.ts';
import { findTenant } from '../../../services/platform/tenant-admin.ts';
import { logAdminAction } from '../../../services/platform-admins.ts';
import { deleteTenant } from '../../../services/provisioning.ts';
import { formInput } from '../../../validators/admin.validator.ts';

// GET /admin/tenants/:id/delete: asks for the slug to be typed back.
export async function newDeletion(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  res.render('admin/tenants/deletion/new', {
    org: tenant,
    values: {},
    errors: {},
  });
}

// POST /admin/tenants/:id/delete: drops the schema only when the slug typed matches exactly.
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const values = formInput(req.body, ['confirmSlug']);
  if (values.confirmSlug !== tenant.slug) {
    const errors = { confirmSlug: `must be exactly "${tenant.slug}"; nothing was deleted` };
    res.status(422).render('admin/tenants/deletion/new', { org: tenant, values, errors });
    return;
  }
  await deleteTenant(tenant.slug);
  logAdminAction(currentAdmin(req), 'tenant.delete', tenant, { schema: tenant.schemaName });
  req.flash('success', `${tenant.name} (${tenant.slug}) and all of its data were deleted.`);
  res.redirect('/admin/tenants');
}
