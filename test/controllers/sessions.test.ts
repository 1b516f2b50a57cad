import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../app/app.ts';
import { Setting, type Tenant } from '../../app/models/index.ts';
import { localParts } from '../../app/services/local-time.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http, TEST_PASSWORD } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';

function sessionCookie(res: supertest.Response): string | undefined {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return cookies.find((c) => c.startsWith('steward.sid='));
}

describe('signing in and out', () => {
  let tenant: Tenant;
  let other: Tenant;

  before(async () => {
    tenant = await createTenant();
    other = await createTenant();
    await createUser(tenant, { email: 'ana@example.test', name: 'Ana', level: 0 });
    await createUser(tenant, { email: 'gone@example.test', name: 'Gone', active: false });
  });

  it('signs in with the right password and shows who is signed in', async () => {
    const agent = await signedIn(tenant, 'ana@example.test');
    const home = await agent.get('/').set('Host', hostOf(tenant)).expect(200);
    expect(home.text).to.include('Signed in as <strong>Ana</strong>');
  });

  it('accepts the e-mail in any case and with spaces around it', async () => {
    await signedIn(tenant, '  ANA@Example.TEST ');
  });

  it('refuses a wrong password or an unknown e-mail with one message that does not say which', async () => {
    const agent = http();
    const host = hostOf(tenant);
    for (const [email, password] of [
      ['ana@example.test', 'wrong password'],
      ['nobody@example.test', TEST_PASSWORD],
    ]) {
      const _csrf = await csrfToken(agent, host, '/login');
      const res = await agent.post('/login').set('Host', host).type('form').send({ email, password, _csrf });
      expect(res.status).to.equal(401);
      expect(res.text).to.include('That e-mail and password do not match an active account.');
      expect(res.text).to.include(`value="${email}"`);
      expect(res.text).not.to.include(password);
    }
  });

  it('refuses a deactivated user', async () => {
    const agent = http();
    const host = hostOf(tenant);
    const _csrf = await csrfToken(agent, host, '/login');
    const res = await agent
      .post('/login')
      .set('Host', host)
      .type('form')
      .send({ email: 'gone@example.test', password: TEST_PASSWORD, _csrf });
    expect(res.status).to.equal(401);
  });

  it('re-renders the form with field messages for empty or malformed input, never a 500', async () => {
    const agent = http();
    const host = hostOf(tenant);
    for (const body of [
      {},
      { email: '' },
      { email: 'x'.repeat(5000), password: 'y' },
      { email: '<b>@x', password: '' },
    ]) {
      const _csrf = await csrfToken(agent, host, '/login');
      const res = await agent
        .post('/login')
        .set('Host', host)
        .type('form')
        .send({ ...body, _csrf });
      expect(res.status, JSON.stringify(body).slice(0, 80)).to.equal(422);
      expect(res.text).not.to.include('<b>@x');
    }
  });

  it('gives the session a new id at sign-in', async () => {
    const agent = http();
    const host = hostOf(tenant);
    const form = await agent.get('/login').set('Host', host);
    const before = sessionCookie(form);
    const _csrf = form.text.match(/name="_csrf" value="([^"]+)"/)?.[1];
    const res = await agent
      .post('/login')
      .set('Host', host)
      .type('form')
      .send({ email: 'ana@example.test', password: TEST_PASSWORD, _csrf });
    const after = sessionCookie(res);
    expect(before).to.be.a('string');
    expect(after).to.be.a('string');
    expect(after?.split(';')[0]).not.to.equal(before?.split(';')[0]);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie with no Domain attribute', async () => {
    const res = await http().get('/login').set('Host', hostOf(tenant));
    const cookie = sessionCookie(res) ?? '';
    expect(cookie).to.match(/HttpOnly/i);
    expect(cookie).to.match(/SameSite=Lax/i);
    expect(cookie).not.to.match(/Domain=/i);
  });

  it('marks the cookie Secure behind HTTPS only when the proxy is trusted', async () => {
    const untrusted = await http()
      .get('/login')
      .set('Host', hostOf(tenant))
      .set('X-Forwarded-Proto', 'https');
    expect(sessionCookie(untrusted) ?? '').not.to.match(/Secure/i);
    const app = createApp();
    app.set('trust proxy', 'loopback');
    const trusted = await supertest(app)
      .get('/login')
      .set('Host', hostOf(tenant))
      .set('X-Forwarded-Proto', 'https');
    expect(sessionCookie(trusted) ?? '').to.match(/Secure/i);
  });

  it("treats a session of tenant A presented on tenant B's host as signed out, and ends it", async () => {
    const agent = await signedIn(tenant, 'ana@example.test');
    const onOther = await agent.get('/').set('Host', hostOf(other)).expect(200);
    expect(onOther.text).not.to.include('Signed in as');
    const back = await agent.get('/').set('Host', hostOf(tenant)).expect(200);
    expect(back.text).not.to.include('Signed in as');
  });

  it('signs out: the session is destroyed', async () => {
    const agent = await signedIn(tenant, 'ana@example.test');
    const host = hostOf(tenant);
    const _csrf = await csrfToken(agent, host, '/');
    const res = await agent.post('/logout').set('Host', host).type('form').send({ _csrf });
    expect(res.status).to.equal(302);
    const home = await agent.get('/').set('Host', host);
    expect(home.text).not.to.include('Signed in as');
  });

  it('refuses a POST without a CSRF token, or with a wrong one, with a 403 page that says so', async () => {
    const agent = http();
    const host = hostOf(tenant);
    await agent.get('/login').set('Host', host);
    for (const _csrf of [undefined, 'forged']) {
      const res = await agent
        .post('/login')
        .set('Host', host)
        .type('form')
        .send({ email: 'ana@example.test', password: TEST_PASSWORD, _csrf });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('This form has expired or did not come from this site');
    }
  });

  it('only follows same-site paths after sign-in', async () => {
    const host = hostOf(tenant);
    for (const [next, expected] of [
      ['/profile', '/profile'],
      ['//evil.example', '/'],
      ['https://evil.example', '/'],
      ['/\\evil', '/'],
      ['/\t/evil.example', '/'],
      ['/\n/evil.example', '/'],
      ['/tasks?status=open', '/tasks?status=open'],
    ]) {
      const agent = http();
      const _csrf = await csrfToken(agent, host, '/login');
      const res = await agent
        .post('/login')
        .set('Host', host)
        .type('form')
        .send({ email: 'ana@example.test', password: TEST_PASSWORD, _csrf, next });
      expect(res.headers.location, next).to.equal(expected);
    }
  });

  it('limits failed sign-ins per client and tenant, without touching other tenants', async () => {
    const limited = await createTenant();
    await createUser(limited, { email: 'bo@example.test' });
    const agent = http();
    const host = hostOf(limited);
    const _csrf = await csrfToken(agent, host, '/login');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await agent
        .post('/login')
        .set('Host', host)
        .type('form')
        .send({ email: 'bo@example.test', password: 'nope nope', _csrf });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10)).to.deep.equal(Array(10).fill(401));
    expect(statuses[10]).to.equal(429);
    await signedIn(tenant, 'ana@example.test');
  });

  it("tells the time sign-in opens again on the clock of the tenant's time zone", async () => {
    const limited = await createTenant();
    await withTenant(limited.toRef(), () => Setting.upsert({ key: 'time_zone', value: 'Africa/Nairobi' }));
    await createUser(limited, { email: 'eve@example.test', name: 'Eve' });
    const agent = http();
    const host = hostOf(limited);
    const _csrf = await csrfToken(agent, host, '/login');
    const attempt = () =>
      agent
        .post('/login')
        .set('Host', host)
        .type('form')
        .send({ email: 'eve@example.test', password: 'no', _csrf });
    for (let i = 0; i < 10; i++) expect((await attempt()).status).to.equal(401);
    const res = await attempt();
    expect(res.status).to.equal(429);
    const match = /Try again in (\d+) minutes?, at (\d\d:\d\d) \(Africa\/Nairobi\)\./.exec(res.text);
    expect(match, res.text.slice(0, 500)).to.not.equal(null);
    const lifts = new Date(Date.now() + Number(match?.[1]) * 60_000);
    // Nairobi is UTC+3 all year: the hour shown is that of Nairobi, give or take the minute rounding.
    const expected = [lifts, new Date(lifts.getTime() - 60_000)].map(
      (d) => localParts(d, 'Africa/Nairobi').time,
    );
    expect(expected).to.include(match?.[2]);
    // The owner's warning goes out after the answer; it is not what the next test counts.
    await mailbox.waitFor('eve@example.test');
  });

  it('after the limit, says plainly when to try again, even to the right password, and warns the owner once', async () => {
    const limited = await createTenant();
    await createUser(limited, { email: 'dee@example.test', name: 'Dee' });
    await createUser(other, { email: 'cy@example.test' });
    mailbox.clear();
    const agent = http();
    const host = hostOf(limited);
    const _csrf = await csrfToken(agent, host, '/login');
    const attempt = (email: string, password: string) =>
      agent.post('/login').set('Host', host).type('form').send({ email, password, _csrf });
    for (let i = 0; i < 10; i++)
      expect((await attempt('dee@example.test', `guess number ${i}`)).status).to.equal(401);
    for (const password of ['guess number 10', TEST_PASSWORD, 'guess number 11']) {
      const res = await attempt('dee@example.test', password);
      expect(res.status).to.equal(429);
      expect(res.headers['retry-after']).to.match(/^\d+$/);
      expect(res.text).to.match(/Too many attempts\. Try again in \d+ minutes?, at \d\d:\d\d UTC\./);
      expect(res.text).to.include('name="email"');
    }
    // Addresses without an account here (none at all, or one of another tenant) get no e-mail.
    for (const email of ['nobody@example.test', 'cy@example.test']) {
      expect((await attempt(email, 'guess')).status).to.equal(429);
    }
    const mail = await mailbox.waitFor('dee@example.test');
    await new Promise((r) => setTimeout(r, 300));
    expect(mailbox.to('dee@example.test')).to.have.length(1);
    expect(mailbox.messages).to.have.length(1);
    expect(mail.subject).to.equal('Someone is trying to sign in to your account');
    expect(mail.headers.get('x-steward-tenant')).to.equal(limited.slug);
    expect(mail.text).to.match(/Client address: \S*127\.0\.0\.1/);
    expect(mail.text).to.match(/Time: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(`${mail.text}${mail.html}`).not.to.match(/guess number|Ana's password/);
    expect(`${mail.text}${mail.html}`).not.to.include(TEST_PASSWORD);
  });

  it('sends anonymous visitors of a protected page to sign in, and back afterwards', async () => {
    const res = await http().get('/profile').set('Host', hostOf(tenant));
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/login?next=%2Fprofile');
  });
});
