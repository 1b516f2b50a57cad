import { AuditLog, Contribution, Expense, Fund, Member, type Tenant } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';

/** Runs `fn` inside `tenant`, as a request would. */
export function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

/** The id of the tenant's fund of that name (provisioning creates Tithe, Offering, Building for churches). */
export async function fundNamed(tenant: Tenant, name: string): Promise<string> {
  const fund = await inTenant(tenant, () => Fund.findOne({ where: { name } }));
  if (!fund) throw new Error(`no fund ${name}`);
  return String(fund.id);
}

export async function createMember(
  tenant: Tenant,
  fields: { firstName?: string; lastName?: string; email?: string | null; address?: string | null } = {},
): Promise<Member> {
  return inTenant(tenant, () =>
    Member.create({
      firstName: fields.firstName ?? 'Test',
      lastName: fields.lastName ?? 'Giver',
      email: fields.email ?? null,
      phone: null,
      address: fields.address ?? null,
      birthDate: null,
      joinedOn: null,
      notes: null,
      householdId: null,
      userId: null,
    }),
  );
}

export async function createContribution(
  tenant: Tenant,
  fields: {
    fundId: string;
    amountCents: string;
    receivedOn: string;
    memberId?: string | null;
    note?: string;
  },
): Promise<Contribution> {
  return inTenant(tenant, () =>
    Contribution.create({
      memberId: fields.memberId ?? null,
      fundId: fields.fundId,
      amountCents: fields.amountCents,
      receivedOn: fields.receivedOn,
      method: 'cash',
      reference: null,
      note: fields.note ?? null,
      createdBy: null,
    }),
  );
}

export async function createExpense(
  tenant: Tenant,
  fields: { fundId: string; amountCents: string; spentOn: string; payee?: string; category?: string },
): Promise<Expense> {
  return inTenant(tenant, () =>
    Expense.create({
      category: fields.category ?? 'Supplies',
      fundId: fields.fundId,
      amountCents: fields.amountCents,
      spentOn: fields.spentOn,
      payee: fields.payee ?? 'Hardware store',
      note: null,
      receiptKey: null,
      receiptName: null,
      receiptType: null,
      createdBy: null,
    }),
  );
}

/** The tenant's audit entries of `action`, newest first. */
export function auditEntries(tenant: Tenant, action: string): Promise<AuditLog[]> {
  return inTenant(tenant, () => AuditLog.findAll({ where: { action }, order: [['id', 'DESC']] }));
}
