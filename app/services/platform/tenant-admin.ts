import { Conflict, NotFound, ValidationError } from '../../errors.ts';
import { Plan } from '../../models/plan.ts';
import type { PlatformAdmin } from '../../models/platform-admin.ts';
import { Tenant, type TenantSearch } from '../../models/tenant.ts';
import { idParam } from '../../validators/common.ts';
import type { TenantCreateInput } from '../../validators/tenant.validator.ts';
import { adjustCredit, changePlan, topUp } from '../billing.ts';
import { logAdminAction } from '../platform-admins.ts';
import { type Provisioned, provisionTenant } from '../provisioning.ts';
import { queueWelcome } from './welcome.ts';

/*
 * What a platform admin does to tenants, shared by the admin pages and the admin API. Each function
 * takes parsed input, refuses with ValidationError (field names of the admin's forms) or NotFound,
 * and logs the admin's action; the ledger and the tenant's audit log are written by billing.
 */

/** The tenant named by the URL; 404 for an unknown or malformed id. */
export async function findTenant(id: unknown): Promise<Tenant> {
  const tenant = await Tenant.findByPk(idParam(id));
  if (!tenant) throw new NotFound();
  return tenant;
}

export type TenantQuery = Omit<TenantSearch, 'page' | 'perPage'> & { limit: number; offset: number };

/** Tenants matching the admin list's search and filters, `limit` of them from `offset` on. */
export async function searchTenants(query: TenantQuery): Promise<{ rows: Tenant[]; count: number }> {
  const { limit, offset, ...filter } = query;
  return Tenant.search({ ...filter, page: 1, perPage: limit, offset });
}

/** provisionTenant's refusals on the new-tenant form's fields (the address comes from the slug). */
function provisioningErrors(err: ValidationError | Conflict): Record<string, string> {
  if (err instanceof Conflict) return { slug: 'is already taken' };
  const { domain, ...fields } = err.fields;
  return domain ? { slug: `its address ${domain}`, ...fields } : fields;
}

/** Creates a tenant with its first admin, as the new-tenant form does, and queues the welcome e-mail. */
export async function createTenant(
  admin: PlatformAdmin | null,
  input: TenantCreateInput,
): Promise<Provisioned> {
  let created: Provisioned;
  try {
    created = await provisionTenant(input, { extraSteps: queueWelcome });
  } catch (err) {
    if (!(err instanceof ValidationError || err instanceof Conflict)) throw err;
    throw new ValidationError(provisioningErrors(err), err.message);
  }
  logAdminAction(admin, 'tenant.create', created.tenant, { plan: created.tenant.plan });
  return created;
}

/** Suspends the tenant (its data is kept, its hosts show the suspended page); false when it already was. */
export async function suspendTenant(admin: PlatformAdmin | null, tenant: Tenant): Promise<boolean> {
  if (tenant.status === 'suspended') return false;
  const from = tenant.status;
  await tenant.suspend();
  logAdminAction(admin, 'tenant.suspend', tenant, { from });
  return true;
}

/** Lifts a suspension (trial or active again); false when the tenant was not suspended. */
export async function reactivateTenant(admin: PlatformAdmin | null, tenant: Tenant): Promise<boolean> {
  if (tenant.status !== 'suspended') return false;
  await tenant.reactivate();
  logAdminAction(admin, 'tenant.reactivate', tenant, { to: tenant.status });
  return true;
}

export interface Credit {
  /** Signed cents as a string (BIGINT). */
  amountCents: string;
  note: string | null;
}

/** Adds credit as a ledger entry; brings back a tenant that billing held. */
export async function topUpTenant(admin: PlatformAdmin | null, tenant: Tenant, credit: Credit) {
  const result = await topUp(String(tenant.id), credit, admin);
  logAdminAction(admin, 'tenant.top_up', result.tenant, {
    amountCents: credit.amountCents,
    reactivated: result.reactivated,
  });
  return result;
}

/** Corrects the credit either way, with its reason as the note. */
export async function adjustTenantCredit(admin: PlatformAdmin | null, tenant: Tenant, credit: Credit) {
  const result = await adjustCredit(String(tenant.id), credit, admin);
  logAdminAction(admin, 'tenant.adjustment', result.tenant, {
    amountCents: credit.amountCents,
    reactivated: result.reactivated,
  });
  return result;
}

export interface PlanChange {
  tenant: Tenant;
  plan: Plan;
  /** False when the tenant was already on that plan. */
  changed: boolean;
}

/** Moves the tenant to the plan with `code`; the next daily charge uses its price. */
export async function changeTenantPlan(
  admin: PlatformAdmin | null,
  tenant: Tenant,
  code: string,
): Promise<PlanChange> {
  const plan = await Plan.findOne({ where: { code } });
  if (!plan) throw new ValidationError({ plan: 'choose a plan from the list' });
  if (plan.code === tenant.plan) return { tenant, plan, changed: false };
  const from = tenant.plan;
  const after = await changePlan(String(tenant.id), plan);
  logAdminAction(admin, 'tenant.plan_change', after, { from, to: plan.code });
  return { tenant: after, plan, changed: true };
}
