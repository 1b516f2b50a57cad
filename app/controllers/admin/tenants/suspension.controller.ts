import type { Request, Response } from 'express';
import { currentAdmin } from '../../../middleware/auth.ts';
import { findTenant, reactivateTenant, suspendTenant } from '../../../services/platform/tenant-admin.ts';

// POST /admin/tenants/:id/suspension: its data is kept; its hosts show the suspended page.
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  if (await suspendTenant(currentAdmin(req), tenant))
    req.flash('success', `${tenant.name} is suspended. Its data is kept.`);
  else req.flash('info', `${tenant.name} is already suspended.`);
  res.redirect(`/admin/tenants/${tenant.id}`);
}

// POST /admin/tenants/:id/suspension/delete
export async function destroy(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  if (await reactivateTenant(currentAdmin(req), tenant))
    req.flash('success', `${tenant.name} is reactivated (${tenant.status}).`);
  else req.flash('info', `${tenant.name} is not suspended.`);
  res.redirect(`/admin/tenants/${tenant.id}`);
}
