import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import supertest from 'supertest';
import { createApp } from '../../app/app.ts';
import { db } from '../../app/db/database.ts';
import { AuditLog, BillingEntry, Domain, Role, Tenant, User } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { payingTenant } from '../jobs/billing-support.ts';
import { adminApiClient, apiClient, checkContract, platformClient } from '../support/api.ts';
import { createUser, PLATFORM_HOST, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http, uniqueSlug } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';

const DAY_MS = 86_400_000;

function registration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const slug = uniqueSlug('reg');
  return {
    name: 'Grace Chapel',
    kind: 'church',
    slug,
    adminName: 'Ada Pastor',
    email: `ada@${slug}.test`,
    password: 'a long enough password',
    plan: 'basic',
    ...overrides,
  };
}

let addressCounter = 0;

/**
 * A client of the root domain from an address of its own. Failed sign-ups count against one limit
 * per client address (the page's and the API's together), and 127.0.0.1 is the sign-up page tests'.
 */
function fromNewAddress() {
  addressCounter += 1;
  const address = `198.51.100.${addressCounter}`;
  const app = createApp();
  app.set('trust proxy', true);
  const agent = supertest.agent(app);
  return {
    address,
    register(body: unknown, headers: Record<string, string> = {}) {
      return agent
        .post('/api/v1/register')
        .set('Host', PLATFORM_HOST)
        .set('X-Forwarded-For', address)
        .set(headers)
        .send(body as object)
        .expect((res) => checkContract('platform', 'post', '/api/v1/register', res));
    },
    /** A failed sign-up on the page, from the same address. */
    async failOnPage() {
      const form = await agent.get('/signup').set('Host', PLATFORM_HOST).set('X-Forwarded-For', address);
      const _csrf = (/name="_csrf" value="([^"]+)"/.exec(form.text) as RegExpExecArray)[1];
      const res = await agent
        .post('/signup')
        .set('Host', PLATFORM_HOST)
        .set('X-Forwarded-For', address)
        .type('form')
        .send({ ...registration({ slug: 'admin' }), _csrf });
      expect(res.status).to.equal(422);
    },
  };
}

const lastAudit = (tenant: Tenant, action: string) =>
  withTenant(tenant.toRef(), () => AuditLog.findOne({ where: { action }, order: [['id', 'DESC']] }));

async function schemaExists(schema: string): Promise<boolean> {
  const rows = await db().query('SELECT 1 FROM pg_namespace WHERE nspname = $1', {
    bind: [schema],
    type: QueryTypes.SELECT,
  });
  return rows.length === 1;
}

describe('API: platform', function () {
  this.timeout(60_000);

  describe('POST /api/v1/register', () => {
    beforeEach(() => mailbox.clear());

    it('creates the organisation on a 14-day trial with its admin at level 0, and says where to sign in', async () => {
      const client = fromNewAddress();
      const body = registration({ email: 'Ada@Example.TEST', kind: 'company', plan: 'premium' });
      const res = await client.register(body).expect(201);
      const slug = body.slug as string;
      const tenant = await Tenant.findOne({ where: { slug }, rejectOnEmpty: true });
      expect(res.body).to.deep.equal({
        id: String(tenant.id),
        name: 'Grace Chapel',
        slug,
        kind: 'company',
        plan: 'premium',
        status: 'trial',
        host: `${slug}.localhost`,
        url: `http://${slug}.localhost:3000/`,
        trialEndsAt: tenant.trialEndsAt?.toISOString(),
        signInUrl: `http://${slug}.localhost:3000/login`,
        tokenUrl: `http://${slug}.localhost:3000/api/v1/token`,
      });
      const trialLeft = (tenant.trialEndsAt?.getTime() ?? 0) - Date.now();
      expect(trialLeft).to.be.within(14 * DAY_MS - 60_000, 14 * DAY_MS + 1000);
      expect(await Domain.count({ where: { domain: `${slug}.localhost`, isPrimary: true } })).to.equal(1);
      await withTenant(tenant.toRef(), async () => {
        const users = await User.findAll({ include: [{ model: Role, as: 'roles' }] });
        expect(users.map((u) => [u.email, u.name, u.permissionLevel])).to.deep.equal([
          ['ada@example.test', 'Ada Pastor', 0],
        ]);
      });
      await signedIn(tenant, 'ada@example.test', 'a long enough password');
      const mail = await mailbox.waitFor('ada@example.test');
      expect(mail.subject).to.equal('Welcome to Steward: Grace Chapel is ready');
      expect(mail.headers.get('x-steward-tenant')).to.equal(slug);
      expect(mail.text).to.not.include('a long enough password');
    });

    it('is not an endpoint of tenant hosts', async () => {
      const tenant = await createTenant();
      const res = await http()
        .post('/api/v1/register')
        .set('Host', hostOf(tenant))
        .send(registration())
        .expect(404);
      expect(res.type).to.equal('application/problem+json');
    });

    it('answers 422 naming every wrong field, and creates nothing', async () => {
      const client = fromNewAddress();
      const res = await client
        .register({
          name: 'x',
          kind: 'club',
          slug: 'Grace Chapel!',
          adminName: '',
          email: '<b>not-an-email</b>',
          password: 'short',
          plan: 42,
        })
        .expect(422);
      expect(res.type).to.equal('application/problem+json');
      expect(res.body.fields).to.deep.equal({
        name: 'must be at least 2 characters',
        kind: 'choose church or company',
        slug: 'may contain only lowercase letters, digits and single hyphens, and must start with a letter',
        adminName: 'is required',
        email: 'must be an e-mail address',
        password: 'must be at least 10 characters',
        plan: 'choose one of the plans shown',
      });
      const missing = await client.register({}).expect(422);
      expect(Object.keys(missing.body.fields).sort()).to.deep.equal(
        ['adminName', 'email', 'kind', 'name', 'password', 'plan', 'slug'].sort(),
      );
      expect(await Tenant.count({ where: { name: 'x' } })).to.equal(0);
    });

    it('refuses unknown fields, a body that is not an object, and a plan that is not offered', async () => {
      const client = fromNewAddress();
      const extra = registration({ status: 'active', creditCents: 100000 });
      const unknown = await client.register(extra).expect(422);
      expect(unknown.body.fields).to.deep.equal({
        status: 'is not a field of this request',
        creditCents: 'is not a field of this request',
      });
      expect(await Tenant.count({ where: { slug: extra.slug as string } })).to.equal(0);
      const array = await client.register([registration()]).expect(422);
      expect(array.body.fields).to.have.property('_');
      const plan = registration({ plan: 'platinum' });
      const unoffered = await client.register(plan).expect(422);
      expect(unoffered.body.fields).to.deep.equal({ plan: 'choose one of the plans shown' });
      expect(await schemaExists(`t_${plan.slug as string}`)).to.equal(false);
    });

    it('refuses reserved and taken subdomains as the sign-up page does', async () => {
      const client = fromNewAddress();
      const reserved = await client.register(registration({ slug: 'admin' })).expect(422);
      expect(reserved.body.fields.slug).to.equal('"admin" is reserved');
      const taken = await createTenant();
      const again = await client.register(registration({ slug: taken.slug, name: 'Second' })).expect(422);
      expect(again.body.fields.slug).to.equal(`"${taken.slug}" is already taken`);
      expect(await Tenant.count({ where: { slug: taken.slug } })).to.equal(1);
      expect(await Tenant.count({ where: { slug: 'admin' } })).to.equal(0);
    });

    it('answers a retry with the same Idempotency-Key with the first response, creating one tenant', async () => {
      const client = fromNewAddress();
      const body = registration();
      const key = `reg-${uniqueSlug('k')}`;
      const first = await client.register(body, { 'Idempotency-Key': key }).expect(201);
      const retry = await client.register(body, { 'Idempotency-Key': key }).expect(201);
      expect(retry.body).to.deep.equal(first.body);
      expect(retry.headers['idempotent-replayed']).to.equal('true');
      expect(await Tenant.count({ where: { slug: body.slug as string } })).to.equal(1);
      const other = await client
        .register({ ...body, name: 'Another name' }, { 'Idempotency-Key': key })
        .expect(422);
      expect(other.body.type).to.match(/idempotency-key-reused$/);
      const together = registration();
      const both = await Promise.all(
        [1, 2].map(() => client.register(together, { 'Idempotency-Key': `${key}-together` })),
      );
      expect(both.map((r) => r.status)).to.deep.equal([201, 201]);
      expect(both[1].body).to.deep.equal(both[0].body);
      expect(await Tenant.count({ where: { slug: together.slug as string } })).to.equal(1);
      // Without a key a repeat is a new sign-up, refused since the subdomain is now taken.
      const repeat = await client.register(body).expect(422);
      expect(repeat.body.fields.slug).to.match(/already taken/);
    });

    it('counts failed registrations and failed sign-ups on the page against one limit per client address', async () => {
      const client = fromNewAddress();
      await client.failOnPage();
      await client.failOnPage();
      for (let i = 0; i < 3; i += 1) await client.register(registration({ slug: 'www' })).expect(422);
      const limited = await client.register(registration()).expect(429);
      expect(limited.type).to.equal('application/problem+json');
      // Another address still has its allowance.
      await fromNewAddress().register(registration()).expect(201);
    });

    it('does not count successful registrations against the limit', async () => {
      const client = fromNewAddress();
      for (let i = 0; i < 6; i += 1) await client.register(registration()).expect(201);
    });
  });

  describe('admin tenants', () => {
    let api: Awaited<ReturnType<typeof adminApiClient>>;

    before(async () => {
      api = await adminApiClient();
    });

    describe('authentication', () => {
      it('answers 401 without a token or with a tenant user’s token, and 403 to a read-only token that writes', async () => {
        const tenant = await createTenant();
        await platformClient().get('/api/v1/admin/tenants').expect(401);
        await platformClient('stw_adm_not-a-real-token').get('/api/v1/admin/tenants').expect(401);
        const user = await createUser(tenant, { level: 0 });
        const tenantApi = await apiClient(tenant, user);
        await platformClient(tenantApi.token).get('/api/v1/admin/tenants').expect(401);
        const readOnly = await adminApiClient('read');
        await readOnly.get(`/api/v1/admin/tenants/${tenant.id}`).expect(200);
        const refused = await readOnly.post(`/api/v1/admin/tenants/${tenant.id}/suspension`).expect(403);
        expect(refused.body.type).to.match(/insufficient-scope$/);
        expect((await Tenant.findByPk(tenant.id))?.status).to.equal('trial');
      });

      it('is not served on tenant hosts, even with an admin token', async () => {
        const tenant = await createTenant();
        const res = await http()
          .get('/api/v1/admin/tenants')
          .set('Host', hostOf(tenant))
          .set('Authorization', `Bearer ${api.token}`);
        expect(res.status).to.equal(404);
        expect(res.text).to.not.include(tenant.schemaName);
      });
    });

    describe('GET /api/v1/admin/tenants', () => {
      const token = uniqueSlug('zl');
      const names: string[] = [];
      const tenants: Tenant[] = [];

      before(async () => {
        for (let i = 1; i <= 7; i += 1) names.push(`Listing ${token} ${String(i).padStart(2, '0')}`);
        for (const [i, name] of names.entries())
          tenants.push(await createTenant({ name, kind: i < 2 ? 'church' : 'company' }));
        await Tenant.update({ status: 'suspended' }, { where: { id: tenants[0].id } });
        await Domain.create({ domain: `shop-${token}.example`, tenantId: tenants[4].id, isPrimary: false });
      });

      it('pages the search results with limit and cursor, with the total and a Link to the next page', async () => {
        const seen: string[] = [];
        let path = `/api/v1/admin/tenants?q=${token}&limit=3`;
        for (let page = 0; page < 3; page += 1) {
          const res = await api.get(path).expect(200);
          expect(res.body.total).to.equal(7);
          expect(res.headers['x-total-count']).to.equal('7');
          seen.push(...res.body.data.map((t: { name: string }) => t.name));
          if (page < 2) {
            expect(res.body.nextCursor).to.be.a('string');
            expect(res.headers.link).to.include('rel="next"');
            path = `/api/v1/admin/tenants?q=${token}&limit=3&cursor=${res.body.nextCursor}`;
          } else expect(res.body.nextCursor).to.equal(null);
        }
        expect(seen).to.deep.equal(names);
      });

      it('goes on from a cursor when the next page asks for another limit', async () => {
        const first = await api.get(`/api/v1/admin/tenants?q=${token}&limit=3`).expect(200);
        const next = await api
          .get(`/api/v1/admin/tenants?q=${token}&limit=2&cursor=${first.body.nextCursor}`)
          .expect(200);
        expect(next.body.data.map((t: { name: string }) => t.name)).to.deep.equal(names.slice(3, 5));
        const last = await api
          .get(`/api/v1/admin/tenants?q=${token}&limit=5&cursor=${next.body.nextCursor}`)
          .expect(200);
        expect(last.body.data.map((t: { name: string }) => t.name)).to.deep.equal(names.slice(5));
        expect(last.body.nextCursor).to.equal(null);
      });

      it('shows each tenant with its host, plan, status and credit in cents', async () => {
        await Tenant.update({ creditCents: '1234' }, { where: { id: tenants[2].id } });
        const res = await api.get(`/api/v1/admin/tenants?q=${tenants[2].slug}`).expect(200);
        expect(res.body.data).to.have.length(1);
        expect(res.body.data[0]).to.include({
          id: String(tenants[2].id),
          name: names[2],
          slug: tenants[2].slug,
          kind: 'company',
          status: 'trial',
          plan: 'free',
          host: `${tenants[2].slug}.localhost`,
          url: `http://${tenants[2].slug}.localhost:3000/`,
          onTrial: true,
          creditCents: 1234,
          currency: 'USD',
        });
      });

      it('filters by status and kind and searches slugs and domains, ignoring case', async () => {
        const churches = await api.get(`/api/v1/admin/tenants?q=${token}&kind=church`).expect(200);
        expect(churches.body.data.map((t: { name: string }) => t.name)).to.deep.equal(names.slice(0, 2));
        const suspended = await api.get(`/api/v1/admin/tenants?q=${token}&status=suspended`).expect(200);
        expect(suspended.body.data.map((t: { name: string }) => t.name)).to.deep.equal([names[0]]);
        const both = await api.get(`/api/v1/admin/tenants?q=${token}&status=suspended&kind=company`);
        expect(both.body).to.deep.include({ data: [], nextCursor: null, total: 0 });
        const byDomain = await api.get(`/api/v1/admin/tenants?q=SHOP-${token}`).expect(200);
        expect(byDomain.body.data.map((t: { name: string }) => t.name)).to.deep.equal([names[4]]);
        const literal = await api.get('/api/v1/admin/tenants?q=%25').expect(200);
        expect(literal.body.total).to.equal(0);
      });

      it('refuses bad filters with 422 and a forged cursor with 400', async () => {
        const bad = await api.get('/api/v1/admin/tenants?status=bogus&kind=club&limit=1000').expect(422);
        expect(Object.keys(bad.body.fields).sort()).to.deep.equal(['kind', 'limit', 'status']);
        const control = await api.get('/api/v1/admin/tenants?q=%00x').expect(422);
        expect(control.body.fields.q).to.equal('must not contain control characters');
        const forged = await api.get('/api/v1/admin/tenants?cursor=bm90LWEtY3Vyc29y').expect(400);
        expect(forged.body.type).to.match(/bad-cursor$/);
      });
    });

    describe('GET /api/v1/admin/tenants/:id', () => {
      it('shows the tenant with its domains and its number of staff accounts', async () => {
        const tenant = await createTenant({ kind: 'church', plan: 'premium' });
        await createUser(tenant);
        await Domain.create({ domain: `www.${tenant.slug}.example`, tenantId: tenant.id, isPrimary: false });
        const res = await api.get(`/api/v1/admin/tenants/${tenant.id}`).expect(200);
        expect(res.body).to.include({
          id: String(tenant.id),
          slug: tenant.slug,
          plan: 'premium',
          userCount: 2,
        });
        expect(
          res.body.domains.map((d: { domain: string; isPrimary: boolean }) => [d.domain, d.isPrimary]),
        ).to.deep.equal([
          [`${tenant.slug}.localhost`, true],
          [`www.${tenant.slug}.example`, false],
        ]);
        expect(res.headers.etag).to.be.a('string');
        await api
          .get(`/api/v1/admin/tenants/${tenant.id}`, { 'If-None-Match': res.headers.etag })
          .expect(304);
      });

      it('answers unknown and malformed ids with 404', async () => {
        for (const id of ['987654321', 'abc', '0', '99999999999999999999'])
          await api.get(`/api/v1/admin/tenants/${id}`).expect(404);
      });
    });

    describe('POST /api/v1/admin/tenants', () => {
      it('creates a tenant through provisioning with its first admin, who can sign in', async () => {
        const slug = uniqueSlug('apinew');
        const res = await api
          .post('/api/v1/admin/tenants', {
            name: 'Hope <b>Chapel</b>',
            slug,
            kind: 'church',
            plan: 'basic',
            adminName: 'Lead Pastor',
            adminEmail: `lead@${slug}.test`,
            adminPassword: 'a good long password',
          })
          .expect(201);
        const tenant = await Tenant.findOne({ where: { slug }, rejectOnEmpty: true });
        expect(res.headers.location).to.equal(`/api/v1/admin/tenants/${tenant.id}`);
        expect(res.body).to.include({
          id: String(tenant.id),
          name: 'Hope <b>Chapel</b>',
          plan: 'basic',
          status: 'trial',
        });
        expect([tenant.name, tenant.kind, tenant.plan]).to.deep.equal([
          'Hope <b>Chapel</b>',
          'church',
          'basic',
        ]);
        await signedIn(tenant, `lead@${slug}.test`, 'a good long password');
      });

      it('takes the form’s defaults for omitted fields', async () => {
        const slug = uniqueSlug('apidef');
        await api
          .post('/api/v1/admin/tenants', {
            name: 'Defaults',
            slug,
            kind: 'company',
            adminEmail: `boss@${slug}.test`,
          })
          .expect(201);
        const tenant = await Tenant.findOne({ where: { slug }, rejectOnEmpty: true });
        expect(tenant.plan).to.equal('free');
        await withTenant(tenant.toRef(), async () => {
          expect((await User.findAll()).map((u) => [u.email, u.name])).to.deep.equal([
            [`boss@${slug}.test`, 'Administrator'],
          ]);
        });
      });

      it('answers 422 with the field of each refusal, refuses unknown fields, and creates nothing', async () => {
        const taken = await createTenant();
        const before = await Tenant.count();
        const valid = {
          name: 'Kept Name',
          slug: uniqueSlug('apikept'),
          kind: 'company',
          adminEmail: 'boss@kept.test',
          adminPassword: 'secret password 123',
        };
        const cases: [Record<string, unknown>, string, RegExp][] = [
          [{ slug: taken.slug }, 'slug', /already taken/],
          [{ slug: 'admin' }, 'slug', /"admin" is reserved/],
          [{ slug: 'Bad Slug!' }, 'slug', /lowercase letters/],
          [{ adminEmail: 'not-an-email' }, 'adminEmail', /must be an e-mail address/],
          [{ kind: 'club' }, 'kind', /must be church or company/],
          [{ name: 'x'.repeat(121) }, 'name', /at most 120 characters/],
          [{ adminPassword: 'short' }, 'adminPassword', /at least 10 characters/],
          [{ plan: 'gold' }, 'plan', /unknown plan/],
          [{ name: 'Nul\u0000name' }, 'name', /control characters/],
          [{ domain: 'mine.example' }, 'domain', /is not a field of this request/],
        ];
        for (const [change, field, message] of cases) {
          const res = await api.post('/api/v1/admin/tenants', { ...valid, ...change }).expect(422);
          expect(res.body.fields?.[field], field).to.match(message);
          expect(res.text).to.not.include('secret password 123');
        }
        expect(await Tenant.count()).to.equal(before);
      });

      it('answers a retry with the same Idempotency-Key with the first response', async () => {
        const slug = uniqueSlug('apiidem');
        const body = { name: 'Once', slug, kind: 'church', adminEmail: `once@${slug}.test` };
        const headers = { 'Idempotency-Key': `create-${slug}` };
        const first = await api.post('/api/v1/admin/tenants', body, headers).expect(201);
        const retry = await api.post('/api/v1/admin/tenants', body, headers).expect(201);
        expect(retry.body).to.deep.equal(first.body);
        expect(retry.headers.location).to.equal(first.headers.location);
        expect(await Tenant.count({ where: { slug } })).to.equal(1);
      });
    });

    describe('suspension', () => {
      it('suspends a tenant, whose host then answers that it is suspended, and reactivates it', async () => {
        const tenant = await createTenant({ name: 'Paused Church' });
        await createUser(tenant);
        const suspended = await api.post(`/api/v1/admin/tenants/${tenant.id}/suspension`).expect(200);
        expect(suspended.body).to.include({ id: String(tenant.id), status: 'suspended' });
        const page = await http().get('/').set('Host', hostOf(tenant)).expect(403);
        expect(page.text).to.include('Paused Church is suspended');
        expect(await withTenant(tenant.toRef(), () => User.count())).to.equal(2);
        // Suspending again leaves it as it is.
        await api.post(`/api/v1/admin/tenants/${tenant.id}/suspension`).expect(200);
        const back = await api.delete(`/api/v1/admin/tenants/${tenant.id}/suspension`).expect(200);
        expect(back.body.status).to.equal('trial');
        await http().get('/').set('Host', hostOf(tenant)).expect(200);
        const again = await api.delete(`/api/v1/admin/tenants/${tenant.id}/suspension`).expect(200);
        expect(again.body.status).to.equal('trial');
      });

      it('reactivates a tenant whose trial is over as active', async () => {
        const tenant = await createTenant();
        await Tenant.update({ trialEndsAt: new Date(Date.now() - 1000) }, { where: { id: tenant.id } });
        await api.post(`/api/v1/admin/tenants/${tenant.id}/suspension`).expect(200);
        const res = await api.delete(`/api/v1/admin/tenants/${tenant.id}/suspension`).expect(200);
        expect(res.body).to.include({ status: 'active', onTrial: false });
        expect((await Tenant.findByPk(tenant.id))?.status).to.equal('active');
      });

      it('refuses a stale If-Match with 412 and changes nothing', async () => {
        const tenant = await createTenant();
        const { etag } = (await api.get(`/api/v1/admin/tenants/${tenant.id}`).expect(200)).headers;
        await Tenant.update({ plan: 'basic' }, { where: { id: tenant.id } });
        await api
          .post(`/api/v1/admin/tenants/${tenant.id}/suspension`, undefined, { 'If-Match': etag })
          .expect(412);
        expect((await Tenant.findByPk(tenant.id))?.status).to.equal('trial');
      });

      it('answers 404 for unknown and malformed ids', async () => {
        await api.post('/api/v1/admin/tenants/987654321/suspension').expect(404);
        await api.delete('/api/v1/admin/tenants/abc/suspension').expect(404);
      });
    });

    describe('POST /api/v1/admin/tenants/:id/top-ups', () => {
      it('adds a ledger entry and the credit, and audits it in the tenant’s log', async () => {
        const tenant = await payingTenant('basic', 1000);
        const res = await api
          .post(`/api/v1/admin/tenants/${tenant.id}/top-ups`, { amountCents: 2550, note: 'Cheque 1204' })
          .expect(201);
        expect(res.body.entry).to.include({
          kind: 'top_up',
          amountCents: 2550,
          balanceAfterCents: 3550,
          currency: 'USD',
          note: 'Cheque 1204',
        });
        expect(res.body.reactivated).to.equal(false);
        expect(res.body.tenant).to.include({ id: String(tenant.id), creditCents: 3550, status: 'active' });
        const entry = await BillingEntry.findByPk(res.body.entry.id, { rejectOnEmpty: true });
        expect([entry.tenantId, entry.amountCents, entry.createdBy]).to.deep.equal([
          String(tenant.id),
          '2550',
          String(api.admin.id),
        ]);
        expect((await Tenant.findByPk(tenant.id))?.creditCents).to.equal('3550');
        const audit = await lastAudit(tenant, 'billing.top_up');
        expect(audit?.actorName).to.equal(`platform admin ${api.admin.email}`);
        expect(audit?.changes.creditCents).to.deep.equal({ from: '1000', to: '3550' });
        expect(audit?.changes.topUp).to.deep.equal({ from: null, to: '$25.50' });
      });

      it('brings back a past-due tenant once its balance is no longer negative', async () => {
        const tenant = await payingTenant('basic', -500, { status: 'past_due' });
        await tenant.update({ pastDueSince: '2026-11-20' });
        const res = await api
          .post(`/api/v1/admin/tenants/${tenant.id}/top-ups`, { amountCents: 500 })
          .expect(201);
        expect(res.body.reactivated).to.equal(true);
        expect(res.body.tenant).to.include({ status: 'active', creditCents: 0, pastDueSince: null });
        expect(res.body.entry.note).to.equal(null);
      });

      it('answers 422 for an amount that is not a whole number of cents above zero, and stores nothing', async () => {
        const tenant = await payingTenant('basic', 1000);
        for (const amountCents of [0, -5, 2.5, '2500', 100_000_001, null]) {
          const res = await api
            .post(`/api/v1/admin/tenants/${tenant.id}/top-ups`, { amountCents })
            .expect(422);
          expect(res.body.fields, JSON.stringify(amountCents)).to.have.property('amountCents');
        }
        const nul = await api
          .post(`/api/v1/admin/tenants/${tenant.id}/top-ups`, { amountCents: 100, note: 'a\u0000b' })
          .expect(422);
        expect(nul.body.fields).to.deep.equal({ note: 'must not contain control characters' });
        const unknown = await api
          .post(`/api/v1/admin/tenants/${tenant.id}/top-ups`, { amountCents: 100, amount: '1.00' })
          .expect(422);
        expect(unknown.body.fields).to.deep.equal({ amount: 'is not a field of this request' });
        expect(await BillingEntry.count({ where: { tenantId: tenant.id } })).to.equal(0);
        expect((await Tenant.findByPk(tenant.id))?.creditCents).to.equal('1000');
      });

      it('adds the credit once for retries with the same Idempotency-Key', async () => {
        const tenant = await payingTenant('basic', 0);
        const headers = { 'Idempotency-Key': `topup-${tenant.slug}` };
        const path = `/api/v1/admin/tenants/${tenant.id}/top-ups`;
        const first = await api.post(path, { amountCents: 700 }, headers).expect(201);
        const retry = await api.post(path, { amountCents: 700 }, headers).expect(201);
        expect(retry.body).to.deep.equal(first.body);
        expect(await BillingEntry.count({ where: { tenantId: tenant.id, kind: 'top_up' } })).to.equal(1);
        expect((await Tenant.findByPk(tenant.id))?.creditCents).to.equal('700');
      });

      it('adds the credit once when requests with one Idempotency-Key arrive together', async () => {
        const tenant = await payingTenant('basic', 0);
        const headers = { 'Idempotency-Key': `together-${tenant.slug}` };
        const path = `/api/v1/admin/tenants/${tenant.id}/top-ups`;
        const results = await Promise.all([1, 2, 3].map(() => api.post(path, { amountCents: 300 }, headers)));
        expect(results.map((r) => r.status)).to.deep.equal([201, 201, 201]);
        expect(new Set(results.map((r) => r.body.entry.id)).size).to.equal(1);
        expect(await BillingEntry.count({ where: { tenantId: tenant.id, kind: 'top_up' } })).to.equal(1);
        expect((await Tenant.findByPk(tenant.id))?.creditCents).to.equal('300');
      });

      it('answers 404 for an unknown tenant', async () => {
        await api.post('/api/v1/admin/tenants/987654321/top-ups', { amountCents: 100 }).expect(404);
      });
    });

    describe('POST /api/v1/admin/tenants/:id/adjustments', () => {
      it('takes credit away with its reason as a ledger entry of its own, audited', async () => {
        const tenant = await payingTenant('basic', 1000);
        const res = await api
          .post(`/api/v1/admin/tenants/${tenant.id}/adjustments`, {
            amountCents: -1450,
            note: 'Charged twice',
          })
          .expect(201);
        expect(res.body.entry).to.include({
          kind: 'adjustment',
          amountCents: -1450,
          balanceAfterCents: -450,
        });
        expect(res.body.tenant.creditCents).to.equal(-450);
        const audit = await lastAudit(tenant, 'billing.adjustment');
        expect(audit?.changes.adjustment).to.deep.equal({ from: null, to: '-$14.50 (Charged twice)' });
      });

      it('answers 422 for a zero amount or a missing reason', async () => {
        const tenant = await payingTenant('basic', 1000);
        const zero = await api
          .post(`/api/v1/admin/tenants/${tenant.id}/adjustments`, { amountCents: 0, note: 'x' })
          .expect(422);
        expect(zero.body.fields).to.have.property('amountCents');
        const reason = await api
          .post(`/api/v1/admin/tenants/${tenant.id}/adjustments`, { amountCents: 5, note: '  ' })
          .expect(422);
        expect(reason.body.fields.note).to.match(/say why/);
        expect(await BillingEntry.count({ where: { tenantId: tenant.id } })).to.equal(0);
      });
    });

    describe('PUT /api/v1/admin/tenants/:id/plan', () => {
      it('moves the tenant to another plan, audited in its log', async () => {
        const tenant = await payingTenant('basic', 1000);
        const res = await api.put(`/api/v1/admin/tenants/${tenant.id}/plan`, { plan: 'premium' }).expect(200);
        expect(res.body).to.include({ id: String(tenant.id), plan: 'premium' });
        expect((await Tenant.findByPk(tenant.id))?.plan).to.equal('premium');
        const audit = await lastAudit(tenant, 'billing.plan_changed');
        expect(audit?.changes.plan).to.deep.equal({ from: 'basic', to: 'premium' });
        expect(audit?.actorName).to.equal(`platform admin ${api.admin.email}`);
        // The same plan again changes nothing and writes no second entry.
        await api.put(`/api/v1/admin/tenants/${tenant.id}/plan`, { plan: 'premium' }).expect(200);
        const entries = await withTenant(tenant.toRef(), () =>
          AuditLog.count({ where: { action: 'billing.plan_changed' } }),
        );
        expect(entries).to.equal(1);
      });

      it('answers 422 for an unknown or missing plan and changes nothing', async () => {
        const tenant = await payingTenant('basic', 1000);
        const unknown = await api
          .put(`/api/v1/admin/tenants/${tenant.id}/plan`, { plan: 'gold' })
          .expect(422);
        expect(unknown.body.fields).to.deep.equal({ plan: 'choose a plan from the list' });
        const missing = await api.put(`/api/v1/admin/tenants/${tenant.id}/plan`, {}).expect(422);
        expect(missing.body.fields).to.have.property('plan');
        expect((await Tenant.findByPk(tenant.id))?.plan).to.equal('basic');
      });

      it('refuses a stale If-Match with 412, and takes the current one', async () => {
        const tenant = await payingTenant('basic', 1000);
        const { etag } = (await api.get(`/api/v1/admin/tenants/${tenant.id}`).expect(200)).headers;
        await api.post(`/api/v1/admin/tenants/${tenant.id}/top-ups`, { amountCents: 100 }).expect(201);
        const stale = await api
          .put(`/api/v1/admin/tenants/${tenant.id}/plan`, { plan: 'premium' }, { 'If-Match': etag })
          .expect(412);
        expect(stale.body.type).to.match(/precondition-failed$/);
        expect((await Tenant.findByPk(tenant.id))?.plan).to.equal('basic');
        const current = await api.get(`/api/v1/admin/tenants/${tenant.id}`).expect(200);
        expect(current.body.creditCents).to.equal(1100);
        const changed = await api
          .put(
            `/api/v1/admin/tenants/${tenant.id}/plan`,
            { plan: 'premium' },
            { 'If-Match': current.headers.etag },
          )
          .expect(200);
        expect(changed.body.plan).to.equal('premium');
        // The answer's ETag is the new version's, good for the next change.
        const next = await api.get(`/api/v1/admin/tenants/${tenant.id}`).expect(200);
        expect(next.headers.etag).to.equal(changed.headers.etag);
      });

      it('answers 404 for an unknown tenant', async () => {
        await api.put('/api/v1/admin/tenants/987654321/plan', { plan: 'basic' }).expect(404);
      });
    });
  });
});
