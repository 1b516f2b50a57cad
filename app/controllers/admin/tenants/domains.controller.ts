import type { Request, Response } from 'express';
import { NotFound, ValidationError } from '../../../errors.ts';
import { currentAdmin } from '../../../middleware/auth.ts';
import type { Domain } from '../../../models/domain.ts';
import type { Tenant } from '../../../models/tenant.ts';
import { findTenant } from '../../../services/platform/tenant-admin.ts';
import { logAdminAction } from '../../../services/platform-admins.ts';
import { formInput } from '../../../validators/admin.validator.ts';
import { idParam } from '../../../validators/common.ts';
import { domainSchema } from '../../../validators/domain.validator.ts';
import { parseOrThrow } from '../../../validators/tenant.validator.ts';
import { renderTenant } from '../tenants.controller.ts';

/** One of the tenant's own domains; another tenant's domain id is a 404 like an unknown one. */
export async function findDomain(tenant: Tenant, id: unknown): Promise<Domain> {
  const domain = await tenant.findDomain(idParam(id));
  if (!domain) throw new NotFound();
  return domain;
}

// POST /admin/tenants/:id/domains
export async function create(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const values = formInput(req.body, ['domain']);
  try {
    const { domain } = parseOrThrow(domainSchema, values);
    await tenant.addDomain(domain);
    logAdminAction(currentAdmin(req), 'domain.add', tenant, { domain });
    req.flash('success', `${domain} now serves ${tenant.name}.`);
    res.redirect(`/admin/tenants/${tenant.id}`);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    await renderTenant(res, tenant, { values, errors: err.fields });
  }
}

// POST /admin/tenants/:id/domains/:domainId/delete: the primary domain stays until another replaces it.
export async function destroy(req: Request, res: Response): Promise<void> {
  const tenant = await findTenant(req.params.id);
  const domain = await findDomain(tenant, req.params.domainId);
  if (domain.isPrimary) {
    req.flash('danger', `${domain.domain} is the primary domain. Make another domain primary first.`);
  } else {
    await domain.destroy();
    logAdminAction(currentAdmin(req), 'domain.remove', tenant, { domain: domain.domain });
    req.flash('success', `${domain.domain} no longer serves ${tenant.name}.`);
  }
  res.redirect(`/admin/tenants/${tenant.id}`);
}
