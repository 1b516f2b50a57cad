import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../app/app.ts';
import { Domain, Role, type Tenant } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { createUser } from '../support/auth.ts';
import { adminEmail, createTenant, hostOf, TEST_PASSWORD, uniqueSlug } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';

// Behind a proxy (trust proxy on, as TRUST_PROXY=true sets it), the tenant comes from
// X-Forwarded-Host while the Host header may name any site: links must ignore the latter.
const FOREIGN = 'evil.example:8080';
const SCHEME = 'https';
const PORT = 4443;

type Public = { PUBLIC_SCHEME: 'http' | 'https'; publicPort: number | null };

describe('links in e-mails behind a proxy', () => {
  let app: ReturnType<typeof createApp>;
  let tenant: Tenant;
  let custom: string;
  let saved: Public;

  /** A request as the proxy hands it on: the client's Host, the tenant's host forwarded. */
  function via(agent: supertest.Agent, method: 'get' | 'post', host: string, path: string) {
    return agent[method](path)
      .set('Host', FOREIGN)
      .set('X-Forwarded-Host', host)
      .set('X-Forwarded-Proto', 'http');
  }

  async function csrf(agent: supertest.Agent, host: string, path: string): Promise<string> {
    const res = await via(agent, 'get', host, path);
    const match = /name="_csrf" value="([^"]+)"/.exec(res.text);
    if (!match) throw new Error(`No CSRF token on ${path} (status ${res.status})`);
    return match[1];
  }

  async function post(
    agent: supertest.Agent,
    host: string,
    path: string,
    body: Record<string, string | string[]>,
    formPath = path,
  ) {
    const _csrf = await csrf(agent, host, formPath);
    return via(agent, 'post', host, path)
      .type('form')
      .send({ ...body, _csrf });
  }

  function linksIn(text: string | undefined): string[] {
    return (text ?? '').match(/https?:\/\/[^\s<>"]+/g) ?? [];
  }

  before(async () => {
    app = createApp();
    app.set('trust proxy', true);
    tenant = await createTenant({ plan: 'premium' });
    custom = `${uniqueSlug('links')}.example.org`;
    await Domain.create({ domain: custom, tenantId: tenant.id });
    await createUser(tenant, { email: 'rosa@links.test', name: 'Rosa' });
  });

  beforeEach(() => {
    mailbox.clear();
    // Read when a link is built, so a change here applies to the app made above.
    saved = { PUBLIC_SCHEME: config.PUBLIC_SCHEME, publicPort: config.publicPort };
    Object.assign(config as Public, { PUBLIC_SCHEME: SCHEME, publicPort: PORT });
  });
  afterEach(() => Object.assign(config as Public, saved));

  for (const which of ['slug', 'custom'] as const) {
    it(`e-mails a reset link on the tenant's ${which} host with the public scheme and port`, async () => {
      const host = which === 'slug' ? hostOf(tenant) : custom;
      const res = await post(supertest.agent(app), host, '/password/forgot', { email: 'rosa@links.test' });
      expect(res.status).to.equal(302);
      const mail = await mailbox.waitFor('rosa@links.test');
      const links = linksIn(mail.text).filter((u) => u.includes('/password/reset/'));
      expect(links).to.have.length(1);
      expect(links[0]).to.match(
        new RegExp(`^${SCHEME}://${host.replace(/\./g, '\\.')}:${PORT}/password/reset/[^/]+$`),
      );
      expect(mail.text).not.to.include('evil.example');
      expect(mail.html || '').not.to.include('evil.example');
    });
  }

  it("e-mails an invitation link on the tenant's host", async () => {
    const host = hostOf(tenant);
    const admin = supertest.agent(app);
    const signIn = await post(admin, host, '/login', {
      email: adminEmail(tenant),
      password: TEST_PASSWORD,
      next: '/',
    });
    expect(signIn.status, signIn.text.slice(0, 300)).to.equal(302);
    const role = await withTenant(tenant.toRef(), () => Role.findOne({ where: { permissionLevel: 5 } }));
    const email = `${uniqueSlug('invitee')}@links.test`;
    const res = await post(
      admin,
      host,
      '/users',
      { name: 'Ivy Invited', email, roleIds: String(role?.id) },
      '/',
    );
    expect(res.status, res.text.slice(0, 300)).to.equal(302);
    const mail = await mailbox.waitFor(email);
    const links = linksIn(mail.text).filter((u) => u.includes('/invitations/'));
    expect(links).to.have.length(1);
    expect(links[0].startsWith(`${SCHEME}://${host}:${PORT}/invitations/`), links[0]).to.equal(true);
    expect(mail.text).not.to.include('evil.example');
  });

  it("hands a new sign-up over to the new tenant's host, and e-mails that host", async () => {
    const slug = uniqueSlug('hand');
    const email = `ada@${slug}.test`;
    const res = await post(supertest.agent(app), config.BASE_DOMAIN, '/signup', {
      name: 'Grace Chapel',
      kind: 'church',
      slug,
      adminName: 'Ada Pastor',
      email,
      password: 'a long enough password',
      plan: 'basic',
    });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const tenantHost = `${slug}.${config.BASE_DOMAIN}`;
    expect(String(res.headers.location)).to.match(
      new RegExp(
        `^${SCHEME}://${tenantHost.replace(/\./g, '\\.')}:${PORT}/session/handoff/[A-Za-z0-9_-]{20,}$`,
      ),
    );
    const mail = await mailbox.waitFor(email);
    const links = linksIn(mail.text);
    expect(links).to.include(`${SCHEME}://${tenantHost}:${PORT}/`);
    expect(mail.text).not.to.include('evil.example');
  });
});
