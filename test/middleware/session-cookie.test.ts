import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../app/app.ts';
import type { Tenant } from '../../app/models/index.ts';
import { config } from '../../config/index.ts';
import { createUser } from '../support/auth.ts';
import { createTenant, hostOf, TEST_PASSWORD } from '../support/factories.ts';

function sessionCookie(res: supertest.Response): string {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return cookies.find((c) => c.startsWith('steward.sid=')) ?? '';
}

/** An app built while PUBLIC_SCHEME has `scheme` (the session middleware reads it when it is made). */
function appWithScheme(scheme: 'http' | 'https') {
  const saved = config.PUBLIC_SCHEME;
  (config as { PUBLIC_SCHEME: string }).PUBLIC_SCHEME = scheme;
  try {
    return createApp();
  } finally {
    (config as { PUBLIC_SCHEME: string }).PUBLIC_SCHEME = saved;
  }
}

describe('the session cookie', () => {
  let tenant: Tenant;

  before(async () => {
    tenant = await createTenant();
    await createUser(tenant, { email: 'cookie@example.test', name: 'Cookie', level: 0 });
  });

  /** Signs in by hand: an agent's cookie jar, like a browser, keeps a Secure cookie off plain http. */
  async function signIn(app: ReturnType<typeof createApp>): Promise<supertest.Response> {
    const form = await supertest(app).get('/login').set('Host', hostOf(tenant)).expect(200);
    const _csrf = (/name="_csrf" value="([^"]+)"/.exec(form.text) as RegExpExecArray)[1];
    const cookie = sessionCookie(form).split(';')[0];
    return supertest(app)
      .post('/login')
      .set('Host', hostOf(tenant))
      .set('Cookie', cookie)
      .type('form')
      .send({ email: 'cookie@example.test', password: TEST_PASSWORD, _csrf });
  }

  it('is Secure when the public scheme is https, even over the plain hop from a TLS-ending proxy', async () => {
    const res = await signIn(appWithScheme('https'));
    expect(res.status).to.equal(302);
    const cookie = sessionCookie(res);
    expect(cookie).to.match(/^steward\.sid=/);
    expect(cookie).to.match(/;\s*Secure/i);
    expect(cookie).to.match(/;\s*HttpOnly/i);
    expect(res.headers['strict-transport-security']).to.be.a('string');
  });

  it('is not Secure on plain http when the public scheme is http', async () => {
    const res = await signIn(appWithScheme('http'));
    expect(res.status).to.equal(302);
    expect(sessionCookie(res)).to.match(/^steward\.sid=/);
    expect(sessionCookie(res)).not.to.match(/;\s*Secure/i);
  });
});
