import { expect } from 'chai';
import { AuditLog, Household, Member, Setting, type Tenant, type User } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { type ApiClient, apiClient } from '../support/api.ts';
import { createUser } from '../support/auth.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';

const inTenant = <T>(tenant: Tenant, fn: () => Promise<T>) => withTenant(tenant.toRef(), fn);

describe('API conventions', () => {
  let tenant: Tenant;
  let admin: User;
  let api: ApiClient;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    admin = await createUser(tenant, { level: 0, name: 'Ada Admin' });
    api = await apiClient(tenant, admin);
  });

  describe('Idempotency-Key', () => {
    it('makes 20 parallel creates with one key one record, and gives every caller that record', async () => {
      const body = { firstName: 'Idem', lastName: 'Potent', status: 'member' };
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          api.post('/api/v1/members', body, { 'Idempotency-Key': 'create-idem-1' }),
        ),
      );
      for (const res of results) expect(res.status, res.text).to.equal(201);
      const ids = new Set(results.map((r) => r.body.id));
      expect(ids.size).to.equal(1);
      expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).to.have.length(19);
      const count = await inTenant(tenant, () => Member.count({ where: { lastName: 'Potent' } }));
      expect(count).to.equal(1);
    });

    it('refuses a key reused for a different request', async () => {
      const key = { 'Idempotency-Key': 'create-idem-2' };
      expect((await api.post('/api/v1/households', { name: 'First' }, key)).status).to.equal(201);
      const res = await api.post('/api/v1/households', { name: 'Second' }, key);
      expect(res.status).to.equal(422);
      expect(res.body.type).to.match(/idempotency-key-reused$/);
      expect(await inTenant(tenant, () => Household.count({ where: { name: 'Second' } }))).to.equal(0);
    });

    it('keeps keys per user: the same key of another user is another request', async () => {
      const other = await apiClient(tenant, await createUser(tenant, { level: 0 }));
      const key = { 'Idempotency-Key': 'shared-key' };
      const a = await api.post('/api/v1/households', { name: 'Keyed A' }, key);
      const b = await other.post('/api/v1/households', { name: 'Keyed B' }, key);
      expect(a.status).to.equal(201);
      expect(b.status).to.equal(201);
      expect(b.body.id).to.not.equal(a.body.id);
    });

    it('stores nothing for a create that failed, so a corrected retry with the key works', async () => {
      const key = { 'Idempotency-Key': 'fails-first' };
      const bad = await api.post(
        '/api/v1/members',
        { firstName: '', lastName: 'Retry', status: 'member' },
        key,
      );
      expect(bad.status).to.equal(422);
      const good = await api.post(
        '/api/v1/members',
        { firstName: 'Now', lastName: 'Retry', status: 'member' },
        key,
      );
      // A different body under the same key: the failed one left nothing behind to clash with.
      expect(good.status, good.text).to.equal(201);
    });

    it('refuses a key that is not visible ASCII', async () => {
      const res = await api.post(
        '/api/v1/households',
        { name: 'Odd key' },
        { 'Idempotency-Key': 'has space' },
      );
      expect(res.status).to.equal(400);
    });
  });

  describe('ETag, If-None-Match and If-Match', () => {
    it('answers 304 to a current ETag and 412 to an update from a stale read', async () => {
      const created = await api.post('/api/v1/households', { name: 'Versioned' });
      const path = `/api/v1/households/${created.body.id}`;
      const read = await api.get(path);
      const etag = read.headers.etag;
      expect(etag).to.match(/^W\/"/);
      expect((await api.get(path, { 'If-None-Match': etag })).status).to.equal(304);
      const first = await api.patch(path, { name: 'Versioned twice' }, { 'If-Match': etag });
      expect(first.status, first.text).to.equal(200);
      expect(first.headers.etag).to.not.equal(etag);
      const lost = await api.patch(path, { name: 'Lost update' }, { 'If-Match': etag });
      expect(lost.status).to.equal(412);
      expect(lost.body.type).to.match(/precondition-failed$/);
      const kept = await inTenant(tenant, () => Household.findByPk(created.body.id));
      expect(kept?.name).to.equal('Versioned twice');
      expect((await api.patch(path, { name: 'No precondition' })).status).to.equal(200);
      expect((await api.delete(path, { 'If-Match': etag })).status).to.equal(412);
      expect((await api.delete(path, { 'If-Match': first.headers.etag })).status).to.equal(412);
    });
  });

  describe('paging', () => {
    it('walks a list with limit and an opaque cursor, with Link headers and a total', async () => {
      const fresh = await createTenant({ kind: 'church' });
      const client = await apiClient(fresh, await createUser(fresh, { level: 0 }));
      for (const name of ['A', 'B', 'C', 'D', 'E'])
        await client.post('/api/v1/households', { name: `Page ${name}` });
      const seen: string[] = [];
      let path: string | null = '/api/v1/households?limit=2';
      let pages = 0;
      while (path) {
        const res = await client.get(path);
        expect(res.status).to.equal(200);
        expect(res.body.total).to.equal(5);
        seen.push(...res.body.data.map((h: { name: string }) => h.name));
        pages += 1;
        if (res.body.nextCursor) {
          expect(res.headers.link).to.match(/rel="next"/);
          path = (res.headers.link.match(/<([^>]+)>/) as RegExpMatchArray)[1];
        } else {
          expect(res.headers.link).to.equal(undefined);
          path = null;
        }
      }
      expect(pages).to.equal(3);
      expect(seen).to.deep.equal(['Page A', 'Page B', 'Page C', 'Page D', 'Page E']);
    });

    it('refuses a forged cursor and a limit over 100', async () => {
      expect((await api.get('/api/v1/households?cursor=not-a-cursor')).status).to.equal(400);
      const res = await api.get('/api/v1/households?limit=101');
      expect(res.status).to.equal(422);
      expect(res.body.fields).to.have.property('limit');
    });
  });

  describe('bad requests are 4xx problems, never 500', () => {
    const host = () => hostOf(tenant);
    const auth = () => `Bearer ${api.token}`;

    it('malformed JSON is a 400', async () => {
      const res = await http()
        .post('/api/v1/households')
        .set({ Host: host(), Authorization: auth(), 'Content-Type': 'application/json' })
        .send('{"name": "x"');
      expect(res.status).to.equal(400);
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    });

    it('a wrong content type is a 415', async () => {
      const res = await http()
        .post('/api/v1/households')
        .set({ Host: host(), Authorization: auth(), 'Content-Type': 'text/plain' })
        .send('name=x');
      expect(res.status).to.equal(415);
      const form = await http()
        .post('/api/v1/households')
        .set({ Host: host(), Authorization: auth() })
        .type('form')
        .send({ name: 'x' });
      expect(form.status).to.equal(415);
    });

    it('an oversized body is a 413', async () => {
      const res = await api.post('/api/v1/households', { name: 'x'.repeat(300 * 1024) });
      expect(res.status).to.equal(413);
    });

    it('unknown fields are refused with their names', async () => {
      const res = await api.post('/api/v1/households', { name: 'Fine', colour: 'blue', admin: true });
      expect(res.status).to.equal(422);
      expect(res.body.fields).to.have.keys(['colour', 'admin']);
    });

    it('an array or a scalar where an object belongs is refused', async () => {
      const arr = await api.post('/api/v1/households', [{ name: 'Array' }]);
      expect(arr.status).to.equal(422);
      const scalar = await http()
        .post('/api/v1/households')
        .set({ Host: host(), Authorization: auth(), 'Content-Type': 'application/json' })
        .send('"just a string"');
      expect(scalar.status).to.equal(400);
      const wrongType = await api.post('/api/v1/households', { name: { nested: true } });
      expect(wrongType.status).to.equal(422);
      expect(wrongType.body.fields).to.have.property('name');
    });

    it('NUL and control characters are field errors', async () => {
      const res = await api.post('/api/v1/households', { name: 'Bad\u0000name' });
      expect(res.status).to.equal(422);
      expect(res.body.fields).to.have.property('name');
    });

    it('an id that cannot be one is a 404, an unknown path a 404 problem', async () => {
      expect((await api.get('/api/v1/households/abc')).status).to.equal(404);
      expect((await api.get('/api/v1/households/99999999999999999999')).status).to.equal(404);
      const res = await http().get('/api/v1/nothing-here').set({ Host: host(), Authorization: auth() });
      expect(res.status).to.equal(404);
      expect(res.headers['content-type']).to.match(/problem\+json/);
    });

    it('an unknown host is a 404 problem', async () => {
      const res = await http().get('/api/v1/users/me').set('Host', 'nobody-here.localhost');
      expect(res.status).to.equal(404);
      expect(res.body.type).to.match(/unknown-host$/);
    });
  });

  describe('rate limits', () => {
    it('count per token, send RateLimit headers and answer 429 with Retry-After past the limit', async () => {
      const saved = config.API_RATE_LIMIT;
      config.API_RATE_LIMIT = 3;
      try {
        const client = await apiClient(tenant, admin);
        const other = await apiClient(tenant, admin);
        const statuses: number[] = [];
        for (let i = 0; i < 4; i += 1) {
          const res = await client.get('/api/v1/users/me');
          statuses.push(res.status);
          if (res.status === 200) {
            expect(res.headers['ratelimit-policy']).to.match(/q=3/);
            expect(res.headers.ratelimit).to.match(/r=\d/);
          }
          if (res.status === 429) expect(res.headers['retry-after']).to.match(/^\d+$/);
        }
        expect(statuses).to.deep.equal([200, 200, 200, 429]);
        expect((await other.get('/api/v1/users/me')).status).to.equal(200);
      } finally {
        config.API_RATE_LIMIT = saved;
      }
    });
  });

  describe('CORS', () => {
    it('is closed by default and opened to the origins a tenant lists', async () => {
      const origin = 'https://app.example.org';
      const closed = await api.get('/api/v1/users/me', { Origin: origin });
      expect(closed.headers['access-control-allow-origin']).to.equal(undefined);
      const preflight = await http()
        .options('/api/v1/users/me')
        .set({ Host: hostOf(tenant), Origin: origin, 'Access-Control-Request-Method': 'GET' });
      expect(preflight.status).to.equal(403);

      await inTenant(tenant, () =>
        Setting.upsert({ key: 'api_cors_origins', value: `${origin}\nhttps://other.example` }),
      );
      const open = await api.get('/api/v1/users/me', { Origin: origin });
      expect(open.headers['access-control-allow-origin']).to.equal(origin);
      expect(open.headers['access-control-allow-credentials']).to.equal(undefined);
      const allowed = await http()
        .options('/api/v1/users/me')
        .set({ Host: hostOf(tenant), Origin: origin, 'Access-Control-Request-Method': 'PATCH' });
      expect(allowed.status).to.equal(204);
      expect(allowed.headers['access-control-allow-headers']).to.match(/Authorization/);
      const stranger = await api.get('/api/v1/users/me', { Origin: 'https://evil.example' });
      expect(stranger.headers['access-control-allow-origin']).to.equal(undefined);
    });
  });

  describe('audit', () => {
    it('writes an API change to the audit log under the token user', async () => {
      const res = await api.post('/api/v1/households', { name: 'Audited by API' });
      expect(res.status).to.equal(201);
      const entry = await inTenant(tenant, () =>
        AuditLog.findOne({ where: { recordType: 'household', recordId: res.body.id } }),
      );
      expect(entry?.actorId).to.equal(String(admin.id));
      expect(entry?.actorName).to.equal('Ada Admin');
    });
  });

  describe('docs', () => {
    it('serves the interactive docs from the app under its CSP', async () => {
      const page = await http().get('/api/docs').set('Host', hostOf(tenant));
      expect(page.status).to.equal(200);
      expect(page.text).to.match(/swagger-ui-bundle\.js/);
      expect(page.headers['content-security-policy']).to.match(/script-src 'self'/);
      const bundle = await http().get('/api/docs/assets/swagger-ui-bundle.js').set('Host', hostOf(tenant));
      expect(bundle.status).to.equal(200);
      const platform = await http().get('/api/docs').set('Host', 'localhost');
      expect(platform.status).to.equal(200);
    });
  });
});
