import { expect } from 'chai';
import { Op, QueryTypes } from 'sequelize';
import type supertest from 'supertest';
import { db } from '../../../app/db/database.ts';
import { Domain, Tenant, User } from '../../../app/models/index.ts';
import { withTenant } from '../../../app/tenancy/context.ts';
import { createUser, PLATFORM_HOST, postForm, signedIn, signedInPlatformAdmin } from '../../support/auth.ts';
import { createTenant, hostOf, http, uniqueSlug } from '../../support/factories.ts';
import { mailbox } from '../../support/mailbox.ts';

const ROOT = PLATFORM_HOST;

/** Posts an admin form with a CSRF token taken from the dashboard; checks the status when given. */
async function post(
  agent: supertest.Agent,
  path: string,
  body: Record<string, string> = {},
  status?: number,
) {
  const res = await postForm(agent, ROOT, path, body, '/admin');
  if (status) expect(res.status, `${path}: ${res.text.slice(0, 300)}`).to.equal(status);
  return res;
}

/** The number shown in the element with that id. */
function figure(html: string, id: string): number {
  const match = html.match(new RegExp(`id="${id}">(\\d+)<`));
  if (!match) throw new Error(`No figure ${id}`);
  return Number(match[1]);
}

/** The tenant names linked from a tenant list page. */
function listed(html: string): string[] {
  return [...html.matchAll(/class="tenant-link">([^<]*)</g)].map((m) => m[1]);
}

const userCount = (tenant: Tenant) => withTenant(tenant.toRef(), () => User.count());

async function schemaExists(name: string): Promise<boolean> {
  const rows = await db().query('SELECT 1 FROM pg_namespace WHERE nspname = $1', {
    bind: [name],
    type: QueryTypes.SELECT,
  });
  return rows.length === 1;
}

describe('platform admin: tenants', () => {
  let agent: supertest.Agent;

  before(async () => {
    ({ agent } = await signedInPlatformAdmin());
  });

  describe('dashboard', () => {
    it('shows tenants by status and by kind, sign-ups this month and the total', async () => {
      const church = await createTenant({ kind: 'church' });
      await Tenant.update({ status: 'suspended' }, { where: { id: church.id } });
      const old = await createTenant();
      const before = figure((await agent.get('/admin').set('Host', ROOT).expect(200)).text, 'figure-signups');
      await db().query("UPDATE public.tenants SET created_at = now() - interval '40 days' WHERE id = $1", {
        bind: [old.id],
      });
      const page = (await agent.get('/admin').set('Host', ROOT).expect(200)).text;
      const now = new Date();
      const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      expect(figure(page, 'figure-total')).to.equal(await Tenant.count());
      expect(figure(page, 'figure-signups')).to.equal(before - 1);
      expect(figure(page, 'figure-signups')).to.equal(
        await Tenant.count({ where: { createdAt: { [Op.gte]: monthStart } } }),
      );
      for (const status of ['trial', 'active', 'past_due', 'suspended'])
        expect(figure(page, `figure-status-${status}`), status).to.equal(
          await Tenant.count({ where: { status } }),
        );
      for (const kind of ['church', 'company'])
        expect(figure(page, `figure-kind-${kind}`), kind).to.equal(await Tenant.count({ where: { kind } }));
      expect(figure(page, 'figure-status-suspended')).to.be.at.least(1);
    });
  });

  describe('list', () => {
    const token = uniqueSlug('zq');
    const names: string[] = [];
    const tenants: Tenant[] = [];

    before(async () => {
      for (let i = 1; i <= 28; i += 1) names.push(`Paging ${token} ${String(i).padStart(2, '0')}`);
      for (const [i, name] of names.entries())
        tenants.push(await createTenant({ name, kind: i < 2 ? 'church' : 'company' }));
      await Tenant.update({ status: 'suspended' }, { where: { id: tenants[0].id } });
      await Domain.create({ domain: `shop-${token}.example`, tenantId: tenants[4].id, isPrimary: false });
    });

    it('pages the search results 25 at a time, with links that keep the search and filters', async () => {
      const first = await agent.get(`/admin/tenants?q=${token}`).set('Host', ROOT).expect(200);
      expect(first.text).to.include('28 tenants');
      expect(listed(first.text)).to.deep.equal(names.slice(0, 25));
      expect(first.text).to.include(`href="/admin/tenants?q=${token}&amp;page=2" rel="next"`);
      const second = await agent.get(`/admin/tenants?q=${token}&page=2`).set('Host', ROOT).expect(200);
      expect(listed(second.text)).to.deep.equal(names.slice(25));
      expect(second.text).to.include(`href="/admin/tenants?q=${token}&amp;page=1" rel="prev"`);
      const filtered = await agent.get(`/admin/tenants?q=${token}&kind=company`).set('Host', ROOT);
      expect(filtered.text).to.include('26 tenants');
      expect(filtered.text).to.include(
        `href="/admin/tenants?q=${token}&amp;kind=company&amp;page=2" rel="next"`,
      );
      const last = await agent.get(`/admin/tenants?q=${token}&kind=company&page=2`).set('Host', ROOT);
      expect(listed(last.text)).to.deep.equal(names.slice(27));
    });

    it('filters by status and by kind', async () => {
      const churches = await agent.get(`/admin/tenants?q=${token}&kind=church`).set('Host', ROOT).expect(200);
      expect(listed(churches.text)).to.deep.equal(names.slice(0, 2));
      const suspended = await agent.get(`/admin/tenants?q=${token}&status=suspended`).set('Host', ROOT);
      expect(listed(suspended.text)).to.deep.equal([names[0]]);
      const both = await agent
        .get(`/admin/tenants?q=${token}&status=suspended&kind=company`)
        .set('Host', ROOT);
      expect(listed(both.text)).to.deep.equal([]);
      expect(both.text).to.include('No tenants match');
    });

    it('searches by name, slug and domain, ignoring case', async () => {
      const bySlug = await agent.get(`/admin/tenants?q=${tenants[7].slug.toUpperCase()}`).set('Host', ROOT);
      expect(listed(bySlug.text)).to.deep.equal([names[7]]);
      const byDomain = await agent.get(`/admin/tenants?q=SHOP-${token}`).set('Host', ROOT);
      expect(listed(byDomain.text)).to.deep.equal([names[4]]);
      const byName = await agent
        .get(`/admin/tenants?q=${encodeURIComponent(`paging ${token} 1`)}`)
        .set('Host', ROOT);
      expect(listed(byName.text)).to.have.length(10);
    });

    it('takes % and _ in a search literally and shrugs off malformed filters', async () => {
      const percent = await agent.get('/admin/tenants?q=%25').set('Host', ROOT).expect(200);
      expect(percent.text).to.include('0 tenants');
      for (const query of [
        'q=_',
        `q=${'x'.repeat(5000)}`,
        'q=%00%3Cscript%3E',
        `q=${encodeURIComponent("O'Brien\\'; DROP TABLE x; --")}`,
        'status=bogus&kind=club&page=abc',
        'page=-3',
        'page=99999999999',
        'status=trial&status=active',
        'q[a]=1',
      ])
        expect((await agent.get(`/admin/tenants?${query}`).set('Host', ROOT)).status, query).to.equal(200);
      const escaped = await agent.get('/admin/tenants?q=%3Cscript%3Ex').set('Host', ROOT);
      expect(escaped.text).to.include('value="&lt;script&gt;x"');
    });
  });

  describe('detail', () => {
    it("shows a tenant's details, its domains, its credit as exact money and its number of users", async () => {
      const tenant = await createTenant({ kind: 'church', plan: 'premium' });
      await createUser(tenant);
      await createUser(tenant);
      await Tenant.update({ creditCents: '1234567890123456789' }, { where: { id: tenant.id } });
      const res = await agent.get(`/admin/tenants/${tenant.id}`).set('Host', ROOT).expect(200);
      // The page is about the tenant but still the admin area's page, not the tenant's own.
      expect(res.text).to.match(/class="navbar-brand[^"]*" href="\/admin">Steward admin</);
      expect(res.text).to.include(tenant.name);
      expect(res.text).to.include(tenant.slug);
      expect(res.text).to.include(tenant.schemaName);
      expect(res.text).to.include('Premium');
      expect(res.text).to.include(`${tenant.slug}.localhost`);
      expect(res.text).to.include('id="tenant-credit">$12,345,678,901,234,567.89<');
      expect(res.text).to.include('id="tenant-users">3<');
      await Tenant.update({ creditCents: '-5' }, { where: { id: tenant.id } });
      const negative = await agent.get(`/admin/tenants/${tenant.id}`).set('Host', ROOT);
      expect(negative.text).to.include('id="tenant-credit">-$0.05<');
    });

    it('answers malformed or unknown ids with 404, never 500', async () => {
      for (const path of [
        '/admin/tenants/abc',
        '/admin/tenants/0',
        '/admin/tenants/1.5',
        '/admin/tenants/-1',
        '/admin/tenants/99999999999999999999',
        '/admin/tenants/987654321',
        '/admin/tenants/abc/delete',
      ])
        expect((await agent.get(path).set('Host', ROOT)).status, path).to.equal(404);
      for (const path of [
        '/admin/tenants/abc/suspension',
        '/admin/tenants/abc/domains',
        '/admin/tenants/1/domains/abc/delete',
        '/admin/tenants/abc/delete',
      ])
        expect((await post(agent, path)).status, path).to.equal(404);
    });
  });

  describe('create', () => {
    it('creates a tenant through provisioning, with its first admin, and shows its name escaped', async () => {
      const slug = uniqueSlug('new');
      const name = 'Hope <b>Chapel</b> Ünïcode 教会';
      const res = await post(agent, '/admin/tenants', {
        name,
        slug,
        kind: 'church',
        plan: 'basic',
        adminName: 'Lead Pastor',
        adminEmail: `lead@${slug}.test`,
        adminPassword: 'a good long password',
      });
      expect(res.status, res.text.slice(0, 500)).to.equal(302);
      const tenant = await Tenant.findOne({ where: { slug } });
      expect(tenant).to.not.equal(null);
      if (!tenant) return;
      expect(res.headers.location).to.equal(`/admin/tenants/${tenant.id}`);
      expect([tenant.name, tenant.kind, tenant.plan]).to.deep.equal([name, 'church', 'basic']);
      const page = await agent.get(res.headers.location).set('Host', ROOT).expect(200);
      expect(page.text).to.include('Hope &lt;b&gt;Chapel&lt;/b&gt; Ünïcode 教会');
      expect(page.text).not.to.include('<b>Chapel</b>');
      expect(page.text).to.include('was created');
      await http().get('/').set('Host', hostOf(tenant)).expect(200);
      await signedIn(tenant, `lead@${slug}.test`, 'a good long password');
      // The first admin is welcomed, as the new tenant.
      await mailbox.settled();
      const welcome = mailbox.to(`lead@${slug}.test`);
      expect(welcome.map((m) => m.subject)).to.deep.equal([`Welcome to Steward: ${name} is ready`]);
      expect(welcome[0]?.headers.get('x-steward-tenant')).to.equal(slug);
      expect(welcome[0]?.text).to.include(`http://${slug}.localhost`);
    });

    it('re-renders the form with field messages and the input kept (not the password)', async () => {
      const taken = await createTenant();
      const before = await Tenant.count();
      const valid = {
        name: 'Kept Name',
        slug: uniqueSlug('kept'),
        kind: 'company',
        plan: 'free',
        adminName: '',
        adminEmail: 'boss@kept.test',
        adminPassword: 'secret password 123',
      };
      const cases: [Record<string, string>, string, RegExp][] = [
        [{ slug: taken.slug }, 'slug', /already taken/],
        [{ slug: 'admin' }, 'slug', /&#34;admin&#34; is reserved/],
        [{ slug: 'Bad Slug!' }, 'slug', /lowercase letters/],
        [{ adminEmail: 'not-an-email' }, 'adminEmail', /must be an e-mail address/],
        [{ kind: 'club' }, 'kind', /must be church or company/],
        [{ name: 'x'.repeat(121) }, 'name', /at most 120 characters/],
        [{ adminPassword: 'short' }, 'adminPassword', /at least 10 characters/],
        [{ plan: 'gold' }, 'plan', /unknown plan/],
      ];
      for (const [change, field, message] of cases) {
        const res = await post(agent, '/admin/tenants', { ...valid, ...change });
        expect(res.status, field).to.equal(422);
        const feedback = res.text.match(
          new RegExp(`id="f-${field}"[\\s\\S]*?<div class="invalid-feedback">([^<]*)<`),
        );
        expect(feedback?.[1], field).to.match(message);
        const kept = { ...valid, ...change };
        expect(res.text).to.include(`value="${kept.adminEmail}"`);
        if (field !== 'name') expect(res.text).to.include('value="Kept Name"');
        expect(res.text).not.to.include('secret password 123');
      }
      const empty = await post(agent, '/admin/tenants', {});
      expect(empty.status).to.equal(422);
      expect(empty.text.match(/invalid-feedback/g)?.length).to.be.at.least(3);
      expect(await Tenant.count()).to.equal(before);
    });
  });

  describe('domains', () => {
    let tenant: Tenant;
    let other: Tenant;

    before(async () => {
      tenant = await createTenant({ name: 'Domain Org' });
      other = await createTenant();
    });

    const domainsOf = async (t: Tenant) =>
      (await Domain.findAll({ where: { tenantId: t.id }, order: [['domain', 'ASC']] })).map((d) => ({
        domain: d.domain,
        isPrimary: d.isPrimary,
      }));

    it('adds a domain, which then serves the tenant', async () => {
      const res = await post(agent, `/admin/tenants/${tenant.id}/domains`, {
        domain: ' WWW.Domain-Org.Example. ',
      });
      expect(res.status, res.text.slice(0, 300)).to.equal(302);
      expect(res.headers.location).to.equal(`/admin/tenants/${tenant.id}`);
      const home = await http().get('/').set('Host', 'www.domain-org.example').expect(200);
      expect(home.text).to.include('Domain Org');
      const page = await agent.get(res.headers.location).set('Host', ROOT);
      expect(page.text).to.include('www.domain-org.example now serves Domain Org.');
    });

    it('refuses a domain that is taken, malformed, or another tenant’s address, with a field message', async () => {
      await Domain.create({ domain: 'taken.example', tenantId: other.id, isPrimary: false });
      const cases: [string, RegExp][] = [
        ['taken.example', /is already in use/],
        ['www.domain-org.example', /already one of its domains/],
        [`${other.slug}.localhost`, /already in use|another organisation/],
        ['localhost', /platform&#39;s own address/],
        ['not a domain', /must be a host name/],
        ['<script>.example', /must be a host name/],
        ['', /is required/],
        [`${'a'.repeat(300)}.example`, /too long/],
      ];
      for (const [domain, message] of cases) {
        const res = await post(agent, `/admin/tenants/${tenant.id}/domains`, { domain });
        expect(res.status, domain).to.equal(422);
        expect(res.text, domain).to.match(message);
        expect(res.text).not.to.include('<script>.example');
      }
      await Domain.destroy({ where: { domain: `${other.slug}.localhost` } });
      const bySlug = await post(agent, `/admin/tenants/${tenant.id}/domains`, {
        domain: `${other.slug}.localhost`,
      });
      expect(bySlug.text).to.match(/the address of another organisation/);
      expect(await Domain.count({ where: { domain: `${other.slug}.localhost` } })).to.equal(0);
    });

    it('stores an international domain in the ASCII form browsers send', async () => {
      await post(agent, `/admin/tenants/${tenant.id}/domains`, { domain: 'bücher.example' }, 302);
      await http().get('/').set('Host', 'xn--bcher-kva.example').expect(200);
    });

    it('removes a domain, which then answers 404', async () => {
      await post(agent, `/admin/tenants/${tenant.id}/domains`, { domain: 'gone.domain-org.example' }, 302);
      await http().get('/').set('Host', 'gone.domain-org.example').expect(200);
      const domain = await Domain.findOne({ where: { domain: 'gone.domain-org.example' } });
      await post(agent, `/admin/tenants/${tenant.id}/domains/${domain?.id}/delete`, {}, 302);
      await http().get('/').set('Host', 'gone.domain-org.example').expect(404);
    });

    it('keeps the primary domain until another is made primary', async () => {
      const primary = await Domain.findOne({ where: { tenantId: tenant.id, isPrimary: true } });
      const refused = await post(agent, `/admin/tenants/${tenant.id}/domains/${primary?.id}/delete`, {}, 302);
      const page = await agent.get(refused.headers.location).set('Host', ROOT);
      expect(page.text).to.include('is the primary domain. Make another domain primary first.');
      expect(await Domain.count({ where: { id: primary?.id } })).to.equal(1);

      const www = await Domain.findOne({ where: { domain: 'www.domain-org.example' } });
      await post(agent, `/admin/tenants/${tenant.id}/domains/${www?.id}/primary`, {}, 302);
      expect(await domainsOf(tenant)).to.deep.include.members([
        { domain: 'www.domain-org.example', isPrimary: true },
        { domain: `${tenant.slug}.localhost`, isPrimary: false },
      ]);
      await post(agent, `/admin/tenants/${tenant.id}/domains/${primary?.id}/delete`, {}, 302);
      expect(await Domain.count({ where: { id: primary?.id } })).to.equal(0);
    });

    it("answers another tenant's domain id with 404 and leaves it alone", async () => {
      const theirs = await Domain.findOne({ where: { tenantId: other.id } });
      await post(agent, `/admin/tenants/${tenant.id}/domains/${theirs?.id}/delete`, {}, 404);
      await post(agent, `/admin/tenants/${tenant.id}/domains/${theirs?.id}/primary`, {}, 404);
      expect(await Domain.count({ where: { id: theirs?.id } })).to.equal(1);
    });
  });

  describe('suspension', () => {
    it('suspends a tenant, whose host then shows the suspended page, and keeps its data', async () => {
      const tenant = await createTenant({ name: 'Paused Church' });
      await createUser(tenant);
      await http().get('/').set('Host', hostOf(tenant)).expect(200);
      await post(agent, `/admin/tenants/${tenant.id}/suspension`, {}, 302);
      const res = await http().get('/').set('Host', hostOf(tenant)).expect(403);
      expect(res.text).to.include('Paused Church is suspended');
      expect(await userCount(tenant)).to.equal(2);
      const page = await agent.get(`/admin/tenants/${tenant.id}`).set('Host', ROOT);
      expect(page.text).to.include('id="tenant-status">suspended<');

      await post(agent, `/admin/tenants/${tenant.id}/suspension/delete`, {}, 302);
      expect((await Tenant.findByPk(tenant.id))?.status).to.equal('trial');
      await http().get('/').set('Host', hostOf(tenant)).expect(200);
    });

    it('reactivates a tenant whose trial is over as active', async () => {
      const tenant = await createTenant();
      await Tenant.update({ trialEndsAt: new Date(Date.now() - 1000) }, { where: { id: tenant.id } });
      await post(agent, `/admin/tenants/${tenant.id}/suspension`, {}, 302);
      await post(agent, `/admin/tenants/${tenant.id}/suspension/delete`, {}, 302);
      expect((await Tenant.findByPk(tenant.id))?.status).to.equal('active');
    });
  });

  describe('delete', () => {
    it('asks for the slug and deletes the tenant and its schema only when it matches exactly', async () => {
      const tenant = await createTenant();
      const form = await agent.get(`/admin/tenants/${tenant.id}/delete`).set('Host', ROOT).expect(200);
      expect(form.text).to.include(`Type the slug &#34;${tenant.slug}&#34; to confirm`);
      for (const typed of ['', 'wrong', tenant.slug.toUpperCase(), ` ${tenant.slug}`, `${tenant.slug} `]) {
        const res = await post(agent, `/admin/tenants/${tenant.id}/delete`, { confirmSlug: typed });
        expect(res.status, JSON.stringify(typed)).to.equal(422);
        expect(res.text).to.include('nothing was deleted');
      }
      expect(await Tenant.count({ where: { id: tenant.id } })).to.equal(1);
      expect(await schemaExists(tenant.schemaName)).to.equal(true);

      const res = await post(agent, `/admin/tenants/${tenant.id}/delete`, { confirmSlug: tenant.slug });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/admin/tenants');
      expect(await Tenant.count({ where: { id: tenant.id } })).to.equal(0);
      expect(await schemaExists(tenant.schemaName)).to.equal(false);
      await http().get('/').set('Host', hostOf(tenant)).expect(404);
      await agent.get(`/admin/tenants/${tenant.id}`).set('Host', ROOT).expect(404);
    });
  });
});
