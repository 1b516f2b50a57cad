import { expect } from 'chai';
import type supertest from 'supertest';
import type { Tenant } from '../../app/models/index.ts';
import { createUser, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';
import { createContribution, createExpense, createMember, fundNamed } from '../support/finance.ts';

/** The JSON of a data-* attribute, as the browser hands it to public/js/finance-charts.js. */
function dataAttr(html: string, chart: string, attr: string): unknown {
  const tag = html.match(new RegExp(`<canvas[^>]*data-chart="${chart}"[^>]*>`))?.[0] ?? '';
  const raw = tag.match(new RegExp(`data-${attr}="([^"]*)"`))?.[1] ?? 'null';
  const unescaped = raw
    .replace(/&#34;/g, '"')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return JSON.parse(unescaped);
}

describe('finance statistics page (/finance/stats)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let board: supertest.Agent;

  before(async () => {
    tenant = await createTenant({ kind: 'company' });
    host = hostOf(tenant);
    await createUser(tenant, { level: 3, email: 'analyst@stats.test' });
    board = await signedIn(tenant, 'analyst@stats.test');
    const sales = await fundNamed(tenant, 'Sales');
    const services = await fundNamed(tenant, 'Services');
    const person = await createMember(tenant, { firstName: 'Hidden', lastName: 'Customer' });
    await createContribution(tenant, {
      fundId: sales,
      amountCents: '100001',
      receivedOn: '2025-01-15',
      memberId: person.id,
    });
    await createContribution(tenant, { fundId: sales, amountCents: '250', receivedOn: '2025-03-01' });
    await createContribution(tenant, { fundId: services, amountCents: '99999', receivedOn: '2025-03-31' });
    await createContribution(tenant, { fundId: services, amountCents: '5000', receivedOn: '2024-03-10' });
    await createExpense(tenant, {
      fundId: sales,
      amountCents: '40000',
      spentOn: '2025-03-20',
      payee: '<b>Vendor</b>',
    });
  });

  it('shows a level-3 user income, expenses and net for the chosen year, as figures and tables', async () => {
    const res = await board.get('/finance/stats?year=2025').set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/data-stat="income">2,002\.50</);
    expect(res.text).to.match(/data-stat="expenses">400\.00</);
    expect(res.text).to.match(/data-stat="net">1,602\.50</);
    expect(res.text).to.include('<option value="2025" selected>');
    // by-month table: March 2025 has 250 + 99,999 in, 40,000 out
    expect(res.text).to.match(
      /Mar 2025<\/td><td class="text-end text-nowrap">1,002\.49<\/td><td class="text-end text-nowrap">400\.00<\/td>/,
    );
    // by-fund table
    expect(res.text).to.match(
      /Sales<\/td><td class="text-end text-nowrap">1,002\.51<\/td><td class="text-end text-nowrap">400\.00<\/td><td class="text-end text-nowrap">602\.51<\/td>/,
    );
    // nothing that identifies a person or an entry
    expect(res.text).not.to.include('Hidden').and.not.include('Vendor');
  });

  it('feeds the charts from data-* attributes with exact cents, and has no inline script or style', async () => {
    const res = await board.get('/finance/stats?year=2025').set('Host', host);
    expect(res.text).to.include('<script src="/vendor/chart.js/chart.umd.js"></script>');
    expect(res.text).to.include('<script src="/assets/js/finance-charts.js"></script>');
    expect(res.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.to.match(/\sstyle=|\son[a-z]+=/i);
    const labels = dataAttr(res.text, 'bar', 'labels') as string[];
    expect(labels).to.have.length(12);
    expect(labels[0]).to.equal('Jan 2025');
    const series = dataAttr(res.text, 'bar', 'series') as { label: string; cents: string[] }[];
    expect(series[0].label).to.equal('Income');
    expect(series[0].cents.slice(0, 3)).to.deep.equal(['100001', '0', '100249']);
    expect(series[1].cents[2]).to.equal('40000');
    const yoy = dataAttr(res.text, 'line', 'series') as { label: string; cents: string[] }[];
    expect(yoy.map((s) => s.label)).to.deep.equal([
      'Income 2025',
      'Income 2024',
      'Expenses 2025',
      'Expenses 2024',
    ]);
    expect(yoy[1].cents[2]).to.equal('5000');
    const byFund = dataAttr(res.text, 'hbar', 'labels') as string[];
    expect(byFund).to.deep.equal(['General', 'Sales', 'Services']);
  });

  it('serves the chart script and Chart.js itself', async () => {
    const script = await http().get('/assets/js/finance-charts.js');
    expect(script.status).to.equal(200);
    expect(script.text).to.include('data-chart');
    const lib = await http().get('/vendor/chart.js/chart.umd.js');
    expect(lib.status).to.equal(200);
  });

  it('takes a from/to period, and falls back to the year when the period makes no sense', async () => {
    const res = await board.get('/finance/stats?from=2025-03-01&to=2025-03-31').set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.text).to.include('2025-03-01 to 2025-03-31');
    expect(res.text).to.match(/data-stat="income">1,002\.49</);
    expect(dataAttr(res.text, 'bar', 'labels')).to.deep.equal(['Mar 2025']);
    for (const query of [
      'from=2025-03-31&to=2025-03-01',
      'from=nope&to=2025-01-01&year=2024',
      'year=abc&from=2025-02-30',
    ]) {
      const bad = await board.get(`/finance/stats?${query}`).set('Host', host);
      expect(bad.status, query).to.equal(200);
    }
    const fallback = await board.get('/finance/stats?from=nope&to=2025-01-01&year=2024').set('Host', host);
    expect(fallback.text).to.match(/data-stat="income">50\.00</);
  });

  it('shows a level-3 user no link to the entries or the statements', async () => {
    const res = await board.get('/finance/stats').set('Host', host);
    expect(res.text).not.to.include('href="/finance/contributions"');
    expect(res.text).not.to.include('href="/finance/statements"');
  });
});
