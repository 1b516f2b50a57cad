import type { Request, Response } from 'express';
import { currentAdmin } from '../../../middleware/auth.ts';
import { findTenant } from '../../../services/platform/tenant-admin.ts';
import { logAdminAction } from '../../../services/platform-admins.ts';
import { findDomain } from './domains.controller.ts';

// POST /admin/tenants/:id/domains/:domainId/primary
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const domain = await findDomain(tenant, req.params.domainId);
  await domain.makePrimary();
  logAdminAction(currentAdmin(req), 'domain.make_primary', tenant, { domain: domain.domain });
  req.flash('success', `${domain.domain} is now the primary domain.`);
  res.redirect(`/admin/tenants/${tenant.id}`);
}
