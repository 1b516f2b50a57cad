import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { creditBilling } from '../../app/jobs/credit-billing.ts';
import { type RunOutcome, runJob } from '../../app/jobs/run-job.ts';
import { BillingEntry, Tenant } from '../../app/models/index.ts';
import { createTenant } from '../support/factories.ts';

/** A tenant past its trial, on `plan`, with `creditCents` of credit (and its first super admin). */
export async function payingTenant(
  plan: string,
  creditCents: number,
  overrides: Partial<{ status: Tenant['status']; kind: 'church' | 'company' }> = {},
): Promise<Tenant> {
  const tenant = await createTenant({ kind: overrides.kind ?? 'company', plan });
  await tenant.update({
    status: overrides.status ?? 'active',
    onTrial: false,
    trialEndsAt: new Date(Date.now() - 86_400_000),
    creditCents: String(creditCents),
  });
  return tenant;
}

/** Runs the daily charge for `day` as the clock would, and checks it was not skipped. */
export async function chargeFor(day: string): Promise<Extract<RunOutcome, { skipped: false }>> {
  const outcome = await runJob(creditBilling, { triggeredBy: 'test', day });
  expect(outcome.skipped, 'the run was skipped').to.equal(false);
  return outcome as Extract<RunOutcome, { skipped: false }>;
}

export async function chargesOf(tenant: Tenant, day?: string): Promise<BillingEntry[]> {
  return BillingEntry.findAll({
    where: { tenantId: tenant.id, kind: 'charge', ...(day ? { day } : {}) },
    order: [['day', 'ASC']],
  });
}

/** The tenant's credit and status as the database has them now. */
export async function fresh(tenant: Tenant): Promise<Tenant> {
  return Tenant.findByPk(tenant.id, { rejectOnEmpty: true });
}

/** The sum of a tenant's ledger amounts, exact. */
export async function ledgerSum(tenant: Tenant): Promise<bigint> {
  const [row] = await db().query<{ sum: string }>(
    'SELECT COALESCE(SUM(amount_cents), 0)::bigint AS sum FROM public.billing_entries WHERE tenant_id = $1',
    { bind: [tenant.id], type: QueryTypes.SELECT },
  );
  return BigInt(row.sum);
}

let dayCounter = 0;
/** A billing day no other test of this process uses (far from today, so nothing else charges it). */
export function freshDay(): string {
  dayCounter += 40;
  return new Date(Date.UTC(2040, 0, 1) + dayCounter * 86_400_000).toISOString().slice(0, 10);
}

/** The admin console's host and its sign-in, shared with the admin controller tests. */
export { PLATFORM_HOST as ROOT, signedInPlatformAdmin as signedInAdmin } from '../support/auth.ts';
