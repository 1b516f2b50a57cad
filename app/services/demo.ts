import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { lockForTransaction } from '../db/locks.ts';
import { log } from '../logger.ts';
import { Member, Role, Tenant, User, UserRole } from '../models/index.ts';
import type { TenantKind } from '../models/tenant.ts';
import { requireTenant, withTenant } from '../tenancy/context.ts';
import { planChurch } from './demo/church.ts';
import { planCompany } from './demo/company.ts';
import type { DemoCounts } from './demo/insert.ts';
import { insertPlan } from './demo/plan.ts';
import { seedOf } from './demo/random.ts';
import { seedWorkDemo } from './demo-work.ts';
import { localParts, tenantTimeZone } from './local-time.ts';
import { hashPassword } from './passwords.ts';
import { deleteTenant, provisionTenant } from './provisioning.ts';
import { hostUrl } from './urls.ts';

export type { DemoCounts } from './demo/insert.ts';

export interface DemoAccount {
  tenant: string;
  url: string;
  email: string;
  level: number;
  role: string;
}

interface DemoTenant {
  slug: string;
  name: string;
  kind: TenantKind;
  /** One person per permission level, 0 to 5. */
  people: { email: string; name: string; role: string }[];
  /** The plain member (level 5) who leads a group, so a leader's pages can be tried. */
  groupLeader: string;
}

const DEMO: DemoTenant[] = [
  {
    slug: 'grace',
    name: 'Grace Community Church',
    kind: 'church',
    people: [
      { email: 'pastor@grace.test', name: 'Daniel Okafor', role: 'Pastor / Administrator' },
      { email: 'treasurer@grace.test', name: 'Ruth Mensah', role: 'Treasurer' },
      { email: 'finance@grace.test', name: 'Samuel Adeyemi', role: 'Finance team' },
      { email: 'board@grace.test', name: 'Esther Kimani', role: 'Board' },
      { email: 'staff@grace.test', name: 'Joseph Njoroge', role: 'Staff' },
      { email: 'member@grace.test', name: 'Mary Wanjiru', role: 'Member' },
    ],
    groupLeader: 'member@grace.test',
  },
  {
    slug: 'acme',
    name: 'Acme Corporation',
    kind: 'company',
    people: [
      { email: 'owner@acme.test', name: 'Ana Costa', role: 'Owner' },
      { email: 'finance@acme.test', name: 'Ben Carter', role: 'Finance' },
      { email: 'accountant@acme.test', name: 'Chloe Dubois', role: 'Accountant' },
      { email: 'analyst@acme.test', name: 'Dev Patel', role: 'Analyst' },
      { email: 'manager@acme.test', name: 'Elena Rossi', role: 'Manager' },
      { email: 'member@acme.test', name: 'Femi Lawal', role: 'Member' },
    ],
    groupLeader: 'member@acme.test',
  },
];

export function tenantUrl(slug: string): string {
  return hostUrl(`${slug}.${config.BASE_DOMAIN}`, '');
}

export interface DemoDataOptions {
  /** 1 (the default) is the full demo; a fraction makes a smaller one with a shorter history. */
  scale?: number;
  /** The moment the history ends; the data is the same for the same day. */
  now?: Date;
}

/**
 * Fills the current tenant with a believable directory, groups, a year of attendance and of money,
 * in one transaction and with multi-row inserts. A tenant that already has people is left alone
 * (so running the demo twice adds nothing); then the answer is null.
 */
export async function fillDemoData(kind: TenantKind, opts: DemoDataOptions = {}): Promise<DemoCounts | null> {
  const tenant = requireTenant();
  const demo = DEMO.find((d) => d.kind === kind) ?? DEMO[0];
  const sequelize = db();
  return sequelize.transaction(async () => {
    // Two demo runs at once queue here; the second then finds the people of the first.
    await lockForTransaction(`steward:demo:${tenant.schema}`);
    if ((await Member.count()) > 0) return null;
    const timeZone = await tenantTimeZone();
    const now = opts.now ?? new Date();
    const options = {
      today: localParts(now, timeZone).date,
      now,
      timeZone,
      scale: Math.min(1, Math.max(0.01, opts.scale ?? 1)),
      seed: seedOf(demo.slug),
      staff: demo.people,
      groupLeaderEmail: demo.groupLeader,
    };
    return insertPlan(kind === 'church' ? planChurch(options) : planCompany(options));
  });
}

/**
 * Creates the demo church `grace` and company `acme`, each with one user per permission level,
 * all with DEMO_PASSWORD, and fills each with demo data. Tenants that already exist are left as
 * they are, and data is only added to a demo tenant that has no people yet.
 */
export async function createDemo(opts: DemoDataOptions = {}): Promise<DemoAccount[]> {
  const passwordHash = await hashPassword(config.DEMO_PASSWORD);
  for (const demo of DEMO) {
    const [first, ...rest] = demo.people;
    if (!(await Tenant.findOne({ where: { slug: demo.slug } }))) {
      await provisionTenant(
        {
          slug: demo.slug,
          name: demo.name,
          kind: demo.kind,
          adminEmail: first.email,
          adminName: first.name,
          plan: 'premium',
        },
        {
          adminPasswordHash: passwordHash,
          extraSteps: async () => {
            const roles = await Role.findAll();
            for (const p of rest) {
              const user = await User.create({
                email: p.email,
                name: p.name,
                passwordHash,
                department: null,
              });
              const role = roles.find((r) => r.name === p.role);
              if (role) await UserRole.create({ userId: user.id, roleId: role.id });
            }
          },
        },
      );
      await Tenant.update(
        { status: 'active', onTrial: false, creditCents: '29000' },
        { where: { slug: demo.slug } },
      );
    }
    const tenant = await Tenant.findOne({ where: { slug: demo.slug } });
    if (!tenant) continue;
    await withTenant(tenant.toRef(), async () => {
      const started = Date.now();
      const counts = await fillDemoData(demo.kind, opts);
      if (counts) log().info({ tenant: demo.slug, ms: Date.now() - started, ...counts }, 'demo data created');
      const size = (opts.scale ?? 1) < 1 ? 'small' : 'full';
      const work = await seedWorkDemo({ size, now: opts.now });
      if (work) log().info({ tenant: demo.slug, ...work }, 'demo projects created');
    });
  }
  return demoAccounts();
}

/** The demo users of the demo tenants that exist, one per permission level, for printing. */
export async function demoAccounts(): Promise<DemoAccount[]> {
  const accounts: DemoAccount[] = [];
  for (const demo of DEMO) {
    const tenant = await Tenant.findOne({ where: { slug: demo.slug } });
    if (!tenant) continue;
    const roles = await withTenant(tenant.toRef(), () => Role.findAll());
    for (const p of demo.people) {
      const level = roles.find((r) => r.name === p.role)?.permissionLevel ?? 5;
      accounts.push({ tenant: demo.slug, url: tenantUrl(demo.slug), email: p.email, level, role: p.role });
    }
  }
  return accounts;
}

/** Removes the demo tenants, schema and all (the demo seeder's undo). */
export async function deleteDemo(): Promise<void> {
  for (const demo of DEMO)
    if (await Tenant.findOne({ where: { slug: demo.slug } })) await deleteTenant(demo.slug);
}
