import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../../app/app.ts';
import { type CliIo, runCli } from '../../../app/cli.ts';
import { AuditLog, BillingEntry, Domain, Tenant } from '../../../app/models/index.ts';
import { withTenant } from '../../../app/tenancy/context.ts';
import { fresh, payingTenant, ROOT, signedInAdmin } from '../../jobs/billing-support.ts';
import { csrfToken, postForm } from '../../support/auth.ts';
import { createTenant, uniqueSlug } from '../../support/factories.ts';

const post = (agent: supertest.Agent, path: string, body: Record<string, string>) =>
  postForm(agent, ROOT, path, body, '/admin');

describe('platform admin: control characters and reserved names', function () {
  this.timeout(60_000);
  let agent: supertest.Agent;

  before(async () => {
    ({ agent } = await signedInAdmin());
  });

  it('answers 422 with the field message for a NUL in the credit-adjustment note, and stores nothing', async () => {
    const tenant = await payingTenant('basic', 1000);
    const res = await post(agent, `/admin/tenants/${tenant.id}/adjustments`, {
      adjustAmount: '5',
      adjustNote: 'refund\u0000 for March',
    });
    expect(res.status, res.text.slice(0, 300)).to.equal(422);
    expect(res.text).to.match(/id="f-adjustNote"[^>]*is-invalid|is-invalid[^>]*id="f-adjustNote"/);
    expect(res.text).to.include('must not contain control characters');
    expect(await BillingEntry.count({ where: { tenantId: tenant.id } })).to.equal(0);
    expect((await fresh(tenant)).creditCents).to.equal('1000');
    const audits = await withTenant(tenant.toRef(), () =>
      AuditLog.count({ where: { action: 'billing.adjustment' } }),
    );
    expect(audits).to.equal(0);
  });

  it('answers 422 with the field message for a NUL in the top-up note, and stores nothing', async () => {
    const tenant = await payingTenant('basic', 1000);
    const res = await post(agent, `/admin/tenants/${tenant.id}/top-ups`, {
      amount: '5',
      note: 'cheque\u00001204',
    });
    expect(res.status, res.text.slice(0, 300)).to.equal(422);
    expect(res.text).to.include('must not contain control characters');
    expect(await BillingEntry.count({ where: { tenantId: tenant.id } })).to.equal(0);
  });

  it('answers 422 for a NUL or a lone surrogate sent in a JSON body, and stores nothing', async () => {
    const tenant = await payingTenant('basic', 1000);
    for (const note of ['cheque\u00001204', 'cheque \ud800']) {
      const _csrf = await csrfToken(agent, ROOT, '/admin');
      const res = await agent
        .post(`/admin/tenants/${tenant.id}/top-ups`)
        .set('Host', ROOT)
        .set('Content-Type', 'application/json')
        // JSON.stringify escapes both characters, as a JSON client would send them.
        .send(JSON.stringify({ amount: '5', note, _csrf }));
      expect(res.status, `${JSON.stringify(note)}: ${res.text.slice(0, 300)}`).to.equal(422);
    }
    expect(await BillingEntry.count({ where: { tenantId: tenant.id } })).to.equal(0);
  });

  it('refuses admin.<base domain>, www.<base domain> and localhost.<base domain> as a custom domain', async () => {
    const tenant = await createTenant();
    for (const domain of ['admin.localhost', 'www.localhost', 'localhost.localhost']) {
      const res = await post(agent, `/admin/tenants/${tenant.id}/domains`, { domain });
      expect(res.status, domain).to.equal(422);
      expect(res.text, domain).to.include(`&#34;${domain}&#34; is reserved`);
      expect(await Domain.count({ where: { domain } }), domain).to.equal(0);
    }
  });

  it('refuses the slug localhost on the new-tenant form', async () => {
    const before = await Tenant.count();
    const res = await post(agent, '/admin/tenants', {
      name: 'Local Org',
      slug: 'localhost',
      kind: 'company',
      adminEmail: `ada@${uniqueSlug()}.test`,
    });
    expect(res.status).to.equal(422);
    expect(res.text).to.match(
      /id="f-slug"[\s\S]*?<div class="invalid-feedback">&#34;localhost&#34; is reserved</,
    );
    expect(await Tenant.count()).to.equal(before);
  });

  it('refuses the slug localhost and the domain admin.localhost on the command line', async () => {
    const lines: string[] = [];
    const io: CliIo = {
      isTTY: false,
      out: () => {},
      err: (l) => lines.push(l),
      progress: () => {},
      ask: async () => '',
    };
    const args = (slug: string, extra: string[] = []) => [
      'tenant:create',
      '--slug',
      slug,
      '--name',
      'Hope Chapel',
      '--kind',
      'church',
      '--admin-email',
      `lead@${uniqueSlug()}.test`,
      '--admin-password',
      'a good long password',
      ...extra,
    ];
    expect(await runCli(args('localhost'), io, null)).to.not.equal(0);
    expect(lines.join('\n')).to.match(/--slug: "localhost" is reserved/);
    lines.length = 0;
    expect(await runCli(args(uniqueSlug(), ['--domain', 'admin.localhost']), io, null)).to.not.equal(0);
    expect(lines.join('\n')).to.match(/--domain: "admin.localhost" is reserved/);
  });

  it('refuses the slug localhost on the sign-up page', async () => {
    // A client of its own: failed sign-ups count against one limit per client address, and the
    // sign-up tests use up the allowance of 127.0.0.1.
    const app = createApp();
    app.set('trust proxy', true);
    const signup = supertest.agent(app);
    const form = await signup
      .get('/signup')
      .set('Host', ROOT)
      .set('X-Forwarded-For', '203.0.113.77')
      .expect(200);
    const _csrf = (/name="_csrf" value="([^"]+)"/.exec(form.text) as RegExpExecArray)[1];
    const res = await signup
      .post('/signup')
      .set('Host', ROOT)
      .set('X-Forwarded-For', '203.0.113.77')
      .type('form')
      .send({
        name: 'Local Chapel',
        kind: 'church',
        slug: 'localhost',
        adminName: 'Ada',
        email: `ada@${uniqueSlug()}.test`,
        password: 'a long enough password',
        plan: 'basic',
        _csrf,
      });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('&#34;localhost&#34; is reserved');
    expect(await Tenant.count({ where: { slug: 'localhost' } })).to.equal(0);
  });
});
