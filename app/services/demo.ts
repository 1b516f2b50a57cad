import { config } from '../../config/index.ts';
import { Role, Tenant, User, UserRole } from '../models/index.ts';
import type { TenantKind } from '../models/tenant.ts';
import { withTenant } from '../tenancy/context.ts';
import { hashPassword } from './passwords.ts';
import { provisionTenant } from './provisioning.ts';

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
  },
];

export function tenantUrl(slug: string): string {
  const port = config.publicPort === 80 || config.publicPort === 443 ? '' : `:${config.publicPort}`;
  return `${config.PUBLIC_SCHEME}://${slug}.${config.BASE_DOMAIN}${port}`;
}

/**
 * Creates the demo church `grace` and company `acme`, each with one user per permission level,
 * all with DEMO_PASSWORD. Tenants that already exist are left as they are.
 */
export async function createDemo(): Promise<DemoAccount[]> {
  const passwordHash = await hashPassword(config.DEMO_PASSWORD);
  const accounts: DemoAccount[] = [];
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
      const roles = await Role.findAll();
      for (const p of demo.people) {
        const level = roles.find((r) => r.name === p.role)?.permissionLevel ?? 5;
        accounts.push({ tenant: demo.slug, url: tenantUrl(demo.slug), email: p.email, level, role: p.role });
      }
    });
  }
  return accounts;
}
