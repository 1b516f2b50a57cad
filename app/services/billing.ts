import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { NotFound } from '../errors.ts';
import { log } from '../logger.ts';
import { BillingEntry } from '../models/billing-entry.ts';
import { Plan } from '../models/plan.ts';
import { PlatformAdmin } from '../models/platform-admin.ts';
import { Project } from '../models/project.ts';
import { Role } from '../models/role.ts';
import { Task } from '../models/task.ts';
import { Tenant } from '../models/tenant.ts';
import { User } from '../models/user.ts';
import { withTenant } from '../tenancy/context.ts';
import * as audit from './audit.ts';
import { addDays } from './calendar.ts';
import { sendMail } from './mailer.ts';
import { formatCents } from './money.ts';
import { hostUrl, tenantHosts } from './urls.ts';

/*
 * Credit billing. Each tenant on a paid plan prepays into `credit_cents`; the daily job charges
 * price_per_month / 30 as a ledger row in public.billing_entries.
 *
 * Rounding: a month's price in cents rarely divides by 30, so the charge of day n (days since
 * 1970-01-01 in BILLING_TIMEZONE) is floor(price × (n+1) / 30) − floor(price × n / 30). The
 * fractional cents carry over from day to day, every charge is the floor or the ceiling of
 * price / 30, and any 30 consecutive days add up to exactly the monthly price (the sum telescopes
 * to floor(price × (n+30) / 30) − floor(price × n / 30) = price). The daily SQL uses the same formula.
 */

const DAY_MS = 86_400_000;
export const LEDGER_PER_PAGE = 20;

/** The billing day of `now` (YYYY-MM-DD) in the billing time zone. */
export function billingDay(now = new Date(), timeZone = config.BILLING_TIMEZONE): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/** Days from 1970-01-01 to `day` (YYYY-MM-DD). */
export function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

export { addDays } from './calendar.ts';

/** What one day costs on a plan of `pricePerMonthCents` (see the rounding rule above). */
export function dailyChargeCents(pricePerMonthCents: number, day: string): number {
  const n = BigInt(dayNumber(day));
  const price = BigInt(pricePerMonthCents);
  return Number((price * (n + 1n)) / 30n - (price * n) / 30n);
}

/** Whole days the credit still pays for (null when the plan costs nothing). */
export function daysCovered(creditCents: string | bigint, pricePerMonthCents: number): number | null {
  if (pricePerMonthCents <= 0) return null;
  const credit = BigInt(creditCents);
  if (credit <= 0n) return 0;
  return Number((credit * 30n) / BigInt(pricePerMonthCents));
}

export interface Meter {
  key: 'projects' | 'tasks' | 'members';
  label: string;
  used: number;
  /** null: unlimited. */
  limit: number | null;
  /** 0..100 for the bar. */
  percent: number;
  over: boolean;
}

function meter(key: Meter['key'], label: string, used: number, limit: number | null): Meter {
  const percent = limit === null ? 0 : limit === 0 ? 100 : Math.min(100, Math.round((used / limit) * 100));
  return { key, label, used, limit, percent, over: limit !== null && used > limit };
}

/** Projects, tasks and active staff accounts of the tenant against its plan's limits. */
export async function usageOf(tenant: Tenant, plan: Plan | null): Promise<Meter[]> {
  const [projects, tasks, members] = await withTenant(tenant.toRef(), () =>
    Promise.all([
      Project.count(),
      Task.count({ where: { archivedAt: null } }),
      User.count({ where: { active: true } }),
    ]),
  );
  return [
    meter('projects', 'Projects', projects, plan?.maxProjects ?? null),
    meter('tasks', 'Tasks', tasks, plan?.maxTasks ?? null),
    meter('members', 'Members', members, plan?.maxMembers ?? null),
  ];
}

export interface BillingSummary {
  plan: Plan | null;
  plans: Plan[];
  meters: Meter[];
  balanceLabel: string;
  negative: boolean;
  /** Days the credit lasts at the plan's price; null on a free plan. */
  daysLeft: number | null;
  /** The last day the credit covers, when it covers any. */
  lastsUntil: string | null;
  /** The day it will be suspended if nothing is paid (past due only). */
  suspendsOn: string | null;
  ledger: { entries: BillingEntry[]; total: number; pages: number; page: number };
}

/** Everything the tenant's billing page and the platform admin's tenant page show about money. */
export async function billingSummary(tenant: Tenant, page = 1): Promise<BillingSummary> {
  const plans = await Plan.findAll({ order: [['position', 'ASC']] });
  const plan = plans.find((p) => p.code === tenant.plan) ?? null;
  const [meters, ledger] = await Promise.all([
    usageOf(tenant, plan),
    BillingEntry.pageFor(String(tenant.id), page, LEDGER_PER_PAGE),
  ]);
  const daysLeft = daysCovered(tenant.creditCents, plan?.pricePerMonthCents ?? 0);
  const today = billingDay();
  return {
    plan,
    plans,
    meters,
    balanceLabel: formatCents(tenant.creditCents, '$'),
    negative: BigInt(tenant.creditCents) < 0n,
    daysLeft,
    // Past a century the day is no use to anyone (and past ~270,000 years not a valid date).
    lastsUntil: daysLeft && daysLeft <= 36_500 ? addDays(today, daysLeft - 1) : null,
    suspendsOn:
      tenant.status === 'past_due' && tenant.pastDueSince
        ? addDays(tenant.pastDueSince, config.PAST_DUE_GRACE_DAYS)
        : null,
    ledger: { ...ledger, page },
  };
}

function snapshot(t: Tenant): Record<string, unknown> {
  return { plan: t.plan, creditCents: t.creditCents, status: t.status, pastDueSince: t.pastDueSince };
}

type CreditInput = { amountCents: string; note: string | null };
type CreditResult = { tenant: Tenant; entry: BillingEntry; reactivated: boolean };

/**
 * Adds credit as a ledger entry and, when the balance is no longer negative, brings back a tenant
 * that billing made past due or suspended (a suspension a platform admin made by hand, with no
 * past-due day, stays). One transaction with the tenant's audit entry.
 */
export function topUp(
  tenantId: string,
  input: CreditInput,
  admin: PlatformAdmin | null,
): Promise<CreditResult> {
  return ledgerEntry(tenantId, 'top_up', input, admin);
}

/**
 * Corrects the credit by a signed amount (a refund, a goodwill credit, a charge made in error),
 * with its reason as the note. Like a top-up it brings back a tenant billing held once the balance
 * is no longer negative; a balance taken below zero is dealt with by the next daily charge.
 */
export function adjustCredit(
  tenantId: string,
  input: CreditInput,
  admin: PlatformAdmin | null,
): Promise<CreditResult> {
  return ledgerEntry(tenantId, 'adjustment', input, admin);
}

async function ledgerEntry(
  tenantId: string,
  kind: 'top_up' | 'adjustment',
  input: CreditInput,
  admin: PlatformAdmin | null,
): Promise<CreditResult> {
  const found = await Tenant.findByPk(tenantId);
  if (!found) throw new NotFound();
  return withTenant(found.toRef(), () =>
    db().transaction(async () => {
      const tenant = await Tenant.findByPk(tenantId, { lock: true, rejectOnEmpty: true });
      const before = snapshot(tenant);
      const balance = BigInt(tenant.creditCents) + BigInt(input.amountCents);
      const entry = await BillingEntry.create({
        tenantId,
        day: billingDay(),
        kind,
        amountCents: input.amountCents,
        balanceAfterCents: balance.toString(),
        note: input.note,
        createdBy: admin ? String(admin.id) : null,
      });
      const billingHold =
        tenant.status === 'past_due' || (tenant.status === 'suspended' && tenant.pastDueSince !== null);
      const reactivated = balance >= 0n && billingHold;
      await tenant.update({
        creditCents: balance.toString(),
        ...(reactivated ? { status: tenant.isOnTrial() ? 'trial' : 'active', pastDueSince: null } : {}),
      });
      const amount = formatCents(input.amountCents, '$');
      await audit.record({
        action: `billing.${kind}`,
        recordType: 'tenant',
        recordId: String(tenant.id),
        recordLabel: tenant.name,
        before,
        after: snapshot(tenant),
        changes:
          kind === 'top_up'
            ? { topUp: { from: null, to: amount } }
            : { adjustment: { from: null, to: input.note ? `${amount} (${input.note})` : amount } },
      });
      return { tenant, entry, reactivated };
    }),
  );
}

/** Moves the tenant to another plan (from the next daily charge on), audited in the tenant's log. */
export async function changePlan(tenantId: string, plan: Plan): Promise<Tenant> {
  const found = await Tenant.findByPk(tenantId);
  if (!found) throw new NotFound();
  return withTenant(found.toRef(), () =>
    db().transaction(async () => {
      const tenant = await Tenant.findByPk(tenantId, { lock: true, rejectOnEmpty: true });
      const before = snapshot(tenant);
      await tenant.update({ plan: plan.code });
      await audit.record({
        action: 'billing.plan_changed',
        recordType: 'tenant',
        recordId: String(tenant.id),
        recordLabel: tenant.name,
        before,
        after: snapshot(tenant),
      });
      return tenant;
    }),
  );
}

/** Queues an e-mail to every platform admin that the tenant asks for another plan, and audits the request. */
export async function requestPlanChange(
  tenant: Tenant,
  requester: User,
  plan: Plan,
  message: string,
): Promise<number> {
  const admins = await PlatformAdmin.findAll({ where: { active: true }, order: [['id', 'ASC']] });
  const current = await Plan.findOne({ where: { code: tenant.plan } });
  const locals = {
    requester: { name: requester.name, email: requester.email },
    current: current?.name ?? tenant.plan,
    requested: `${plan.name} (${formatCents(plan.pricePerMonthCents, '$')} a month)`,
    message,
    url: hostUrl(config.BASE_DOMAIN, `/admin/tenants/${tenant.id}`),
  };
  // The e-mails and the audit entry commit together: a request is never recorded unsent, nor sent unrecorded.
  await db().transaction(async () => {
    for (const a of admins) {
      await sendMail({
        to: a.email,
        subject: `${tenant.name} asks for the ${plan.name} plan`,
        template: 'plan-request',
        locals,
      });
    }
    await audit.record({
      action: 'billing.plan_requested',
      recordType: 'tenant',
      recordId: String(tenant.id),
      recordLabel: tenant.name,
      changes: {
        plan: { from: tenant.plan, to: plan.code },
        ...(message ? { message: { from: null, to: message } } : {}),
      },
    });
  });
  return admins.length;
}

/** The tenant's active super admins (level 0), each once; call inside the tenant. */
export async function activeSuperAdmins(): Promise<User[]> {
  const users = await User.findAll({
    attributes: ['id', 'email'],
    where: { active: true },
    include: [{ model: Role, as: 'roles', where: { permissionLevel: 0 }, attributes: [] }],
  });
  return [...new Map(users.map((u) => [String(u.id), u])).values()];
}

/** The tenant's own billing page, for links in e-mails. */
async function billingUrl(tenant: Tenant): Promise<string> {
  return hostUrl((await tenantHosts([tenant])).get(String(tenant.id)) ?? '', '/billing');
}

export type AccountMail = { template: string; subject: string; locals?: Record<string, unknown> };

export interface MailTracking {
  /** A stable Message-ID per address, so a message sent again is known as the same one. */
  messageIdFor?(address: string): string;
  /** Called after each address's message was accepted, before the next is sent. */
  onSent?(address: string): Promise<void>;
}

/**
 * Queues an e-mail to the tenant's super admins about its account (call inside the tenant), or only
 * to `to` when given. Throws when one cannot be queued, so a job records the tenant as failed.
 */
export async function tellSuperAdmins(
  tenant: Tenant,
  mail: AccountMail,
  to?: User[],
  tracking: MailTracking = {},
): Promise<number> {
  const addresses = [...new Set((to ?? (await activeSuperAdmins())).map((u) => u.email))];
  if (!addresses.length) return 0;
  const plan = await Plan.findOne({ where: { code: tenant.plan } });
  const locals = {
    org: { name: tenant.name, status: tenant.status },
    planName: plan?.name ?? tenant.plan,
    priceLabel: plan ? formatCents(plan.pricePerMonthCents, '$') : '',
    balance: formatCents(tenant.creditCents, '$'),
    url: await billingUrl(tenant),
    graceDays: config.PAST_DUE_GRACE_DAYS,
    ...mail.locals,
  };
  for (const address of addresses) {
    const messageId = tracking.messageIdFor?.(address);
    await sendMail({
      to: address,
      subject: mail.subject,
      template: mail.template,
      locals,
      ...(messageId ? { messageId } : {}),
    });
    await tracking.onSent?.(address);
  }
  log().info({ template: mail.template, recipients: addresses.length }, 'billing e-mail queued');
  return addresses.length;
}
