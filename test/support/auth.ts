import { expect } from 'chai';
import type supertest from 'supertest';
import { PlatformAdmin, Role, type Tenant, User, UserRole } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { hostOf, http, TEST_PASSWORD, testPasswordHash, uniqueSlug } from './factories.ts';

/** The platform's own host (the admin console). */
export const PLATFORM_HOST = 'localhost';

/** Creates an active user in `tenant` holding that tenant's first role of `level` (password TEST_PASSWORD). */
export async function createUser(
  tenant: Tenant,
  opts: { level?: number; email?: string; name?: string; active?: boolean; department?: string | null } = {},
): Promise<User> {
  const passwordHash = await testPasswordHash();
  return withTenant(tenant.toRef(), async () => {
    const user = await User.create({
      email: opts.email ?? `${uniqueSlug('user')}@${tenant.slug}.test`,
      name: opts.name ?? 'Test Person',
      passwordHash,
      active: opts.active ?? true,
      department: opts.department ?? null,
    });
    const role = await Role.findOne({ where: { permissionLevel: opts.level ?? 5 }, order: [['id', 'ASC']] });
    if (role) await UserRole.create({ userId: user.id, roleId: role.id });
    return user;
  });
}

/** The CSRF token of a page's form, fetched with the agent's session. */
export async function csrfToken(agent: supertest.Agent, host: string, path: string): Promise<string> {
  const res = await agent.get(path).set('Host', host);
  const match = res.text.match(/name="_csrf" value="([^"]+)"/);
  if (!match) throw new Error(`No CSRF token on ${path} (status ${res.status})`);
  return match[1];
}

/** A supertest agent signed in to `tenant` as the user with that e-mail. */
export async function signedIn(
  tenant: Tenant,
  email: string,
  password = TEST_PASSWORD,
): Promise<supertest.Agent> {
  const agent = http();
  const host = hostOf(tenant);
  const _csrf = await csrfToken(agent, host, '/login');
  const res = await agent
    .post('/login')
    .set('Host', host)
    .type('form')
    .send({ email, password, _csrf, next: '/' });
  expect(res.status, `sign-in as ${email}: ${res.text.slice(0, 300)}`).to.equal(302);
  return agent;
}

/** Posts a form with a fresh CSRF token taken from `formPath` (defaults to the target path). */
export async function postForm(
  agent: supertest.Agent,
  host: string,
  path: string,
  body: Record<string, string | string[]>,
  formPath = '/',
): Promise<supertest.Response> {
  const _csrf = await csrfToken(agent, host, formPath);
  return agent
    .post(path)
    .set('Host', host)
    .type('form')
    .send({ ...body, _csrf });
}

/** A supertest agent signed in through /admin/login as a new platform admin, and that admin. */
export async function signedInPlatformAdmin(): Promise<{ agent: supertest.Agent; admin: PlatformAdmin }> {
  const admin = await PlatformAdmin.create({
    email: `${uniqueSlug('ops')}@steward.test`,
    name: 'Platform Admin',
    passwordHash: await testPasswordHash(),
    lastLoginAt: null,
  });
  const agent = http();
  const _csrf = await csrfToken(agent, PLATFORM_HOST, '/admin/login');
  const res = await agent
    .post('/admin/login')
    .set('Host', PLATFORM_HOST)
    .type('form')
    .send({ email: admin.email, password: TEST_PASSWORD, _csrf });
  expect(res.status, res.text.slice(0, 300)).to.equal(302);
  return { agent, admin };
}
