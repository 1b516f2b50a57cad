import { expect } from 'chai';
import type supertest from 'supertest';
import { AuditLog, BillingEntry, type PlatformAdmin, type Tenant } from '../../../app/models/index.ts';
import { withTenant } from '../../../app/tenancy/context.ts';
import {
  chargeFor,
  chargesOf,
  fresh,
  freshDay,
  payingTenant,
  ROOT,
  signedInAdmin,
} from '../../jobs/billing-support.ts';
import { postForm } from '../../support/auth.ts';
import { hostOf, http } from '../../support/factories.ts';

const post = (agent: supertest.Agent, path: string, body: Record<string, string>) =>
  postForm(agent, ROOT, path, body, '/admin');

const lastAudit = (tenant: Tenant, action: string) =>
  withTenant(tenant.toRef(), () => AuditLog.findOne({ where: { action }, order: [['id', 'DESC']] }));

describe('platform admin: credit and plans', function () {
  this.timeout(60_000);
  let agent: supertest.Agent;
  let admin: PlatformAdmin;

  before(async () => {
    ({ agent, admin } = await signedInAdmin());
  });

  describe('top-ups', () => {
    it('adds a ledger entry and the credit, and audits it in the tenant log', async () => {
      const tenant = await payingTenant('basic', 1000);
      const res = await post(agent, `/admin/tenants/${tenant.id}/top-ups`, {
        amount: '25.50',
        note: 'Cheque 1204',
      });
      expect(res.status, res.text.slice(0, 300)).to.equal(302);
      expect(res.headers.location).to.equal(`/admin/tenants/${tenant.id}`);
      const entries = await BillingEntry.findAll({ where: { tenantId: tenant.id } });
      expect(entries).to.have.length(1);
      expect(entries[0].kind).to.equal('top_up');
      expect(entries[0].amountCents).to.equal('2550');
      expect(entries[0].balanceAfterCents).to.equal('3550');
      expect(entries[0].note).to.equal('Cheque 1204');
      expect(entries[0].createdBy).to.equal(String(admin.id));
      expect((await fresh(tenant)).creditCents).to.equal('3550');
      const audit = await lastAudit(tenant, 'billing.top_up');
      expect(audit?.actorName).to.equal(`platform admin ${admin.email}`);
      expect(audit?.changes.creditCents).to.deep.equal({ from: '1000', to: '3550' });
      expect(audit?.changes.topUp).to.deep.equal({ from: null, to: '$25.50' });

      const page = await agent.get(`/admin/tenants/${tenant.id}`).set('Host', ROOT);
      expect(page.text).to.include('$25.50 was added');
      expect(page.text).to.match(/id="tenant-balance"[^>]*>\$35\.50</);
      expect(page.text).to.include('Cheque 1204');
      expect(page.text).to.match(/id="meter-members"[\s\S]*?meter-used">1<[\s\S]*?meter-limit">10</);
    });

    for (const [amount, message] of [
      ['', 'must be an amount above zero'],
      ['0', 'must be an amount above zero'],
      ['-5', 'must be an amount above zero'],
      ['ten', 'must be an amount above zero'],
      ['1.234', 'must be an amount above zero'],
      ['2000000', 'must be at most 1,000,000.00'],
    ]) {
      it(`answers 422 for the amount "${amount}", keeps the form and changes nothing`, async () => {
        const tenant = await payingTenant('basic', 1000);
        const res = await post(agent, `/admin/tenants/${tenant.id}/top-ups`, { amount, note: 'kept note' });
        expect(res.status).to.equal(422);
        expect(res.text).to.include(message);
        expect(res.text).to.include('kept note');
        if (amount) expect(res.text).to.include(`value="${amount}"`);
        expect(await BillingEntry.count({ where: { tenantId: tenant.id } })).to.equal(0);
        expect((await fresh(tenant)).creditCents).to.equal('1000');
      });
    }

    it('reactivates a past-due tenant once its balance is no longer negative', async () => {
      const tenant = await payingTenant('basic', -100, { status: 'past_due' });
      await tenant.update({ pastDueSince: '2026-11-01' });
      await post(agent, `/admin/tenants/${tenant.id}/top-ups`, { amount: '0.50', note: '' });
      let now = await fresh(tenant);
      expect(now.creditCents).to.equal('-50');
      expect(now.status).to.equal('past_due');
      await post(agent, `/admin/tenants/${tenant.id}/top-ups`, { amount: '10', note: '' });
      now = await fresh(tenant);
      expect(now.creditCents).to.equal('950');
      expect(now.status).to.equal('active');
      expect(now.pastDueSince).to.equal(null);
      const audit = await lastAudit(tenant, 'billing.top_up');
      expect(audit?.changes.status).to.deep.equal({ from: 'past_due', to: 'active' });
    });

    it('brings back a tenant that billing suspended, and its pages open again', async () => {
      const tenant = await payingTenant('premium', -3000, { status: 'suspended' });
      await tenant.update({ pastDueSince: '2026-11-01' });
      expect((await http().get('/login').set('Host', hostOf(tenant))).status).to.equal(403);
      const res = await post(agent, `/admin/tenants/${tenant.id}/top-ups`, { amount: '29', note: 'Paid' });
      expect(res.status).to.equal(302);
      const now = await fresh(tenant);
      // $29.00 on a balance of -$30.00 leaves it negative: still held.
      expect(now.creditCents).to.equal('-100');
      expect(now.status).to.equal('suspended');
      await post(agent, `/admin/tenants/${tenant.id}/top-ups`, { amount: '1', note: '' });
      const back = await fresh(tenant);
      expect(back.creditCents).to.equal('0');
      expect(back.status).to.equal('active');
      expect((await http().get('/login').set('Host', hostOf(tenant))).status).to.equal(200);
    });

    it('keeps a tenant suspended by hand suspended', async () => {
      const tenant = await payingTenant('basic', 0, { status: 'suspended' });
      await post(agent, `/admin/tenants/${tenant.id}/top-ups`, { amount: '5', note: '' });
      const now = await fresh(tenant);
      expect(now.creditCents).to.equal('500');
      expect(now.status).to.equal('suspended');
    });

    it('answers 404 for an unknown or malformed tenant id', async () => {
      for (const id of ['987654321', 'abc', '99999999999999999999']) {
        const res = await post(agent, `/admin/tenants/${id}/top-ups`, { amount: '5', note: '' });
        expect(res.status, id).to.equal(404);
      }
    });

    it('is refused without a platform admin session', async () => {
      const tenant = await payingTenant('basic', 0);
      const res = await http()
        .post(`/admin/tenants/${tenant.id}/top-ups`)
        .set('Host', ROOT)
        .type('form')
        .send({ amount: '5' });
      expect(res.status).to.be.oneOf([401, 403]);
      expect((await fresh(tenant)).creditCents).to.equal('0');
    });
  });

  describe('adjustments', () => {
    it('takes credit away with its reason as a ledger entry of its own, audited, and says what comes next', async () => {
      const tenant = await payingTenant('basic', 300);
      const res = await post(agent, `/admin/tenants/${tenant.id}/adjustments`, {
        adjustAmount: '-4.50',
        adjustNote: 'Charge for October made twice',
      });
      expect(res.status, res.text.slice(0, 300)).to.equal(302);
      const [entry, ...more] = await BillingEntry.findAll({ where: { tenantId: tenant.id } });
      expect(more).to.have.length(0);
      expect(entry?.kind).to.equal('adjustment');
      expect(entry?.amountCents).to.equal('-450');
      expect(entry?.balanceAfterCents).to.equal('-150');
      expect(entry?.note).to.equal('Charge for October made twice');
      expect(entry?.createdBy).to.equal(String(admin.id));
      const now = await fresh(tenant);
      expect(now.creditCents).to.equal('-150');
      expect(now.status).to.equal('active');
      const audit = await lastAudit(tenant, 'billing.adjustment');
      expect(audit?.changes.adjustment).to.deep.equal({
        from: null,
        to: '-$4.50 (Charge for October made twice)',
      });
      const page = await agent.get(`/admin/tenants/${tenant.id}`).set('Host', ROOT);
      expect(page.text).to.include('adjusted by -$4.50');
      expect(page.text).to.include('the next daily charge makes it past due');
      expect(page.text).to.match(/ledger-adjustment[\s\S]*?Adjustment[\s\S]*?Charge for October made twice/);
    });

    it('gives credit back and reactivates a tenant billing held once its balance is not negative', async () => {
      const tenant = await payingTenant('basic', -200, { status: 'past_due' });
      await tenant.update({ pastDueSince: '2026-11-01' });
      await post(agent, `/admin/tenants/${tenant.id}/adjustments`, {
        adjustAmount: '3',
        adjustNote: 'Goodwill for the outage',
      });
      const now = await fresh(tenant);
      expect(now.creditCents).to.equal('100');
      expect(now.status).to.equal('active');
      expect(now.pastDueSince).to.equal(null);
    });

    for (const [body, field, message] of [
      [{ adjustAmount: '0', adjustNote: 'x' }, 'adjustAmount', 'must be an amount other than zero'],
      [{ adjustAmount: 'ten', adjustNote: 'x' }, 'adjustAmount', 'must be an amount other than zero'],
      [
        { adjustAmount: '-2000000', adjustNote: 'x' },
        'adjustAmount',
        'must be at most 1,000,000.00 either way',
      ],
      [{ adjustAmount: '5', adjustNote: '   ' }, 'adjustNote', 'say why'],
    ] as const) {
      it(`answers 422 for ${JSON.stringify(body)}, keeps the form open with its input and changes nothing`, async () => {
        const tenant = await payingTenant('basic', 1000);
        const res = await post(agent, `/admin/tenants/${tenant.id}/adjustments`, { ...body });
        expect(res.status).to.equal(422);
        expect(res.text).to.include(message);
        expect(res.text).to.match(/<details[^>]*id="adjustment" open/);
        expect(res.text).to.match(
          new RegExp(`id="f-${field}"[^>]*is-invalid|is-invalid[^>]*id="f-${field}"`),
        );
        expect(res.text).to.include(`value="${body.adjustAmount}"`);
        expect(await BillingEntry.count({ where: { tenantId: tenant.id } })).to.equal(0);
        expect((await fresh(tenant)).creditCents).to.equal('1000');
      });
    }

    it('is refused without a platform admin session', async () => {
      const tenant = await payingTenant('basic', 1000);
      const res = await http()
        .post(`/admin/tenants/${tenant.id}/adjustments`)
        .set('Host', ROOT)
        .type('form')
        .send({ adjustAmount: '5', adjustNote: 'x' });
      expect(res.status).to.be.oneOf([302, 403]);
      expect(await BillingEntry.count({ where: { tenantId: tenant.id } })).to.equal(0);
    });
  });

  describe('plan changes', () => {
    it('moves the tenant to another plan, audited in its log, and the next charge uses the new price', async () => {
      const tenant = await payingTenant('basic', 10_000);
      const res = await post(agent, `/admin/tenants/${tenant.id}/plan`, { plan: 'premium' });
      expect(res.status).to.equal(302);
      expect((await fresh(tenant)).plan).to.equal('premium');
      const audit = await lastAudit(tenant, 'billing.plan_changed');
      expect(audit?.changes.plan).to.deep.equal({ from: 'basic', to: 'premium' });
      expect(audit?.actorName).to.equal(`platform admin ${admin.email}`);
      const page = await agent.get(`/admin/tenants/${tenant.id}`).set('Host', ROOT);
      expect(page.text).to.include('is now on the Premium plan');
      expect(page.text).to.match(/id="meter-projects"[\s\S]*?meter-limit">50</);
      const day = freshDay();
      await chargeFor(day);
      const [charge] = await chargesOf(tenant, day);
      expect(Number(charge.amountCents)).to.be.oneOf([-96, -97]);
    });

    it('answers 422 for an unknown plan and changes nothing', async () => {
      const tenant = await payingTenant('basic', 0);
      const res = await post(agent, `/admin/tenants/${tenant.id}/plan`, { plan: 'platinum' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('choose a plan from the list');
      expect((await fresh(tenant)).plan).to.equal('basic');
    });

    it('answers 404 for an unknown tenant', async () => {
      const res = await post(agent, '/admin/tenants/987654321/plan', { plan: 'premium' });
      expect(res.status).to.equal(404);
    });
  });
});
