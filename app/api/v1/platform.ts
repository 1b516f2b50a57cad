/**
 * The platform's endpoints on the root domain: self-service registration (anyone, rate limited as
 * the sign-up page is) and the platform admin's tenants (a platform admin's personal access token).
 * The handlers call the services the sign-up page and the admin pages call.
 */
import { z } from 'zod';
import { sharedAttemptLimit } from '../../middleware/rate-limit.ts';
import { BILLING_KINDS, type BillingEntry } from '../../models/billing-entry.ts';
import { TENANT_KINDS, TENANT_STATUSES, type Tenant } from '../../models/tenant.ts';
import { SIGNUP_ATTEMPTS, signUp } from '../../services/platform/signups.ts';
import {
  adjustTenantCredit,
  changeTenantPlan,
  createTenant,
  findTenant,
  reactivateTenant,
  searchTenants,
  suspendTenant,
  topUpTenant,
} from '../../services/platform/tenant-admin.ts';
import { hostUrl, tenantHosts } from '../../services/urls.ts';
import {
  adjustmentBodySchema,
  tenantCreateBodySchema,
  topUpBodySchema,
} from '../../validators/admin.validator.ts';
import { planChoiceSchema } from '../../validators/billing.validator.ts';
import { lineField } from '../../validators/common.ts';
import { signupBodySchema } from '../../validators/signup.validator.ts';
import { apiRoutes } from '../kit.ts';
import { listResult, offsetOf } from '../pagination.ts';
import { day, idPath, idString, iso, listQuery, pageOf, timestamp } from '../schemas.ts';

const CURRENCY = 'USD';

export const tenantOut = z
  .object({
    id: idString,
    name: z.string(),
    slug: z.string(),
    kind: z.enum(TENANT_KINDS),
    status: z.enum(TENANT_STATUSES),
    plan: z.string().meta({ description: 'The plan code.' }),
    host: z.string().meta({ description: 'Its primary domain.', example: 'grace.steward.app' }),
    url: z.string().meta({ example: 'https://grace.steward.app/' }),
    onTrial: z.boolean(),
    trialEndsAt: timestamp.nullable(),
    creditCents: z.int().meta({ description: 'Prepaid balance in cents; negative when past due.' }),
    currency: z.literal(CURRENCY),
    pastDueSince: day.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Tenant' });

export const tenantDetailOut = tenantOut
  .extend({
    domains: z.array(z.object({ id: idString, domain: z.string(), isPrimary: z.boolean() })),
    userCount: z.int().meta({ description: 'Staff accounts.' }),
  })
  .meta({ id: 'TenantDetail' });

export const registrationOut = z
  .object({
    id: idString,
    name: z.string(),
    slug: z.string(),
    kind: z.enum(TENANT_KINDS),
    plan: z.string(),
    status: z.enum(TENANT_STATUSES),
    host: z.string().meta({ example: 'grace.steward.app' }),
    url: z.string().meta({ example: 'https://grace.steward.app/' }),
    trialEndsAt: timestamp.nullable(),
    signInUrl: z.string().meta({
      description: 'Where the new admin signs in with the e-mail and password given.',
      example: 'https://grace.steward.app/login',
    }),
    tokenUrl: z.string().meta({
      description: "Where an API client gets the admin's access token (POST, on the new host).",
      example: 'https://grace.steward.app/api/v1/token',
    }),
  })
  .meta({ id: 'Registration' });

export const creditEntryOut = z
  .object({
    id: idString,
    kind: z.enum(BILLING_KINDS),
    day,
    amountCents: z.int(),
    balanceAfterCents: z.int(),
    currency: z.literal(CURRENCY),
    note: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'CreditEntry' });

export const creditResultOut = z
  .object({
    entry: creditEntryOut,
    reactivated: z
      .boolean()
      .meta({ description: 'True when the entry brought back a tenant that billing held.' }),
    tenant: tenantOut,
  })
  .meta({ id: 'CreditResult' });

type TenantBody = z.output<typeof tenantOut>;

function present(tenant: Tenant, host: string): TenantBody {
  return {
    id: String(tenant.id),
    name: tenant.name,
    slug: tenant.slug,
    kind: tenant.kind,
    status: tenant.status,
    plan: tenant.plan,
    host,
    url: hostUrl(host),
    onTrial: tenant.isOnTrial(),
    trialEndsAt: iso(tenant.trialEndsAt),
    creditCents: Number(tenant.creditCents),
    currency: CURRENCY,
    pastDueSince: tenant.pastDueSince ?? null,
    createdAt: iso(tenant.createdAt) as string,
    updatedAt: iso(tenant.updatedAt) as string,
  };
}

async function presentAll(tenants: Tenant[]): Promise<TenantBody[]> {
  const hosts = await tenantHosts(tenants.map((t) => ({ id: String(t.id), slug: t.slug })));
  return tenants.map((t) => present(t, hosts.get(String(t.id)) ?? t.slug));
}

async function presentOne(tenant: Tenant): Promise<TenantBody> {
  const [body] = await presentAll([tenant]);
  return body;
}

/** A tenant as GET /admin/tenants/:id shows it (its ETag is what If-Match names). */
async function presentDetail(tenant: Tenant): Promise<z.output<typeof tenantDetailOut>> {
  const [body, domains, userCount] = await Promise.all([
    presentOne(tenant),
    tenant.domainList(),
    tenant.userCount(),
  ]);
  return {
    ...body,
    domains: domains.map((d) => ({ id: String(d.id), domain: d.domain, isPrimary: d.isPrimary })),
    userCount,
  };
}

function presentEntry(entry: BillingEntry): z.output<typeof creditEntryOut> {
  return {
    id: String(entry.id),
    kind: entry.kind,
    day: entry.day,
    amountCents: Number(entry.amountCents),
    balanceAfterCents: Number(entry.balanceAfterCents),
    currency: CURRENCY,
    note: entry.note,
    createdAt: iso(entry.createdAt) as string,
  };
}

/**
 * The sign-up page's attempt limit (the same limiter: failed registrations here and failed
 * sign-ups on the page count together).
 */
const signupAttempts = sharedAttemptLimit('signup', SIGNUP_ATTEMPTS);

const tenantListQuery = listQuery.extend({
  q: lineField(100).optional().meta({ description: 'Part of the name, slug or a domain.' }),
  status: z.enum(TENANT_STATUSES).optional(),
  kind: z.enum(TENANT_KINDS).optional(),
});

export default apiRoutes(
  {
    tag: 'Platform',
    host: 'platform',
    description: 'Registration of a new organisation, and the platform admin’s tenants (root domain only).',
  },
  (r) => {
    r.post(
      '/register',
      {
        summary: 'Register an organisation',
        description:
          'Creates the organisation on a free trial of the chosen plan, with its first admin, as the sign-up page does. ' +
          'The same rules apply: a reserved or taken subdomain is refused, and failed attempts count against the ' +
          'sign-up page’s limit for the client address.',
        auth: 'none',
        body: signupBodySchema,
        responses: { 201: registrationOut },
        idempotent: true,
        before: [signupAttempts],
      },
      async (ctx) => {
        const { tenant, domain } = await signUp(ctx.body);
        const body: z.output<typeof registrationOut> = {
          id: String(tenant.id),
          name: tenant.name,
          slug: tenant.slug,
          kind: tenant.kind,
          plan: tenant.plan,
          status: tenant.status,
          host: domain,
          url: hostUrl(domain),
          trialEndsAt: iso(tenant.trialEndsAt),
          signInUrl: hostUrl(domain, '/login'),
          tokenUrl: hostUrl(domain, '/api/v1/token'),
        };
        return { status: 201, body };
      },
    );

    r.get(
      '/admin/tenants',
      {
        summary: 'List tenants',
        description: 'Ordered by name. `q` matches the name, the slug or any of its domains, ignoring case.',
        query: tenantListQuery,
        responses: { 200: pageOf(tenantOut) },
      },
      async (ctx) => {
        const { limit, cursor, q, status, kind } = ctx.query;
        const offset = offsetOf(cursor);
        const { rows, count } = await searchTenants({ q: q ?? '', status, kind, limit, offset });
        return listResult(ctx, await presentAll(rows), { limit, offset, total: count });
      },
    );

    r.get(
      '/admin/tenants/:id',
      {
        summary: 'Show a tenant',
        params: idPath,
        responses: { 200: tenantDetailOut },
        errors: [404],
      },
      async (ctx) => ({ body: await presentDetail(await findTenant(ctx.params.id)) }),
    );

    r.post(
      '/admin/tenants',
      {
        summary: 'Create a tenant',
        description:
          'Creates the tenant on a trial with its first admin (level 0), as the new-tenant page does. ' +
          'Omitted: `plan` is free, `adminName` is Administrator, and without `adminPassword` the admin ' +
          'sets one through a password reset.',
        body: tenantCreateBodySchema,
        responses: { 201: tenantDetailOut },
        errors: [403],
        idempotent: true,
      },
      async (ctx) => {
        const { tenant } = await createTenant(ctx.admin, ctx.body);
        return {
          status: 201,
          body: await presentDetail(tenant),
          location: `/api/v1/admin/tenants/${tenant.id}`,
        };
      },
    );

    r.post(
      '/admin/tenants/:id/suspension',
      {
        summary: 'Suspend a tenant',
        description:
          'Its hosts then answer that it is suspended; every record is kept. A tenant already suspended is left as it is. ' +
          'With `If-Match`, only the version of the tenant read is suspended.',
        params: idPath,
        responses: { 200: tenantDetailOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const tenant = await findTenant(ctx.params.id);
        ctx.ifMatch(await presentDetail(tenant));
        await suspendTenant(ctx.admin, tenant);
        return { body: await presentDetail(tenant) };
      },
    );

    r.delete(
      '/admin/tenants/:id/suspension',
      {
        summary: 'Reactivate a suspended tenant',
        description:
          'It is on trial again while its trial lasts, otherwise active. A tenant that is not suspended is left as it is.',
        params: idPath,
        responses: { 200: tenantDetailOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const tenant = await findTenant(ctx.params.id);
        ctx.ifMatch(await presentDetail(tenant));
        await reactivateTenant(ctx.admin, tenant);
        return { body: await presentDetail(tenant) };
      },
    );

    r.post(
      '/admin/tenants/:id/top-ups',
      {
        summary: 'Add credit',
        description:
          'A ledger entry and the credit, audited in the tenant’s log. A tenant that billing made past due or ' +
          'suspended is brought back once its balance is no longer negative; one suspended by hand stays suspended.',
        params: idPath,
        body: topUpBodySchema,
        responses: { 201: creditResultOut },
        errors: [403, 404],
        idempotent: true,
      },
      async (ctx) => {
        const tenant = await findTenant(ctx.params.id);
        const { amountCents, note } = ctx.body;
        const result = await topUpTenant(ctx.admin, tenant, { amountCents: String(amountCents), note });
        return {
          status: 201,
          body: {
            entry: presentEntry(result.entry),
            reactivated: result.reactivated,
            tenant: await presentOne(result.tenant),
          },
        };
      },
    );

    r.post(
      '/admin/tenants/:id/adjustments',
      {
        summary: 'Correct the credit',
        description:
          'A signed correction with its reason (a refund, a goodwill credit, a charge made in error), as a ledger ' +
          'entry of its own, audited in the tenant’s log. A balance taken below zero makes the tenant past due at ' +
          'the next daily charge.',
        params: idPath,
        body: adjustmentBodySchema,
        responses: { 201: creditResultOut },
        errors: [403, 404],
        idempotent: true,
      },
      async (ctx) => {
        const tenant = await findTenant(ctx.params.id);
        const { amountCents, note } = ctx.body;
        const result = await adjustTenantCredit(ctx.admin, tenant, {
          amountCents: String(amountCents),
          note,
        });
        return {
          status: 201,
          body: {
            entry: presentEntry(result.entry),
            reactivated: result.reactivated,
            tenant: await presentOne(result.tenant),
          },
        };
      },
    );

    r.put(
      '/admin/tenants/:id/plan',
      {
        summary: 'Change the plan',
        description:
          'From the next daily charge on, the tenant pays the new plan’s price; audited in its log. ' +
          'With `If-Match`, only the version of the tenant read is changed.',
        params: idPath,
        body: planChoiceSchema,
        responses: { 200: tenantDetailOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const tenant = await findTenant(ctx.params.id);
        ctx.ifMatch(await presentDetail(tenant));
        const changed = await changeTenantPlan(ctx.admin, tenant, ctx.body.plan);
        return { body: await presentDetail(changed.tenant) };
      },
    );
  },
);
