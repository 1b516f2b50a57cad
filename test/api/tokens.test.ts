import { expect } from 'chai';
import { SignJWT } from 'jose';
import { Role, type Tenant, type User, UserRole } from '../../app/models/index.ts';
import { createPersonalToken, signAccessToken } from '../../app/services/api-tokens.ts';
import { deleteTenant } from '../../app/services/provisioning.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { anonymousClient, apiClient, clientFor, patClient, tokensFor } from '../support/api.ts';
import { createUser, csrfToken } from '../support/auth.ts';
import { createTenant, hostOf, http, TEST_PASSWORD } from '../support/factories.ts';

function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

/** The token with its payload replaced (the signature is kept, so it no longer matches). */
function withPayload(jwt: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = jwt.split('.');
  const changed = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...changes };
  return [header, Buffer.from(JSON.stringify(changed)).toString('base64url'), signature].join('.');
}

describe('API tokens', () => {
  let tenant: Tenant;
  let other: Tenant;
  let user: User;

  before(async () => {
    tenant = await createTenant();
    other = await createTenant();
    user = await createUser(tenant, { level: 5 });
  });

  describe('POST /api/v1/token', () => {
    it('gives an access token and a refresh token that open the API', async () => {
      const res = await anonymousClient(tenant).post('/api/v1/token', {
        email: user.email,
        password: TEST_PASSWORD,
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.tokenType).to.equal('Bearer');
      expect(res.body.expiresIn).to.equal(900);
      expect(res.body.refreshToken).to.match(/^stw_rt_/);
      const claims = payloadOf(res.body.accessToken);
      expect(claims).to.include({
        aud: hostOf(tenant),
        sub: String(user.id),
        tid: String(tenant.id),
        ten: tenant.slug,
      });
      expect(Number(claims.exp) - Number(claims.iat)).to.equal(900);
      const me = await clientFor('tenant', hostOf(tenant), res.body.accessToken).get('/api/v1/users/me');
      expect(me.status, me.text).to.equal(200);
      expect(me.body.email).to.equal(user.email);
    });

    it('refuses a wrong password with a 401 problem document', async () => {
      const res = await anonymousClient(tenant).post('/api/v1/token', {
        email: user.email,
        password: 'wrong password',
      });
      expect(res.status).to.equal(401);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body).to.include({ status: 401, title: 'Authentication required' });
    });

    it('refuses the account of another tenant', async () => {
      const res = await anonymousClient(other).post('/api/v1/token', {
        email: user.email,
        password: TEST_PASSWORD,
      });
      expect(res.status).to.equal(401);
    });

    it('refuses a deactivated account', async () => {
      const gone = await createUser(tenant, { active: false });
      const res = await anonymousClient(tenant).post('/api/v1/token', {
        email: gone.email,
        password: TEST_PASSWORD,
      });
      expect(res.status).to.equal(401);
    });

    it('answers missing fields with a 422 field map', async () => {
      const res = await anonymousClient(tenant).post('/api/v1/token', { email: 'not-an-email' });
      expect(res.status).to.equal(422);
      expect(res.body.fields).to.have.keys(['email', 'password']);
    });

    it('shares the sign-in page attempt limit and says when it lifts', async () => {
      const limited = await createTenant();
      const victim = await createUser(limited);
      let last = 0;
      for (let i = 0; i < 11; i += 1) {
        const res = await anonymousClient(limited).post('/api/v1/token', {
          email: victim.email,
          password: 'nope nope',
        });
        last = res.status;
        if (res.status === 429) {
          expect(res.headers['retry-after']).to.match(/^\d+$/);
          expect(res.body.detail).to.match(/Too many sign-in attempts/);
          break;
        }
      }
      expect(last).to.equal(429);
      const agent = http();
      const _csrf = await csrfToken(agent, hostOf(limited), '/login');
      const page = await agent
        .post('/login')
        .set('Host', hostOf(limited))
        .type('form')
        .send({ email: victim.email, password: TEST_PASSWORD, _csrf });
      expect(page.status).to.equal(429);
    });
  });

  describe('access tokens', () => {
    it('are refused on another tenant host, and the refusal is logged', async () => {
      const { accessToken } = await tokensFor(tenant, user);
      const res = await clientFor('tenant', hostOf(other), accessToken).get('/api/v1/users/me');
      expect(res.status).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer/);
    });

    it('are refused with an altered tenant claim (signature no longer matches)', async () => {
      const { accessToken } = await tokensFor(tenant, user);
      const forged = withPayload(accessToken, { tid: String(other.id), ten: other.slug, aud: hostOf(other) });
      const res = await clientFor('tenant', hostOf(other), forged).get('/api/v1/users/me');
      expect(res.status).to.equal(401);
    });

    it('are refused with alg none', async () => {
      const { accessToken } = await tokensFor(tenant, user);
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
      const unsigned = `${header}.${accessToken.split('.')[1]}.`;
      const res = await clientFor('tenant', hostOf(tenant), unsigned).get('/api/v1/users/me');
      expect(res.status).to.equal(401);
    });

    it('are refused when signed with another key', async () => {
      const claims = payloadOf((await tokensFor(tenant, user)).accessToken);
      const foreign = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .sign(new TextEncoder().encode('a key that is not the server key at all'));
      const res = await clientFor('tenant', hostOf(tenant), foreign).get('/api/v1/users/me');
      expect(res.status).to.equal(401);
    });

    it('are refused once expired', async () => {
      const claims = payloadOf((await tokensFor(tenant, user)).accessToken);
      const expired = await signAccessToken(
        {
          sub: String(claims.sub),
          tid: String(claims.tid),
          ten: String(claims.ten),
          ver: Number(claims.ver),
          fam: String(claims.fam),
          aud: String(claims.aud),
        },
        -60,
      );
      const res = await clientFor('tenant', hostOf(tenant), expired).get('/api/v1/users/me');
      expect(res.status).to.equal(401);
    });

    it('are refused for the wrong audience (a host of the same tenant they were not issued on)', async () => {
      const claims = payloadOf((await tokensFor(tenant, user)).accessToken);
      const elsewhere = await signAccessToken({
        sub: String(claims.sub),
        tid: String(claims.tid),
        ten: String(claims.ten),
        ver: Number(claims.ver),
        fam: String(claims.fam),
        aud: 'somewhere.example.org',
      });
      const res = await clientFor('tenant', hostOf(tenant), elsewhere).get('/api/v1/users/me');
      expect(res.status).to.equal(401);
    });

    it('stop working at once when the account is deactivated', async () => {
      const person = await createUser(tenant);
      const api = await apiClient(tenant, person);
      expect((await api.get('/api/v1/users/me')).status).to.equal(200);
      await withTenant(tenant.toRef(), () => person.update({ active: false }));
      expect((await api.get('/api/v1/users/me')).status).to.equal(401);
    });

    it('carry a role change from the next request', async () => {
      const person = await createUser(tenant, { level: 5 });
      const api = await apiClient(tenant, person);
      expect((await api.get('/api/v1/users')).status).to.equal(403);
      await withTenant(tenant.toRef(), async () => {
        const admin = await Role.findOne({ where: { permissionLevel: 0 } });
        await UserRole.destroy({ where: { userId: person.id } });
        await UserRole.create({ userId: person.id, roleId: admin?.id as string });
      });
      const res = await api.get('/api/v1/users');
      expect(res.status, res.text).to.equal(200);
    });

    it('never authenticate a page, and cookies never authenticate the API', async () => {
      const { accessToken } = await tokensFor(tenant, user);
      const page = await http()
        .get('/profile')
        .set('Host', hostOf(tenant))
        .set('Authorization', `Bearer ${accessToken}`);
      expect(page.status).to.equal(302);
      expect(page.headers.location).to.match(/^\/login/);
    });

    it('are refused on a suspended tenant and on a deleted one', async () => {
      const doomed = await createTenant();
      const person = await createUser(doomed);
      const { accessToken } = await tokensFor(doomed, person);
      await doomed.update({ status: 'suspended' });
      const suspended = await clientFor('tenant', hostOf(doomed), accessToken).get('/api/v1/users/me');
      expect(suspended.status).to.equal(403);
      expect(suspended.body.type).to.match(/tenant-suspended$/);
      await deleteTenant(doomed.slug);
      const deleted = await http()
        .get('/api/v1/users/me')
        .set('Host', hostOf(doomed))
        .set('Authorization', `Bearer ${accessToken}`);
      expect(deleted.status).to.equal(404);
      expect(deleted.headers['content-type']).to.match(/problem\+json/);
    });

    it('need the Bearer scheme', async () => {
      const { accessToken } = await tokensFor(tenant, user);
      const res = await http()
        .get('/api/v1/users/me')
        .set('Host', hostOf(tenant))
        .set('Authorization', `Basic ${accessToken}`);
      expect(res.status).to.equal(401);
      const none = await anonymousClient(tenant).get('/api/v1/users/me');
      expect(none.status).to.equal(401);
      expect(none.body.detail).to.match(/bearer token/);
    });
  });

  describe('refresh tokens', () => {
    it('rotate on every use; reusing a used one revokes the whole sign-in', async () => {
      const first = await tokensFor(tenant, user);
      const api = anonymousClient(tenant);
      const second = await api.post('/api/v1/token/refresh', { refreshToken: first.refreshToken });
      expect(second.status, second.text).to.equal(200);
      expect(second.body.refreshToken).to.not.equal(first.refreshToken);
      const third = await api.post('/api/v1/token/refresh', { refreshToken: second.body.refreshToken });
      expect(third.status).to.equal(200);
      // The first token again: only a copy would be presented twice.
      const reuse = await api.post('/api/v1/token/refresh', { refreshToken: first.refreshToken });
      expect(reuse.status).to.equal(401);
      // Every token of that sign-in is now dead: the newest refresh token and the access tokens.
      const after = await api.post('/api/v1/token/refresh', { refreshToken: third.body.refreshToken });
      expect(after.status).to.equal(401);
      const me = await clientFor('tenant', hostOf(tenant), third.body.accessToken).get('/api/v1/users/me');
      expect(me.status).to.equal(401);
    });

    it('of one sign-in do not affect another sign-in', async () => {
      const a = await tokensFor(tenant, user);
      const b = await tokensFor(tenant, user);
      const api = anonymousClient(tenant);
      await api.post('/api/v1/token/refresh', { refreshToken: a.refreshToken });
      await api.post('/api/v1/token/refresh', { refreshToken: a.refreshToken });
      const res = await api.post('/api/v1/token/refresh', { refreshToken: b.refreshToken });
      expect(res.status).to.equal(200);
    });

    it('of one tenant are refused on another', async () => {
      const { refreshToken } = await tokensFor(tenant, user);
      const res = await anonymousClient(other).post('/api/v1/token/refresh', { refreshToken });
      expect(res.status).to.equal(401);
      const still = await anonymousClient(tenant).post('/api/v1/token/refresh', { refreshToken });
      expect(still.status).to.equal(200);
    });

    it('give one winner when used twice at once', async () => {
      const { refreshToken } = await tokensFor(tenant, user);
      const api = anonymousClient(tenant);
      const results = await Promise.all(
        [1, 2, 3].map(() => api.post('/api/v1/token/refresh', { refreshToken })),
      );
      expect(results.filter((r) => r.status === 200)).to.have.length.at.most(1);
    });

    it('refuse garbage', async () => {
      const res = await anonymousClient(tenant).post('/api/v1/token/refresh', {
        refreshToken: 'stw_rt_nothing',
      });
      expect(res.status).to.equal(401);
    });
  });

  describe('revocation', () => {
    it('of a refresh token ends its access tokens too', async () => {
      const pair = await tokensFor(tenant, user);
      const api = clientFor('tenant', hostOf(tenant), pair.accessToken);
      const res = await api.post('/api/v1/token/revoke', { token: pair.refreshToken });
      expect(res.status).to.equal(204);
      expect((await api.get('/api/v1/users/me')).status).to.equal(401);
    });

    it('of the access token itself ends it', async () => {
      const pair = await tokensFor(tenant, user);
      const api = clientFor('tenant', hostOf(tenant), pair.accessToken);
      expect((await api.post('/api/v1/token/revoke', { token: pair.accessToken })).status).to.equal(204);
      expect((await api.get('/api/v1/users/me')).status).to.equal(401);
    });

    it("cannot touch another user's token", async () => {
      const victim = await createUser(tenant);
      const theirs = await tokensFor(tenant, victim);
      const mine = await apiClient(tenant, user);
      expect((await mine.post('/api/v1/token/revoke', { token: theirs.refreshToken })).status).to.equal(204);
      const still = await clientFor('tenant', hostOf(tenant), theirs.accessToken).get('/api/v1/users/me');
      expect(still.status).to.equal(200);
    });

    it('sign out everywhere ends every sign-in of the account and leaves others alone', async () => {
      const person = await createUser(tenant);
      const a = await apiClient(tenant, person);
      const b = await apiClient(tenant, person);
      const bystander = await apiClient(tenant, user);
      expect((await a.post('/api/v1/token/revoke-all')).status).to.equal(204);
      expect((await a.get('/api/v1/users/me')).status).to.equal(401);
      expect((await b.get('/api/v1/users/me')).status).to.equal(401);
      expect((await bystander.get('/api/v1/users/me')).status).to.equal(200);
    });
  });

  describe('personal access tokens', () => {
    it('open the API of their tenant only', async () => {
      const api = await patClient(tenant, user);
      expect((await api.get('/api/v1/users/me')).status).to.equal(200);
      const elsewhere = await clientFor('tenant', hostOf(other), api.token).get('/api/v1/users/me');
      expect(elsewhere.status).to.equal(401);
    });

    it('read-only ones cannot change anything', async () => {
      const api = await patClient(tenant, user, 'read');
      expect((await api.get('/api/v1/users/me')).status).to.equal(200);
      const res = await api.post('/api/v1/token/revoke-all');
      expect(res.status).to.equal(403);
      expect(res.body.type).to.match(/insufficient-scope$/);
    });

    it('are refused once expired, revoked, or their account deactivated', async () => {
      const person = await createUser(tenant);
      const { token: expired } = await withTenant(tenant.toRef(), () =>
        createPersonalToken(String(person.id), {
          name: 'old',
          scope: 'read',
          expiresAt: new Date(Date.now() - 1000),
        }),
      );
      expect((await clientFor('tenant', hostOf(tenant), expired).get('/api/v1/users/me')).status).to.equal(
        401,
      );
      const api = await patClient(tenant, person);
      expect((await api.post('/api/v1/token/revoke', { token: api.token })).status).to.equal(204);
      expect((await api.get('/api/v1/users/me')).status).to.equal(401);
      const live = await patClient(tenant, person);
      await withTenant(tenant.toRef(), () => person.update({ active: false }));
      expect((await live.get('/api/v1/users/me')).status).to.equal(401);
    });

    it('survive sign out everywhere (they are revoked one by one)', async () => {
      const person = await createUser(tenant);
      const pat = await patClient(tenant, person);
      const session = await apiClient(tenant, person);
      expect((await session.post('/api/v1/token/revoke-all')).status).to.equal(204);
      expect((await pat.get('/api/v1/users/me')).status).to.equal(200);
    });
  });
});
