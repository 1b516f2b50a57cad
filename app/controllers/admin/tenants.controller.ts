import type { Request, Response } from 'express';
import { ValidationError } from '../../errors.ts';
import { currentAdmin } from '../../middleware/auth.ts';
import { Plan } from '../../models/plan.ts';
import { TENANT_KINDS, TENANT_STATUSES, Tenant } from '../../models/tenant.ts';
import { billingSummary } from '../../services/billing.ts';
import { createTenant, findTenant, searchTenants } from '../../services/platform/tenant-admin.ts';
import type { Provisioned } from '../../services/provisioning.ts';
import {
  formInput,
  TENANT_FORM_FIELDS,
  TENANTS_PER_PAGE,
  tenantFilterSchema,
  tenantInputFromForm,
} from '../../validators/admin.validator.ts';
import { ledgerPageSchema } from '../../validators/billing.validator.ts';

export interface Form {
  values: Record<string, string>;
  errors: Record<string, string>;
}

/** The tenant's page, also re-rendered by its sub-resources when their form has a problem. */
export async function renderTenant(
  res: Response,
  tenant: Tenant,
  form: Form = { values: {}, errors: {} },
): Promise<void> {
  const [domains, users, plan, billing] = await Promise.all([
    tenant.domainList(),
    tenant.userCount(),
    Plan.findOne({ where: { code: tenant.plan } }),
    billingSummary(tenant, ledgerPageSchema.parse(res.req.query).page),
  ]);
  res.status(Object.keys(form.errors).length ? 422 : 200);
  res.render('admin/tenants/show', { org: tenant, domains, users, plan, billing, ...form });
}

async function renderNew(res: Response, form: Form): Promise<void> {
  const plans = await Plan.findAll({ order: [['position', 'ASC']] });
  res.status(Object.keys(form.errors).length ? 422 : 200);
  res.render('admin/tenants/new', { plans, ...form });
}

// GET /admin/tenants
export async function index(req: Request, res: Response): Promise<void> {
  const filter = tenantFilterSchema.parse(req.query);
  const { rows, count } = await searchTenants({
    ...filter,
    limit: TENANTS_PER_PAGE,
    offset: (filter.page - 1) * TENANTS_PER_PAGE,
  });
  res.render('admin/tenants/index', {
    tenants: rows,
    primaries: await Tenant.primaryDomains(rows),
    count,
    pages: Math.max(1, Math.ceil(count / TENANTS_PER_PAGE)),
    filter,
    statuses: TENANT_STATUSES,
    kinds: TENANT_KINDS,
  });
}

// GET /admin/tenants/:id
export async function show(req: Request, res: Response): Promise<void> {
  await renderTenant(res, await findTenant(req.params.id));
}

// GET /admin/tenants/new
export async function newTenant(_req: Request, res: Response): Promise<void> {
  await renderNew(res, { values: { plan: 'free' }, errors: {} });
}

// POST /admin/tenants
export async function create(req: Request, res: Response): Promise<void> {
  const values = formInput(req.body, TENANT_FORM_FIELDS);
  let created: Provisioned;
  try {
    created = await createTenant(currentAdmin(req), tenantInputFromForm(values));
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return renderNew(res, { values: { ...values, adminPassword: '' }, errors: err.fields });
  }
  req.flash('success', `${created.tenant.name} was created.`);
  res.redirect(`/admin/tenants/${created.tenant.id}`);
}
