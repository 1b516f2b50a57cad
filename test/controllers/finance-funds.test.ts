import { expect } from 'chai';
import type supertest from 'supertest';
import type { Tenant } from '../../app/models/index.ts';
import { Fund } from '../../app/models/index.ts';
import { createUser, csrfToken, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';
import { auditEntries, createContribution, createExpense, fundNamed, inTenant } from '../support/finance.ts';

describe('funds (/finance/funds)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let agent: supertest.Agent;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    await createUser(tenant, { level: 1, email: 'treasurer@funds.test' });
    agent = await signedIn(tenant, 'treasurer@funds.test');
  });

  async function post(path: string, body: Record<string, string>): Promise<supertest.Response> {
    const _csrf = await csrfToken(agent, host, '/finance/funds/new');
    return agent
      .post(path)
      .set('Host', host)
      .type('form')
      .send({ ...body, _csrf });
  }
  const byName = (name: string) => inTenant(tenant, () => Fund.findOne({ where: { name } }));

  it('starts a church with Tithe, Offering and Building, and a company with Sales, Services and General', async () => {
    const names = (t: Tenant) =>
      inTenant(t, async () => (await Fund.findAll({ order: [['name', 'ASC']] })).map((f) => f.name));
    expect(await names(tenant)).to.deep.equal(['Building', 'Offering', 'Tithe']);
    const company = await createTenant({ kind: 'company' });
    expect(await names(company)).to.deep.equal(['General', 'Sales', 'Services']);
    const list = await agent.get('/finance/funds').set('Host', host);
    expect(list.status).to.equal(200);
    expect(list.text).to.include('Tithe').and.include('Offering').and.include('Building');
  });

  it('creates a fund and audits it', async () => {
    const res = await post('/finance/funds', { name: 'Missions', description: 'Sent abroad', active: 'on' });
    expect(res.status).to.equal(302);
    const fund = await byName('Missions');
    expect(fund?.description).to.equal('Sent abroad');
    expect(fund?.active).to.equal(true);
    const [logged] = await auditEntries(tenant, 'fund.created');
    expect(logged.recordId).to.equal(fund?.id);
    expect(logged.changes.name).to.deep.equal({ from: null, to: 'Missions' });
  });

  it('answers a taken name (any case) with 422 and a field message, keeping the input', async () => {
    const before = await inTenant(tenant, () => Fund.count());
    const res = await post('/finance/funds', { name: 'tithe', description: 'again' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('is already the name of another fund').and.include('value="again"');
    expect(await inTenant(tenant, () => Fund.count())).to.equal(before);
    const empty = await post('/finance/funds', { name: '  ' });
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('is required');
  });

  it("renames a fund and refuses to rename it to another fund's name", async () => {
    const building = await fundNamed(tenant, 'Building');
    const taken = await post(`/finance/funds/${building}`, { name: 'Offering', active: 'on' });
    expect(taken.status).to.equal(422);
    expect(taken.text).to.include('is already the name of another fund');
    const ok = await post(`/finance/funds/${building}`, {
      name: 'Building fund',
      description: '',
      active: 'on',
    });
    expect(ok.status).to.equal(302);
    expect((await byName('Building fund'))?.id).to.equal(building);
    const [logged] = await auditEntries(tenant, 'fund.updated');
    expect(logged.changes.name).to.deep.equal({ from: 'Building', to: 'Building fund' });
  });

  it('deletes a fund without entries', async () => {
    const fund = await inTenant(tenant, () => Fund.create({ name: 'Unused', description: null }));
    const res = await post(`/finance/funds/${fund.id}/delete`, {});
    expect(res.status).to.equal(302);
    expect(await byName('Unused')).to.equal(null);
    const [logged] = await auditEntries(tenant, 'fund.deleted');
    expect(logged.recordId).to.equal(fund.id);
  });

  it('deactivates a fund with entries instead of deleting it, with a clear message', async () => {
    const fund = await inTenant(tenant, () => Fund.create({ name: 'Roof appeal', description: null }));
    await createContribution(tenant, { fundId: fund.id, amountCents: '100', receivedOn: '2025-01-01' });
    await createExpense(tenant, { fundId: fund.id, amountCents: '50', spentOn: '2025-01-02' });
    const edit = await agent.get(`/finance/funds/${fund.id}/edit`).set('Host', host);
    expect(edit.text).to.include('2 entries use this fund').and.include('cannot be deleted');
    const res = await post(`/finance/funds/${fund.id}/delete`, {});
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal(`/finance/funds/${fund.id}/edit`);
    const kept = await byName('Roof appeal');
    expect(kept?.active).to.equal(false);
    const page = await agent.get(res.headers.location).set('Host', host);
    expect(page.text).to.include('has entries, so it cannot be deleted');
    const [logged] = await auditEntries(tenant, 'fund.deactivated');
    expect(logged.changes.active).to.deep.equal({ from: true, to: false });
    const form = await agent.get('/finance/contributions/new').set('Host', host);
    expect(form.text).not.to.include('Roof appeal');
    const list = await agent.get('/finance/funds').set('Host', host);
    expect(list.text).to.include('Inactive');
  });

  it('reactivates a fund from its form', async () => {
    const fund = await inTenant(tenant, () =>
      Fund.create({ name: 'Sleeping', description: null, active: false }),
    );
    const res = await post(`/finance/funds/${fund.id}`, { name: 'Sleeping', active: 'on' });
    expect(res.status).to.equal(302);
    expect((await byName('Sleeping'))?.active).to.equal(true);
  });
});
