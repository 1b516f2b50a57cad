import { expect } from 'chai';
import type supertest from 'supertest';
import { PlatformAdmin, Tenant } from '../../../app/models/index.ts';
import { createUser, csrfToken, signedIn } from '../../support/auth.ts';
import {
  createTenant,
  hostOf,
  http,
  TEST_PASSWORD,
  testPasswordHash,
  uniqueSlug,
} from '../../support/factories.ts';

const ROOT = 'localhost';

/** A platform admin in public.platform_admins, with the password TEST_PASSWORD. */
async function createAdmin(opts: { active?: boolean } = {}): Promise<PlatformAdmin> {
  return PlatformAdmin.create({
    email: `${uniqueSlug('ops')}@steward.test`,
    name: 'Platform Admin',
    passwordHash: await testPasswordHash(),
    active: opts.active ?? true,
    lastLoginAt: null,
  });
}

/** Posts the admin sign-in form on `host` with that page's CSRF token. */
async function postAdminLogin(
  agent: supertest.Agent,
  email: string,
  password = TEST_PASSWORD,
  next?: string,
) {
  const _csrf = await csrfToken(agent, ROOT, '/admin/login');
  return agent
    .post('/admin/login')
    .set('Host', ROOT)
    .type('form')
    .send({ email, password, _csrf, ...(next ? { next } : {}) });
}

describe('platform admin sign-in', () => {
  let tenant: Tenant;
  let admin: PlatformAdmin;

  before(async () => {
    tenant = await createTenant({ name: 'Bound Org' });
    await createUser(tenant, { email: 'staff@bound.test', level: 0 });
    admin = await createAdmin();
  });

  it('sends an anonymous visitor of an admin page to /admin/login, and back there after signing in', async () => {
    const agent = http();
    const res = await agent.get('/admin/tenants').set('Host', ROOT).expect(302);
    expect(res.headers.location).to.equal('/admin/login?next=%2Fadmin%2Ftenants');
    const page = await agent.get(res.headers.location).set('Host', ROOT).expect(200);
    expect(page.text).to.include('value="/admin/tenants"');
    const signIn = await postAdminLogin(agent, admin.email, TEST_PASSWORD, '/admin/tenants');
    expect(signIn.status).to.equal(302);
    expect(signIn.headers.location).to.equal('/admin/tenants');
    await agent.get('/admin/tenants').set('Host', ROOT).expect(200);
  });

  it('sends anonymous visitors of every admin page to sign in, and refuses their form posts', async () => {
    const agent = http();
    for (const path of [
      '/admin',
      '/admin/tenants/new',
      '/admin/tenants/1',
      '/admin/plans',
      '/admin/plans/1/edit',
    ])
      expect((await agent.get(path).set('Host', ROOT)).headers.location, path).to.match(
        /^\/admin\/login\?next=/,
      );
    const _csrf = await csrfToken(agent, ROOT, '/admin/login');
    await agent
      .post(`/admin/tenants/${tenant.id}/suspension`)
      .set('Host', ROOT)
      .type('form')
      .send({ _csrf })
      .expect(401);
    expect((await Tenant.findByPk(tenant.id))?.status).to.equal('trial');
  });

  it('signs a platform admin in on the root domain, shows the admin menu, and signs out', async () => {
    const agent = http();
    const res = await postAdminLogin(agent, `  ${admin.email.toUpperCase()} `);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/admin');
    const dashboard = await agent.get('/admin').set('Host', ROOT).expect(200);
    expect(dashboard.text).to.include('Steward admin');
    expect(dashboard.text).to.include('action="/admin/logout"');
    await agent.get('/admin/login').set('Host', ROOT).expect(302);
    const _csrf = await csrfToken(agent, ROOT, '/admin');
    const out = await agent.post('/admin/logout').set('Host', ROOT).type('form').send({ _csrf }).expect(302);
    expect(out.headers.location).to.equal('/admin/login');
    await agent.get('/admin').set('Host', ROOT).expect(302);
  });

  it('refuses a wrong password or a deactivated admin with one message, keeping the e-mail but not the password', async () => {
    const gone = await createAdmin({ active: false });
    for (const [email, password] of [
      [admin.email, 'not the password'],
      [gone.email, TEST_PASSWORD],
    ]) {
      const agent = http();
      const res = await postAdminLogin(agent, email, password);
      expect(res.status).to.equal(401);
      expect(res.text).to.include('That e-mail and password do not match an active account.');
      expect(res.text).to.include(`value="${email}"`);
      expect(res.text).not.to.include(password);
      await agent.get('/admin').set('Host', ROOT).expect(302);
    }
  });

  it('does not let a tenant user sign in to /admin', async () => {
    const agent = http();
    const res = await postAdminLogin(agent, 'staff@bound.test');
    expect(res.status).to.equal(401);
    await agent.get('/admin').set('Host', ROOT).expect(302);
  });

  it('does not let a platform admin sign in on a tenant host', async () => {
    const agent = http();
    const host = hostOf(tenant);
    const _csrf = await csrfToken(agent, host, '/login');
    const res = await agent
      .post('/login')
      .set('Host', host)
      .type('form')
      .send({ email: admin.email, password: TEST_PASSWORD, _csrf });
    expect(res.status).to.equal(401);
    const home = await agent.get('/').set('Host', host).expect(200);
    expect(home.text).not.to.include('Signed in as');
  });

  it('does not route /admin on a tenant host', async () => {
    await http().get('/admin/login').set('Host', hostOf(tenant)).expect(404);
    await http().get('/admin').set('Host', hostOf(tenant)).expect(404);
  });

  it('does not accept a tenant session cookie replayed on the root domain', async () => {
    const agent = await signedIn(tenant, 'staff@bound.test');
    // The agent's cookie jar ignores the Host header, so the same cookie now goes to the root domain.
    const signedInThere = await agent.get('/').set('Host', hostOf(tenant)).expect(200);
    expect(signedInThere.text).to.include('Signed in as');
    const res = await agent.get('/admin').set('Host', ROOT).expect(302);
    expect(res.headers.location).to.match(/^\/admin\/login/);
    const page = await agent.get('/').set('Host', ROOT).expect(200);
    expect(page.text).not.to.include('Sign out');
  });

  it('does not accept a platform admin session cookie on a tenant host', async () => {
    const agent = http();
    expect((await postAdminLogin(agent, admin.email)).status).to.equal(302);
    const home = await agent.get('/').set('Host', hostOf(tenant)).expect(200);
    expect(home.text).not.to.include('Steward admin');
    expect(home.text).not.to.include('Sign out');
  });

  it('limits sign-in attempts', async () => {
    const res = await postAdminLogin(http(), admin.email);
    expect(res.headers['ratelimit-policy']).to.match(/^\d+;w=\d+/);
  });

  it('refuses a form without its CSRF token with 403 and changes nothing', async () => {
    const agent = http();
    expect((await postAdminLogin(agent, admin.email)).status).to.equal(302);
    const res = await agent
      .post(`/admin/tenants/${tenant.id}/suspension`)
      .set('Host', ROOT)
      .type('form')
      .send({});
    expect(res.status).to.equal(403);
    expect(res.text).to.include('This form has expired');
    expect((await Tenant.findByPk(tenant.id))?.status).to.equal('trial');
  });
});
