import { expect } from 'chai';
import { AuditLog, type Tenant, User } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http, TEST_PASSWORD, uniqueSlug } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

describe('your profile (/profile)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;

  before(async () => {
    tenant = await createTenant();
    host = hostOf(tenant);
  });

  async function member(name = 'Pat Member'): Promise<{ user: User; email: string }> {
    const email = `${uniqueSlug('me')}@example.test`;
    return { user: await createUser(tenant, { email, name, level: 5 }), email };
  }

  it('is open to every signed-in level and sends an anonymous visitor to sign in', async () => {
    for (const level of [0, 1, 2, 3, 4, 5]) {
      const email = `${uniqueSlug(`lvl${level}`)}@example.test`;
      await createUser(tenant, { level, email, name: `Level ${level} person` });
      const agent = await signedIn(tenant, email);
      const page = await agent.get('/profile').set('Host', host);
      expect(page.status, `level ${level}`).to.equal(200);
      expect(page.text).to.include(`value="${email}"`);
      await agent.get('/profile/password').set('Host', host).expect(200);
    }
    for (const path of ['/profile', '/profile/password']) {
      const res = await http().get(path).set('Host', host);
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(`/login?next=${encodeURIComponent(path)}`);
    }
  });

  it('saves a new name and e-mail, then signs in with the new e-mail', async () => {
    const { user, email } = await member('Before Name');
    const agent = await signedIn(tenant, email);
    const newEmail = `${uniqueSlug('moved')}@example.test`;
    const res = await postForm(agent, host, '/profile', {
      name: 'After Name',
      email: ` ${newEmail.toUpperCase()} `,
    });
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/profile');
    const page = await agent.get('/profile').set('Host', host);
    expect(page.text).to.include('Your profile was saved.');
    expect(page.text).to.include('value="After Name"');
    const saved = await inTenant(tenant, () => User.findByPk(user.id));
    expect(saved?.email).to.equal(newEmail);
    await signedIn(tenant, newEmail);
    const entry = await inTenant(tenant, () =>
      AuditLog.findOne({ where: { action: 'profile.updated', recordId: user.id } }),
    );
    expect(entry?.changes).to.deep.include({ name: { from: 'Before Name', to: 'After Name' } });
  });

  it('refuses an e-mail another account of this tenant uses, keeping the input', async () => {
    const { email } = await member();
    const other = await member('Other Person');
    const agent = await signedIn(tenant, email);
    const res = await postForm(agent, host, '/profile', { name: 'Kept Name', email: other.email });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('is already used by another account here');
    expect(res.text).to.include('value="Kept Name"');
  });

  it('refuses bad input with field messages and shows HTML escaped, never a 500', async () => {
    const { email } = await member();
    const agent = await signedIn(tenant, email);
    for (const body of <Record<string, string | string[]>[]>[
      { name: '', email },
      { name: 'x'.repeat(121), email },
      { name: 'ok', email: 'not-an-email' },
      { name: ['a', 'b'], email },
      {},
    ]) {
      const res = await postForm(agent, host, '/profile', body);
      expect(res.status, JSON.stringify(body).slice(0, 50)).to.equal(422);
    }
    const html = await postForm(agent, host, '/profile', { name: '<i>Ïñtërnâtiônàl</i> "quoted"', email });
    expect(html.status).to.equal(302);
    const page = await agent.get('/profile').set('Host', host);
    expect(page.text).to.include('&lt;i&gt;Ïñtërnâtiônàl&lt;/i&gt; &#34;quoted&#34;');
    expect(page.text).not.to.include('<i>Ïñtërnâtiônàl</i>');
  });

  it('changes the password when the current one is right, and records only that it changed', async () => {
    const { user, email } = await member();
    const agent = await signedIn(tenant, email);
    const res = await postForm(agent, host, '/profile/password', {
      currentPassword: TEST_PASSWORD,
      password: 'a brand new password',
      confirm: 'a brand new password',
    });
    expect(res.status).to.equal(302);
    await signedIn(tenant, email, 'a brand new password');
    const entry = await inTenant(tenant, () =>
      AuditLog.findOne({ where: { action: 'password.changed', recordId: user.id } }),
    );
    expect(entry).not.to.equal(null);
    expect(entry?.changes).to.deep.equal({});
  });

  it('refuses a wrong current password, a short one and a mismatch, and never shows passwords again', async () => {
    const { user, email } = await member();
    const agent = await signedIn(tenant, email);
    const cases: [Record<string, string>, string][] = [
      [
        { currentPassword: 'not my password', password: 'long enough pass', confirm: 'long enough pass' },
        'is not your current password',
      ],
      [
        { currentPassword: TEST_PASSWORD, password: 'short', confirm: 'short' },
        'must be at least 10 characters',
      ],
      [
        { currentPassword: TEST_PASSWORD, password: 'long enough pass', confirm: 'different pass' },
        'does not match the new password',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await postForm(agent, host, '/profile/password', body);
      expect(res.status).to.equal(422);
      expect(res.text).to.include(message);
      for (const value of Object.values(body)) expect(res.text).not.to.include(`value="${value}"`);
    }
    await signedIn(tenant, email);
    const changed = await inTenant(tenant, () =>
      AuditLog.count({ where: { action: 'password.changed', recordId: user.id } }),
    );
    expect(changed).to.equal(0);
  });

  it('refuses a profile form posted without its CSRF token', async () => {
    const { user, email } = await member('Csrf Check');
    const agent = await signedIn(tenant, email);
    const res = await agent.post('/profile').set('Host', host).type('form').send({ name: 'Forged', email });
    expect(res.status).to.equal(403);
    expect((await inTenant(tenant, () => User.findByPk(user.id)))?.name).to.equal('Csrf Check');
  });
});
