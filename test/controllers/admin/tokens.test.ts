import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type supertest from 'supertest';
import { db } from '../../../app/db/database.ts';
import type { PlatformAdmin, Tenant } from '../../../app/models/index.ts';
import { clientFor, platformClient } from '../../support/api.ts';
import { PLATFORM_HOST, postForm, signedInPlatformAdmin } from '../../support/auth.ts';
import { createTenant, hostOf, http } from '../../support/factories.ts';

const ROOT = PLATFORM_HOST;
const TOKEN_RE = /stw_adm_[A-Za-z0-9_-]{43}/g;

interface Row {
  id: string;
  name: string;
  scope: string;
  token_digest: string;
  expires_at: Date | null;
  revoked_at: Date | null;
}

describe('platform admin: API tokens (/admin/tokens)', function () {
  this.timeout(60_000);
  let agent: supertest.Agent;
  let admin: PlatformAdmin;
  let tenant: Tenant;

  before(async () => {
    ({ agent, admin } = await signedInPlatformAdmin());
    tenant = await createTenant();
  });

  const rowsOf = (adminId: string) =>
    db().query<Row>('SELECT * FROM public.platform_access_tokens WHERE admin_id = $1 ORDER BY id', {
      bind: [adminId],
      type: QueryTypes.SELECT,
    });
  const make = (as: supertest.Agent, body: Record<string, string>) =>
    postForm(as, ROOT, '/admin/tokens', body, '/admin/tokens');
  const tenants = (token: string) => platformClient(token).get('/api/v1/admin/tenants');

  async function madeToken(as: supertest.Agent, body: Record<string, string> = {}): Promise<string> {
    const res = await make(as, { name: 'Ops script', scope: 'read-write', expiry: 'never', ...body });
    expect(res.status, res.text.slice(0, 300)).to.equal(201);
    const shown = [...new Set(res.text.match(TOKEN_RE) ?? [])];
    expect(shown).to.have.length(1);
    return shown[0];
  }

  it('needs a signed-in platform admin, and is in the admin navigation', async () => {
    const res = await http().get('/admin/tokens').set('Host', ROOT);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal(`/admin/login?next=${encodeURIComponent('/admin/tokens')}`);
    const dashboard = await agent.get('/admin').set('Host', ROOT).expect(200);
    expect(dashboard.text).to.include('href="/admin/tokens"');
    // A tenant host has no /admin at all.
    expect((await http().get('/admin/tokens').set('Host', hostOf(tenant))).status).to.equal(404);
  });

  it('makes a token shown once that opens the platform API on the root domain and no tenant API', async () => {
    const res = await make(agent, { name: 'Tenant report', scope: 'read', expiry: '90' });
    expect(res.status).to.equal(201);
    expect(res.headers['cache-control']).to.equal('no-store');
    const token = [...new Set(res.text.match(TOKEN_RE) ?? [])][0];
    expect(token).to.be.a('string');

    const listing = await tenants(token);
    expect(listing.status, listing.text).to.equal(200);
    const refused = await clientFor('tenant', hostOf(tenant), token).get('/api/v1/users/me');
    expect(refused.status).to.equal(401);

    const [row] = (await rowsOf(String(admin.id))).filter((r) => r.name === 'Tenant report');
    expect(row).to.include({ scope: 'read', revoked_at: null });
    expect(row.token_digest).to.equal(createHash('sha256').update(token).digest('hex'));
    const days = ((row.expires_at as Date).getTime() - Date.now()) / 86_400_000;
    expect(days).to.be.within(89.99, 90.01);

    const again = await agent.get('/admin/tokens').set('Host', ROOT).expect(200);
    expect(again.text.match(TOKEN_RE)).to.equal(null);
    const listed = again.text.match(new RegExp(`<tr id="token-${row.id}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    expect(listed).to.include('Tenant report');
    expect(listed).to.include('Read-only');
    expect(listed).to.include('>active<');
  });

  it('refuses bad input with field messages and makes nothing', async () => {
    const { agent: fresh, admin: freshAdmin } = await signedInPlatformAdmin();
    for (const [body, message] of [
      [{ name: '', scope: 'read', expiry: 'never' }, 'is required'],
      [{ name: 'Kept name', scope: 'everything', expiry: 'never' }, 'must be read-only or read-write'],
      [
        { name: 'Kept name', scope: 'read', expiry: 'date', expiresOn: '2000-01-01' },
        'must be a day after today',
      ],
    ] as [Record<string, string>, string][]) {
      const res = await make(fresh, body);
      expect(res.status, JSON.stringify(body)).to.equal(422);
      expect(res.text).to.include(message);
      expect(res.text.match(TOKEN_RE)).to.equal(null);
    }
    expect(await rowsOf(String(freshAdmin.id))).to.deep.equal([]);
  });

  it('revokes a token, after which the API answers 401; another admin gets a 404 for it', async () => {
    const token = await madeToken(agent, { name: 'To revoke' });
    const [row] = (await rowsOf(String(admin.id))).filter((r) => r.name === 'To revoke');
    const { agent: other } = await signedInPlatformAdmin();
    const stranger = await postForm(other, ROOT, `/admin/tokens/${row.id}/delete`, {}, '/admin/tokens');
    expect(stranger.status).to.equal(404);
    expect((await tenants(token)).status).to.equal(200);

    const res = await postForm(agent, ROOT, `/admin/tokens/${row.id}/delete`, {}, '/admin/tokens');
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/admin/tokens');
    expect((await tenants(token)).status).to.equal(401);
    const page = await agent.get('/admin/tokens').set('Host', ROOT).expect(200);
    expect(page.text).to.include('The token &#34;To revoke&#34; was revoked.');
    const listed = page.text.match(new RegExp(`<tr id="token-${row.id}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    expect(listed).to.include('>revoked<');
    for (const id of ['987654321', 'x']) {
      const missing = await postForm(agent, ROOT, `/admin/tokens/${id}/delete`, {}, '/admin/tokens');
      expect(missing.status, id).to.equal(404);
    }
  });
});
