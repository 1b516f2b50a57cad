import { expect } from 'chai';
import type supertest from 'supertest';
import type { Tenant } from '../../app/models/index.ts';
import { createUser, csrfToken, postForm } from '../support/auth.ts';
import { createTenant, hostOf, http, TEST_PASSWORD, uniqueSlug } from '../support/factories.ts';
import { linkIn, mailbox } from '../support/mailbox.ts';

const ANDROID_CHROME =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const WINDOWS_FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** The steward.sid cookie a response set, as a Cookie header value. */
function sidCookie(res: supertest.Response): string {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const found = set.find((c) => c.startsWith('steward.sid='));
  if (!found) throw new Error(`no session cookie set (status ${res.status})`);
  return found.split(';')[0];
}

describe('credential changes end the other sessions of the person', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;

  before(async () => {
    tenant = await createTenant();
    host = hostOf(tenant);
  });

  beforeEach(() => mailbox.clear());

  /** A browser signed in as `email` with that User-Agent, and the cookie its sign-in set. */
  async function browser(email: string, userAgent = WINDOWS_FIREFOX, password = TEST_PASSWORD) {
    const agent = http();
    const get = (path: string) => agent.get(path).set('Host', host).set('User-Agent', userAgent);
    const _csrf = await csrfToken(agent, host, '/login');
    const res = await agent
      .post('/login')
      .set('Host', host)
      .set('User-Agent', userAgent)
      .type('form')
      .send({ email, password, _csrf, next: '/' });
    expect(res.status, res.text.slice(0, 300)).to.equal(302);
    return { agent, get, cookie: sidCookie(res) };
  }

  async function person() {
    const email = `${uniqueSlug('two')}@example.test`;
    const user = await createUser(tenant, { email, name: 'Two Browsers', level: 5 });
    return { user, email };
  }

  /** Whether a request with just this cookie is signed in. */
  async function signedInWith(cookie: string): Promise<boolean> {
    const res = await http().get('/profile').set('Host', host).set('Cookie', cookie);
    if (res.status === 200) return true;
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.match(/^\/login/);
    return false;
  }

  it('a password change on one browser signs out the other and keeps this one, with a new session id', async () => {
    const { email } = await person();
    const a = await browser(email);
    const b = await browser(email, ANDROID_CHROME);
    expect((await b.get('/profile')).status).to.equal(200);

    const res = await postForm(
      a.agent,
      host,
      '/profile/password',
      { currentPassword: TEST_PASSWORD, password: 'a brand new password', confirm: 'a brand new password' },
      '/profile/password',
    );
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/profile');
    const rotated = sidCookie(res);
    expect(rotated).not.to.equal(a.cookie);

    const onB = await b.get('/profile');
    expect(onB.status).to.equal(302);
    expect(onB.headers.location).to.equal('/login?next=%2Fprofile');
    const onA = await a.get('/profile');
    expect(onA.status).to.equal(200);
    expect(onA.text).to.include('Your password was changed.');
    expect(await signedInWith(rotated)).to.equal(true);
    expect(await signedInWith(a.cookie)).to.equal(false);
    expect(await signedInWith(b.cookie)).to.equal(false);
    await browser(email, WINDOWS_FIREFOX, 'a brand new password');
  });

  it('a reset by the e-mailed link signs out the other browser and keeps the one that used it', async () => {
    const { email } = await person();
    const a = await browser(email);
    const b = await browser(email, ANDROID_CHROME);
    const sent = await postForm(a.agent, host, '/password/forgot', { email }, '/password/forgot');
    expect(sent.status).to.equal(302);
    const path = linkIn(await mailbox.waitFor(email), '/password/reset/');
    const res = await postForm(
      a.agent,
      host,
      path,
      { password: 'reset new password', confirm: 'reset new password' },
      path,
    );
    expect(res.status).to.equal(302);
    const rotated = sidCookie(res);
    expect(rotated).not.to.equal(a.cookie);

    expect((await b.get('/profile')).headers.location).to.equal('/login?next=%2Fprofile');
    expect((await a.get('/profile')).status).to.equal(200);
    expect(await signedInWith(a.cookie)).to.equal(false);
    expect(await signedInWith(b.cookie)).to.equal(false);
  });

  it('a reset from a browser nobody is signed in on signs out every session of the person', async () => {
    const { email } = await person();
    const a = await browser(email);
    const anonymous = http();
    await postForm(anonymous, host, '/password/forgot', { email }, '/password/forgot');
    const path = linkIn(await mailbox.waitFor(email), '/password/reset/');
    const res = await postForm(
      anonymous,
      host,
      path,
      { password: 'reset new password', confirm: 'reset new password' },
      path,
    );
    expect(res.status).to.equal(302);
    expect((await a.get('/profile')).headers.location).to.equal('/login?next=%2Fprofile');
    expect((await anonymous.get('/profile').set('Host', host)).status).to.equal(302);
  });

  it('"sign out everywhere else" ends the other browser and keeps this one; sign-out then ends this one too', async () => {
    const { email } = await person();
    const a = await browser(email);
    const b = await browser(email, ANDROID_CHROME);
    const page = await a.get('/profile');
    expect(page.text).to.include('action="/profile/sessions/others/delete"');

    const res = await postForm(a.agent, host, '/profile/sessions/others/delete', {}, '/profile');
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/profile');
    expect((await b.get('/profile')).headers.location).to.equal('/login?next=%2Fprofile');
    const after = await a.get('/profile');
    expect(after.status).to.equal(200);
    expect(after.text).to.include('You were signed out everywhere else.');
    expect(after.text).not.to.include('Chrome on Android');

    const out = await postForm(a.agent, host, '/logout', {}, '/profile');
    expect(out.status).to.equal(302);
    expect((await a.get('/profile')).status).to.equal(302);
  });

  it('without CSRF token "sign out everywhere else" is refused and ends nothing', async () => {
    const { email } = await person();
    const a = await browser(email);
    const b = await browser(email, ANDROID_CHROME);
    const res = await a.agent.post('/profile/sessions/others/delete').set('Host', host).type('form').send({});
    expect(res.status).to.equal(403);
    expect((await b.get('/profile')).status).to.equal(200);
  });

  it("the profile page lists the person's own sessions with their device, marks this one, and never another person's", async () => {
    const { email } = await person();
    const a = await browser(email);
    await browser(email, ANDROID_CHROME);
    const stranger = await person();
    await browser(
      stranger.email,
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    );

    const page = await a.get('/profile');
    expect(page.status).to.equal(200);
    const items = page.text.match(/<li class="list-group-item[\s\S]*?<\/li>/g) ?? [];
    expect(items).to.have.length(2);
    const firefox = items.find((i) => i.includes('Firefox on Windows'));
    const chrome = items.find((i) => i.includes('Chrome on Android'));
    expect(firefox).to.include('this device');
    expect(chrome).not.to.include('this device');
    expect(chrome).to.match(/last seen \w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2}/);
    expect(page.text).not.to.include('Safari on Mac');

    const strangersPage = await http().get('/profile').set('Host', host);
    expect(strangersPage.status).to.equal(302);
  });
});
