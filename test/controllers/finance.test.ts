import { expect } from 'chai';
import type supertest from 'supertest';
import type { Tenant } from '../../app/models/index.ts';
import { Contribution, Expense, Fund } from '../../app/models/index.ts';
import { fileStore } from '../../app/services/storage.ts';
import { createUser, csrfToken, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';
import {
  auditEntries,
  createContribution,
  createExpense,
  createMember,
  fundNamed,
  inTenant,
} from '../support/finance.ts';

type Access = 'edit' | 'view' | 'stats';
const LEVELS: Record<Access, number[]> = { edit: [0, 1], view: [0, 1, 2], stats: [0, 1, 2, 3] };
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

describe('finance access by permission level', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let ids: { fund: string; contribution: string; expense: string; member: string };
  const agents = new Map<number, supertest.Agent>();

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    const fund = await fundNamed(tenant, 'Tithe');
    const member = await createMember(tenant, {
      firstName: 'Grace',
      lastName: 'Ledger',
      email: 'grace@ledger.test',
    });
    const contribution = await createContribution(tenant, {
      fundId: fund,
      memberId: member.id,
      amountCents: '4321',
      receivedOn: '2025-03-02',
    });
    const expense = await createExpense(tenant, { fundId: fund, amountCents: '999', spentOn: '2025-03-03' });
    await inTenant(tenant, async () => {
      const receiptKey = await fileStore.put('receipt', PDF);
      await expense.update({ receiptKey, receiptName: 'bill.pdf', receiptType: 'application/pdf' });
    });
    ids = { fund, contribution: contribution.id, expense: expense.id, member: member.id };
    for (const level of [0, 1, 2, 3, 4, 5]) {
      await createUser(tenant, { level, email: `fin${level}@access.test` });
      agents.set(level, await signedIn(tenant, `fin${level}@access.test`));
    }
  });

  function pages(): { path: string; access: Access; shows: string }[] {
    return [
      { path: '/finance/funds', access: 'view', shows: 'Tithe' },
      { path: '/finance/funds/new', access: 'edit', shows: 'New fund' },
      { path: `/finance/funds/${ids.fund}/edit`, access: 'edit', shows: 'Edit the fund Tithe' },
      { path: '/finance/contributions', access: 'view', shows: '43.21' },
      { path: '/finance/contributions/new', access: 'edit', shows: 'Date received' },
      { path: `/finance/contributions/${ids.contribution}`, access: 'view', shows: 'Grace Ledger' },
      { path: `/finance/contributions/${ids.contribution}/edit`, access: 'edit', shows: '43.21' },
      { path: '/finance/expenses', access: 'view', shows: '9.99' },
      { path: '/finance/expenses/new', access: 'edit', shows: 'Payee' },
      { path: `/finance/expenses/${ids.expense}`, access: 'view', shows: 'bill.pdf' },
      { path: `/finance/expenses/${ids.expense}/edit`, access: 'edit', shows: 'Hardware store' },
      { path: `/finance/expenses/${ids.expense}/receipt`, access: 'view', shows: '%PDF-1.4' },
      { path: '/finance/stats?year=2025', access: 'stats', shows: '43.21' },
      { path: '/finance/statements?year=2025', access: 'view', shows: 'Ledger, Grace' },
      { path: `/finance/statements/${ids.member}?year=2025`, access: 'view', shows: 'Giving statement 2025' },
    ];
  }

  for (const level of [0, 1, 2, 3, 4, 5]) {
    it(`gives a level-${level} user exactly the finance pages of their level and 403 on the others`, async () => {
      const agent = agents.get(level) as supertest.Agent;
      for (const page of pages()) {
        const res = await agent.get(page.path).set('Host', host).buffer(true);
        const body = res.text ?? String(res.body);
        if (LEVELS[page.access].includes(level)) {
          expect(res.status, `${page.path} at level ${level}`).to.equal(200);
          expect(body, `${page.path} at level ${level}`).to.include(page.shows);
        } else {
          expect(res.status, `${page.path} at level ${level}`).to.equal(403);
          expect(body).not.to.include(page.shows);
        }
      }
    });
  }

  it('shows level 3 the totals on the statistics page but no single entry or member', async () => {
    const res = await (agents.get(3) as supertest.Agent).get('/finance/stats?year=2025').set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.text).to.include('43.21').and.include('9.99').and.include('33.22');
    expect(res.text).not.to.include('Grace');
    expect(res.text).not.to.include('/finance/contributions/');
  });

  for (const level of [2, 3, 4, 5]) {
    it(`refuses every finance change to a level-${level} user with 403 and changes nothing`, async () => {
      const agent = agents.get(level) as supertest.Agent;
      const _csrf = await csrfToken(agent, host, '/');
      const before = await counts();
      const posts: [string, Record<string, string>][] = [
        ['/finance/funds', { name: 'Sneaky', active: 'on' }],
        [`/finance/funds/${ids.fund}`, { name: 'Renamed', active: 'on' }],
        [`/finance/funds/${ids.fund}/delete`, {}],
        [
          '/finance/contributions',
          { fundId: ids.fund, amount: '5', receivedOn: '2025-01-01', method: 'cash' },
        ],
        [
          `/finance/contributions/${ids.contribution}`,
          { fundId: ids.fund, amount: '1', receivedOn: '2025-01-01', method: 'cash' },
        ],
        [`/finance/contributions/${ids.contribution}/reversal`, {}],
        [
          '/finance/expenses',
          { fundId: ids.fund, amount: '5', spentOn: '2025-01-01', payee: 'X', category: 'Y' },
        ],
        [
          `/finance/expenses/${ids.expense}`,
          { fundId: ids.fund, amount: '1', spentOn: '2025-01-01', payee: 'X', category: 'Y' },
        ],
        [`/finance/expenses/${ids.expense}/reversal`, {}],
        [`/finance/statements/${ids.member}/email`, { year: '2025' }],
        ['/finance/statements/email-all', { year: '2025' }],
      ];
      for (const [path, body] of posts) {
        const res = await agent
          .post(path)
          .set('Host', host)
          .type('form')
          .send({ ...body, _csrf });
        expect(res.status, `POST ${path} at level ${level}`).to.equal(403);
      }
      expect(await counts()).to.deep.equal(before);
      expect((await auditEntries(tenant, 'statement.emailed')).length).to.equal(0);
    });
  }

  it('lets levels 0 and 1 record a contribution and a fund', async () => {
    for (const level of [0, 1]) {
      const agent = agents.get(level) as supertest.Agent;
      const _csrf = await csrfToken(agent, host, '/finance/contributions/new');
      const before = await counts();
      const res = await agent
        .post('/finance/contributions')
        .set('Host', host)
        .type('form')
        .send({ _csrf, fundId: ids.fund, amount: '10', receivedOn: '2025-05-05', method: 'cash' });
      expect(res.status, `level ${level}`).to.equal(302);
      const fund = await agent
        .post('/finance/funds')
        .set('Host', host)
        .type('form')
        .send({ _csrf, name: `Mission ${level}`, active: 'on' });
      expect(fund.status).to.equal(302);
      const after = await counts();
      expect(after.contributions).to.equal(before.contributions + 1);
      expect(after.funds).to.equal(before.funds + 1);
    }
  });

  it('sends an anonymous visitor of a finance page to sign in', async () => {
    for (const page of pages()) {
      const res = await http().get(page.path).set('Host', host);
      expect(res.status, page.path).to.equal(302);
      expect(res.headers.location).to.match(/^\/login\?next=/);
    }
  });

  it('answers 404 to malformed or unknown ids, never 500', async () => {
    const agent = agents.get(0) as supertest.Agent;
    const _csrf = await csrfToken(agent, host, '/');
    for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999', '987654321']) {
      for (const path of [
        `/finance/funds/${id}/edit`,
        `/finance/contributions/${id}`,
        `/finance/contributions/${id}/edit`,
        `/finance/expenses/${id}`,
        `/finance/expenses/${id}/edit`,
        `/finance/expenses/${id}/receipt`,
        `/finance/statements/${id}?year=2025`,
      ]) {
        expect((await agent.get(path).set('Host', host)).status, path).to.equal(404);
      }
      for (const path of [
        `/finance/funds/${id}`,
        `/finance/funds/${id}/delete`,
        `/finance/contributions/${id}`,
        `/finance/contributions/${id}/reversal`,
        `/finance/expenses/${id}`,
        `/finance/expenses/${id}/reversal`,
        `/finance/statements/${id}/email`,
      ]) {
        const res = await agent.post(path).set('Host', host).type('form').send({ _csrf, year: '2025' });
        expect(res.status, `POST ${path}`).to.equal(404);
      }
    }
  });

  async function counts() {
    return inTenant(tenant, async () => ({
      funds: await Fund.count(),
      contributions: await Contribution.count(),
      expenses: await Expense.count(),
      fundName: (await Fund.findByPk(ids.fund))?.name,
      amount: (await Contribution.findByPk(ids.contribution))?.amountCents,
      expenseAmount: (await Expense.findByPk(ids.expense))?.amountCents,
    }));
  }
});
