import { expect } from 'chai';
import type supertest from 'supertest';
import { AuditLog, Setting, type Tenant } from '../../app/models/index.ts';
import { tenantTimeZone } from '../../app/services/local-time.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

const FULL = {
  welcome_text: 'Welcome, friends!',
  about: 'A church in the city.',
  service_times: 'Sundays 10:00',
  address: '1 Main Street\nSpringfield',
  phone: '+1 (555) 010-2030',
  contact_email: 'Office@Example.org',
};

describe('settings (/settings)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
  });

  it('answers 403 to levels 1 to 5 and sends an anonymous visitor to sign in', async () => {
    for (const level of [1, 2, 3, 4, 5]) {
      const email = `settings-level${level}@example.test`;
      await createUser(tenant, { level, email });
      const agent = await signedIn(tenant, email);
      expect((await agent.get('/settings/edit').set('Host', host)).status).to.equal(403);
      const _csrf = await csrfToken(agent, host, '/');
      const res = await agent
        .post('/settings')
        .set('Host', host)
        .type('form')
        .send({ _csrf, welcome_text: 'Hacked' });
      expect(res.status).to.equal(403);
    }
    const anonymous = await http().get('/settings/edit').set('Host', host);
    expect(anonymous.headers.location).to.equal('/login?next=%2Fsettings%2Fedit');
    const home = await http().get('/').set('Host', host);
    expect(home.text).not.to.include('Hacked');
  });

  it('saves every text and shows the welcome text and about on the tenant home page', async () => {
    const res = await postForm(admin, host, '/settings', FULL);
    expect(res.status).to.equal(302);
    const stored = await inTenant(tenant, () => Setting.all());
    expect(stored).to.include({ ...FULL, contact_email: 'office@example.org' });
    const form = await admin.get('/settings/edit').set('Host', host);
    expect(form.text).to.include('The settings were saved.');
    expect(form.text).to.include('Sundays 10:00');
    const home = await http().get('/').set('Host', host).expect(200);
    expect(home.text).to.include('Welcome, friends!');
    expect(home.text).to.include('A church in the city.');
  });

  it('records the changed texts in the audit log, before → after', async () => {
    await postForm(admin, host, '/settings', { ...FULL, welcome_text: 'Hello again' });
    const entry = await inTenant(tenant, () =>
      AuditLog.findOne({ where: { action: 'settings.updated' }, order: [['id', 'DESC']] }),
    );
    expect(entry?.changes).to.deep.equal({ welcome_text: { from: 'Welcome, friends!', to: 'Hello again' } });
  });

  it('keeps the texts a form did not send', async () => {
    await postForm(admin, host, '/settings', { welcome_text: 'Only this one' });
    const stored = await inTenant(tenant, () => Setting.all());
    expect(stored.welcome_text).to.equal('Only this one');
    expect(stored.about).to.equal(FULL.about);
  });

  it('refuses over-long texts, a bad e-mail or phone, keeping what was typed', async () => {
    for (const [field, value, message] of [
      ['about', 'a'.repeat(2001), 'must be at most 2000 characters'],
      ['welcome_text', 'w'.repeat(2001), 'must be at most 2000 characters'],
      ['contact_email', 'nobody at all', 'must be an e-mail address'],
      ['phone', 'call me maybe', 'must be a phone number'],
      ['address', 'nul\u0000here', 'must not contain control characters'],
    ]) {
      const res = await postForm(admin, host, '/settings', {
        ...FULL,
        [field]: value,
        service_times: 'Typed <b>times</b>',
      });
      expect(res.status, field).to.equal(422);
      expect(res.text).to.include(message);
      expect(res.text).to.include('Typed &lt;b&gt;times&lt;/b&gt;');
    }
    const stored = await inTenant(tenant, () => Setting.all());
    expect(stored.about).to.equal(FULL.about);
  });

  it('saves a known time zone, which events and tasks then use, and refuses an unknown one', async () => {
    const ok = await postForm(
      admin,
      host,
      '/settings',
      { ...FULL, time_zone: 'Africa/Nairobi' },
      '/settings/edit',
    );
    expect(ok.status).to.equal(302);
    expect(await inTenant(tenant, () => tenantTimeZone())).to.equal('Africa/Nairobi');
    const page = await admin.get('/settings/edit').set('Host', host).expect(200);
    expect(page.text).to.match(/<option value="Africa\/Nairobi" selected>/);

    const bad = await postForm(
      admin,
      host,
      '/settings',
      { ...FULL, time_zone: 'Mars/Olympus' },
      '/settings/edit',
    );
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('must be one of the listed time zones');
    expect(await inTenant(tenant, () => tenantTimeZone())).to.equal('Africa/Nairobi');
  });

  it('stores HTML and unicode as text and shows it escaped on the home page', async () => {
    await postForm(admin, host, '/settings', {
      ...FULL,
      welcome_text: '<script>alert("x")</script> Ünïcødé ✝',
    });
    const home = await http().get('/').set('Host', host);
    expect(home.text).not.to.include('<script>alert("x")</script>');
    expect(home.text).to.include('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Ünïcødé ✝');
  });

  it('allows empty texts', async () => {
    const empty = Object.fromEntries(Object.keys(FULL).map((k) => [k, '']));
    const res = await postForm(admin, host, '/settings', empty);
    expect(res.status).to.equal(302);
    const stored = await inTenant(tenant, () => Setting.all());
    expect(stored.contact_email).to.equal('');
  });
});
