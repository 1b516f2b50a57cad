import type { Request, Response } from 'express';
import { currentAdmin } from '../../../middleware/auth.ts';
import { logAdminAction } from '../../../services/platform-admins.ts';
import { findTenant } from '../tenants.controller.ts';

// POST /admin/tenants/:id/suspension: its data is kept; its hosts show the suspended page.
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  if (tenant.status === 'suspended') {
    req.flash('info', `${tenant.name} is already suspended.`);
  } else {
    const from = tenant.status;
    await tenant.suspend();
    logAdminAction(currentAdmin(req), 'tenant.suspend', tenant, { from });
    req.flash('success', `${tenant.name} is suspended. Its data is kept.`);
  }
  res.redirect(`/admin/tenants/${tenant.id}`);
}

// POST /admin/tenants/:id/suspension/delete
export async function destroy(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  if (tenant.status !== 'suspended') {
    req.flash('info', `${tenant.name} is not suspended.`);
  } else {
    await tenant.reactivate();
    logAdminAction(currentAdmin(req), 'tenant.reactivate', tenant, { to: tenant.status });
    req.flash('success', `${tenant.name} is reactivated (${tenant.status}).`);
  }
  res.redirect(`/admin/tenants/${tenant.id}`);
}
