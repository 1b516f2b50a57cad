import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type supertest from 'supertest';
import { db } from '../../app/db/database.ts';
import { AuditLog, Setting, type Tenant, type User } from '../../app/models/index.ts';
import { createPersonalToken } from '../../app/services/api-tokens.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { clientFor } from '../support/api.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http, uniqueSlug } from '../support/factories.ts';

interface TokenRow {
  id: string;
  user_id: string;
  name: string;
  scope: string;
  token_digest: string;
  hint: string;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const TOKEN_RE = /stw_pat_[A-Za-z0-9_-]{43}/g;

describe('personal access tokens in the pages', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;

  const inTenant = <T>(fn: () => Promise<T>) => withTenant(tenant.toRef(), fn);
  const rowsOf = (userId: string) =>
    inTenant(() =>
      db().query<TokenRow>('SELECT * FROM personal_access_tokens WHERE user_id = $1 ORDER BY id', {
        bind: [userId],
        type: QueryTypes.SELECT,
      }),
    );
  const me = (token: string) => clientFor('tenant', host, token).get('/api/v1/users/me');

  before(async () => {
    tenant = await createTenant();
    host = hostOf(tenant);
  });

  async function person(level = 5): Promise<{ user: User; agent: supertest.Agent }> {
    const email = `${uniqueSlug('pat')}@example.test`;
    const user = await createUser(tenant, { email, level, name: `Person ${email.slice(0, 12)}` });
    return { user, agent: await signedIn(tenant, email) };
  }

  const make = (agent: supertest.Agent, body: Record<string, string | string[]>) =>
    postForm(agent, host, '/profile/tokens', body, '/profile/tokens');

  /** Makes a token through the form and returns it, as the page showed it. */
  async function madeToken(agent: supertest.Agent, body: Record<string, string> = {}): Promise<string> {
    const res = await make(agent, { name: 'Report script', scope: 'read', expiry: 'never', ...body });
    expect(res.status, res.text.slice(0, 300)).to.equal(201);
    const shown = [...new Set(res.text.match(TOKEN_RE) ?? [])];
    expect(shown).to.have.length(1);
    return shown[0];
  }

  it('sends a visitor who is not signed in to sign in, and is linked from the profile page', async () => {
    const res = await http().get('/profile/tokens').set('Host', host);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal(`/login?next=${encodeURIComponent('/profile/tokens')}`);
    const { agent } = await person(3);
    const profile = await agent.get('/profile').set('Host', host).expect(200);
    expect(profile.text).to.include('href="/profile/tokens"');
    const page = await agent.get('/profile/tokens').set('Host', host).expect(200);
    expect(page.text).to.include('You have no API tokens yet.');
    expect(page.text).to.include('name="_csrf"');
  });

  it('makes a token shown once, stored only as its digest, that works against the API as its maker', async () => {
    const { user, agent } = await person(5);
    const res = await make(agent, { name: 'Weekly report', scope: 'read-write', expiry: '30' });
    expect(res.status).to.equal(201);
    expect(res.headers['cache-control']).to.equal('no-store');
    const token = [...new Set(res.text.match(TOKEN_RE) ?? [])][0];
    expect(token, 'the token is on the page that made it').to.be.a('string');
    expect(res.text).to.include('it is not shown again');

    const api = await me(token);
    expect(api.status, api.text).to.equal(200);
    expect(api.body.id).to.equal(String(user.id));
    expect(api.body.email).to.equal(user.email);

    const [row] = await rowsOf(String(user.id));
    expect(row).to.include({ name: 'Weekly report', scope: 'read-write', revoked_at: null });
    expect(row.token_digest).to.equal(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).to.not.include(token.slice(8));
    const days = ((row.expires_at as Date).getTime() - Date.now()) / 86_400_000;
    expect(days).to.be.within(29.99, 30.01);

    const again = await agent.get('/profile/tokens').set('Host', host).expect(200);
    expect(again.text).to.not.include(token);
    expect(again.text.match(TOKEN_RE)).to.equal(null);
    expect(again.text).to.include('Weekly report');
    expect(again.text).to.include(row.hint);
    const listed = again.text.match(new RegExp(`<tr id="token-${row.id}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    expect(listed).to.include('Read and write');
    expect(listed).to.include('>active<');
    expect(listed).to.include(`action="/profile/tokens/${row.id}/delete"`);

    const entry = await inTenant(() =>
      AuditLog.findOne({ where: { action: 'token.created', recordId: row.id } }),
    );
    expect(entry?.actorId).to.equal(user.id);
    expect(entry?.changes).to.deep.include({ name: { from: null, to: 'Weekly report' } });
    expect(JSON.stringify(entry?.toJSON())).to.not.include(token.slice(8));
  });

  it('makes a read-only token that reads but may not change anything', async () => {
    const { agent } = await person(5);
    const token = await madeToken(agent, { scope: 'read' });
    expect((await me(token)).status).to.equal(200);
    const change = await clientFor('tenant', host, token).patch('/api/v1/users/me', { name: 'Changed' });
    expect(change.status).to.equal(403);
  });

  it("ends a token chosen to end on a date at the end of that day on the tenant's clock", async () => {
    await inTenant(() => Setting.upsert({ key: 'time_zone', value: 'Africa/Nairobi' }));
    try {
      const { user, agent } = await person(5);
      const day = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
      await madeToken(agent, { expiry: 'date', expiresOn: day });
      const [row] = await rowsOf(String(user.id));
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);
      // Midnight in Nairobi (UTC+3) is 21:00 UTC the day before.
      expect((row.expires_at as Date).toISOString()).to.equal(
        new Date(next.getTime() - 3 * 3_600_000).toISOString(),
      );
    } finally {
      await inTenant(() => Setting.destroy({ where: { key: 'time_zone' } }));
    }
  });

  it('refuses bad input with field messages and the input kept, making nothing and never a 500', async () => {
    const { user, agent } = await person(5);
    const today = new Date().toISOString().slice(0, 10);
    const cases: [Record<string, string | string[]>, string][] = [
      [{ name: '', scope: 'read', expiry: 'never' }, 'is required'],
      [{ name: 'x'.repeat(81), scope: 'read', expiry: 'never' }, 'at most 80 characters'],
      [{ name: 'Bell\u0007', scope: 'read', expiry: 'never' }, 'must not contain control characters'],
      [{ name: 'Kept name', scope: 'admin', expiry: 'never' }, 'must be read-only or read-write'],
      [{ name: 'Kept name', scope: 'read', expiry: '7' }, 'must be one of the choices'],
      [{ name: 'Kept name', scope: 'read', expiry: 'date', expiresOn: '' }, 'must be a date'],
      [{ name: 'Kept name', scope: 'read', expiry: 'date', expiresOn: '2027-02-30' }, 'must be a date'],
      [{ name: 'Kept name', scope: 'read', expiry: 'date', expiresOn: today }, 'must be a day after today'],
      [
        { name: 'Kept name', scope: 'read', expiry: 'date', expiresOn: '2020-01-01' },
        'must be a day after today',
      ],
      [{ name: ['a', 'b'], scope: 'read', expiry: 'never' }, 'must be text'],
      [
        { name: 'Kept name', scope: ['read', 'read-write'], expiry: 'never' },
        'must be read-only or read-write',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await make(agent, body);
      expect(res.status, JSON.stringify(body)).to.equal(422);
      expect(res.text, JSON.stringify(body)).to.include(message);
      expect(res.text.match(TOKEN_RE), JSON.stringify(body)).to.equal(null);
      if (body.name === 'Kept name') expect(res.text).to.include('value="Kept name"');
    }
    expect(await rowsOf(String(user.id))).to.deep.equal([]);
  });

  it('refuses a form without its CSRF token', async () => {
    const { user, agent } = await person(5);
    const res = await agent
      .post('/profile/tokens')
      .set('Host', host)
      .type('form')
      .send({ name: 'No csrf', scope: 'read', expiry: 'never' });
    expect(res.status).to.equal(403);
    expect(await rowsOf(String(user.id))).to.deep.equal([]);
  });

  it('revokes a token: the API then answers 401, the list says revoked and the audit log has it', async () => {
    const { user, agent } = await person(5);
    const token = await madeToken(agent);
    const [row] = await rowsOf(String(user.id));
    const res = await postForm(agent, host, `/profile/tokens/${row.id}/delete`, {}, '/profile/tokens');
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/profile/tokens');
    expect((await me(token)).status).to.equal(401);
    const page = await agent.get('/profile/tokens').set('Host', host).expect(200);
    expect(page.text).to.include('The token &#34;Report script&#34; was revoked.');
    const listed = page.text.match(new RegExp(`<tr id="token-${row.id}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    expect(listed).to.include('>revoked<');
    expect(listed).to.not.include('/delete');
    const entry = await inTenant(() =>
      AuditLog.findOne({ where: { action: 'token.revoked', recordId: row.id } }),
    );
    expect(entry?.actorId).to.equal(user.id);
    expect(entry?.changes).to.deep.include({ status: { from: 'active', to: 'revoked' } });

    // Revoking it again changes nothing and says so.
    const again = await postForm(agent, host, `/profile/tokens/${row.id}/delete`, {}, '/profile/tokens');
    expect(again.status).to.equal(302);
    expect(
      await inTenant(() => AuditLog.count({ where: { action: 'token.revoked', recordId: row.id } })),
    ).to.equal(1);
  });

  it("lists only the person's own tokens, and answers 404 to a revoke of someone else's", async () => {
    const owner = await person(5);
    const other = await person(5);
    const token = await madeToken(owner.agent, { name: 'Owner only' });
    const [row] = await rowsOf(String(owner.user.id));
    const page = await other.agent.get('/profile/tokens').set('Host', host).expect(200);
    expect(page.text).to.not.include('Owner only');
    for (const id of [row.id, '987654321', 'abc', '1e3']) {
      const res = await postForm(other.agent, host, `/profile/tokens/${id}/delete`, {}, '/profile/tokens');
      expect(res.status, id).to.equal(404);
    }
    expect((await me(token)).status).to.equal(200);
    expect((await rowsOf(String(owner.user.id)))[0].revoked_at).to.equal(null);
  });

  it('shows an expired token as expired, and the API refuses it', async () => {
    const { user, agent } = await person(5);
    const { token, record } = await inTenant(() =>
      createPersonalToken(String(user.id), {
        name: 'Old one',
        scope: 'read',
        expiresAt: new Date(Date.now() - 1000),
      }),
    );
    const page = await agent.get('/profile/tokens').set('Host', host).expect(200);
    const listed = page.text.match(new RegExp(`<tr id="token-${record.id}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    expect(listed).to.include('>expired<');
    expect((await me(token)).status).to.equal(401);
  });

  describe('on a staff account page (users.manage)', () => {
    it("lists the account's tokens and revokes one, with an audit entry naming who did it", async () => {
      const manager = await person(0);
      const staff = await person(5);
      const token = await madeToken(staff.agent, { name: 'Staff script' });
      const [row] = await rowsOf(String(staff.user.id));
      const page = await manager.agent.get(`/users/${staff.user.id}`).set('Host', host).expect(200);
      const listed = page.text.match(new RegExp(`<tr id="token-${row.id}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
      expect(listed).to.include('Staff script');
      expect(listed).to.include(`action="/users/${staff.user.id}/tokens/${row.id}/delete"`);

      const res = await postForm(
        manager.agent,
        host,
        `/users/${staff.user.id}/tokens/${row.id}/delete`,
        {},
        `/users/${staff.user.id}`,
      );
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(`/users/${staff.user.id}`);
      expect((await me(token)).status).to.equal(401);
      const entry = await inTenant(() =>
        AuditLog.findOne({ where: { action: 'token.revoked', recordId: row.id } }),
      );
      expect(entry?.actorId).to.equal(manager.user.id);
      expect(entry?.recordLabel).to.equal(`Staff script (${staff.user.email})`);
      expect(entry?.changes).to.deep.include({ status: { from: 'active', to: 'revoked' } });
    });

    it('answers 404 for a token of another account, and 403 without users.manage', async () => {
      const manager = await person(0);
      const staff = await person(5);
      const bystander = await person(5);
      const token = await madeToken(staff.agent);
      const [row] = await rowsOf(String(staff.user.id));
      for (const path of [
        `/users/${bystander.user.id}/tokens/${row.id}/delete`,
        `/users/987654321/tokens/${row.id}/delete`,
        `/users/${staff.user.id}/tokens/987654321/delete`,
      ]) {
        const res = await postForm(manager.agent, host, path, {}, `/users/${staff.user.id}`);
        expect(res.status, path).to.equal(404);
      }
      const _csrf = await csrfToken(bystander.agent, host, '/profile');
      const refused = await bystander.agent
        .post(`/users/${staff.user.id}/tokens/${row.id}/delete`)
        .set('Host', host)
        .type('form')
        .send({ _csrf });
      expect(refused.status).to.equal(403);
      expect((await me(token)).status).to.equal(200);
    });
  });
});
