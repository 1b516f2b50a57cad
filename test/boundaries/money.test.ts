import { expect } from 'chai';
import type supertest from 'supertest';
import { BillingEntry, Contribution, Expense, type Tenant } from '../../app/models/index.ts';
import {
  createUser,
  csrfToken,
  PLATFORM_HOST,
  postForm,
  signedIn,
  signedInPlatformAdmin,
} from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';
import { fundNamed, inTenant } from '../support/finance.ts';

/**
 * Amounts whose float value times 100 is not a whole number (0.29 * 100 = 28.999999999999996):
 * parsing through a float stores them a cent off.
 */
const AMOUNTS: [string, string][] = [
  ['0.29', '29'],
  ['19.99', '1999'],
  ['4.35', '435'],
  ['1.15', '115'],
];

describe('boundaries: amounts are stored to the cent', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let treasurer: supertest.Agent;
  let fund: string;
  let ops: supertest.Agent;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    await createUser(tenant, { level: 1, email: 'cents@money.test' });
    treasurer = await signedIn(tenant, 'cents@money.test');
    fund = await fundNamed(tenant, 'Tithe');
    ({ agent: ops } = await signedInPlatformAdmin());
  });

  for (const [typed, cents] of AMOUNTS) {
    it(`stores a contribution of ${typed} as ${cents} cents`, async () => {
      const res = await postForm(
        treasurer,
        host,
        '/finance/contributions',
        { fundId: fund, amount: typed, receivedOn: '2025-02-09', method: 'cash', reference: '', note: '' },
        '/finance/contributions/new',
      );
      expect(res.status, res.text.slice(0, 300)).to.equal(302);
      const saved = await inTenant(tenant, () => Contribution.findOne({ order: [['id', 'DESC']] }));
      expect(saved?.amountCents).to.equal(cents);
    });

    it(`stores an expense of ${typed} as ${cents} cents`, async () => {
      // The expense form is multipart, with its token in the URL, as the browser sends it.
      const token = await csrfToken(treasurer, host, '/finance/expenses/new');
      let req = treasurer.post(`/finance/expenses?_csrf=${encodeURIComponent(token)}`).set('Host', host);
      const fields = {
        payee: 'Shop',
        category: 'Supplies',
        fundId: fund,
        amount: typed,
        spentOn: '2025-05-06',
        note: '',
      };
      for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
      const res = await req;
      expect(res.status, res.text.slice(0, 300)).to.equal(302);
      const saved = await inTenant(tenant, () => Expense.findOne({ order: [['id', 'DESC']] }));
      expect(saved?.amountCents).to.equal(cents);
    });

    it(`stores a top-up of ${typed} as ${cents} cents`, async () => {
      const res = await postForm(
        ops,
        PLATFORM_HOST,
        `/admin/tenants/${tenant.id}/top-ups`,
        { amount: typed, note: '' },
        '/admin',
      );
      expect(res.status, res.text.slice(0, 300)).to.equal(302);
      const entry = await BillingEntry.findOne({ where: { tenantId: tenant.id }, order: [['id', 'DESC']] });
      expect(entry?.amountCents).to.equal(cents);
    });
  }
});
