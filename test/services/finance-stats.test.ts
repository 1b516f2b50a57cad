import { expect } from 'chai';
import type { CreationAttributes } from 'sequelize';
import type { Tenant } from '../../app/models/index.ts';
import { Contribution, Fund } from '../../app/models/index.ts';
import {
  financeStats,
  fundTotals,
  monthlyTotals,
  periodTotals,
  yearOverYear,
} from '../../app/services/finance-stats.ts';
import { createTenant } from '../support/factories.ts';
import { createContribution, createExpense, fundNamed, inTenant } from '../support/finance.ts';

/** Odd cents that floating point cannot add exactly: 0.01, 0.10, 0.29 ... */
const centsOfDay = (day: number) => 1n + ((BigInt(day) * 2_654_435_761n) % 99_999_999n);

describe('finance statistics (SQL sums in cents)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let tithe: string;
  let building: string;
  let yearSum: bigint;
  const monthSums = new Map<string, bigint>();

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    tithe = await fundNamed(tenant, 'Tithe');
    building = await fundNamed(tenant, 'Building');
    yearSum = 0n;
    const rows: CreationAttributes<Contribution>[] = [];
    for (let day = 0; day < 365; day += 1) {
      const date = new Date(Date.UTC(2025, 0, 1 + day)).toISOString().slice(0, 10);
      const cents = centsOfDay(day);
      yearSum += cents;
      monthSums.set(date.slice(0, 7), (monthSums.get(date.slice(0, 7)) ?? 0n) + cents);
      rows.push({
        memberId: null,
        fundId: tithe,
        amountCents: cents.toString(),
        receivedOn: date,
        method: 'cash' as const,
        reference: null,
        note: null,
        createdBy: null,
      });
    }
    await inTenant(tenant, () => Contribution.bulkCreate(rows));
    // The edges of the year, a reversal, the year before, and expenses.
    await createContribution(tenant, { fundId: building, amountCents: '-1', receivedOn: '2025-12-31' });
    await createContribution(tenant, { fundId: building, amountCents: '777', receivedOn: '2024-12-31' });
    await createContribution(tenant, { fundId: building, amountCents: '888', receivedOn: '2026-01-01' });
    await createExpense(tenant, { fundId: building, amountCents: '123456', spentOn: '2025-03-15' });
    await createExpense(tenant, { fundId: tithe, amountCents: '1', spentOn: '2025-03-31' });
    await createExpense(tenant, { fundId: tithe, amountCents: '500', spentOn: '2024-03-01' });
  });

  const year2025 = { from: '2025-01-01', to: '2025-12-31' };

  it('adds 365 daily amounts with odd cents exactly like a BigInt sum', async () => {
    const totals = await inTenant(tenant, () => periodTotals(year2025));
    expect(totals.incomeCents).to.equal((yearSum - 1n).toString());
    expect(totals.expenseCents).to.equal('123457');
    expect(totals.netCents).to.equal((yearSum - 1n - 123457n).toString());
    expect(totals.contributionCount).to.equal(366);
    expect(totals.expenseCount).to.equal(2);
  });

  it('gives every month of the period, each month exact, and months without entries as zero', async () => {
    const months = await inTenant(tenant, () => monthlyTotals(year2025));
    expect(months.map((m) => m.month)).to.deep.equal(
      Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}`),
    );
    for (const m of months) {
      const expected = (monthSums.get(m.month) ?? 0n) - (m.month === '2025-12' ? 1n : 0n);
      expect(m.incomeCents, m.month).to.equal(expected.toString());
    }
    expect(months[2].expenseCents).to.equal('123457');
    expect(months[3].expenseCents).to.equal('0');
    const sum = months.reduce((a, m) => a + BigInt(m.incomeCents), 0n);
    expect(sum).to.equal(yearSum - 1n);
    const partial = await inTenant(tenant, () => monthlyTotals({ from: '2025-02-15', to: '2025-04-10' }));
    expect(partial.map((m) => m.month)).to.deep.equal(['2025-02', '2025-03', '2025-04']);
    let feb = 0n;
    for (let d = 45; d < 59; d += 1) feb += centsOfDay(d);
    expect(partial[0].incomeCents).to.equal(feb.toString());
  });

  it('totals by fund, with inactive funds shown only when they have entries', async () => {
    await inTenant(tenant, () => Fund.create({ name: 'Dormant', description: null, active: false }));
    const funds = await inTenant(tenant, () => fundTotals(year2025));
    expect(funds.map((f) => f.name)).to.deep.equal(['Building', 'Offering', 'Tithe']);
    const byName = Object.fromEntries(funds.map((f) => [f.name, f]));
    expect(byName.Tithe.incomeCents).to.equal(yearSum.toString());
    expect(byName.Tithe.expenseCents).to.equal('1');
    expect(byName.Building.incomeCents).to.equal('-1');
    expect(byName.Building.netCents).to.equal('-123457');
    expect(byName.Offering.incomeCents).to.equal('0');
  });

  it('compares a year with the one before, month by month', async () => {
    const rows = await inTenant(tenant, () => yearOverYear(2025));
    expect(rows).to.have.length(12);
    expect(rows[11].lastYearIncomeCents).to.equal('777');
    expect(rows[11].incomeCents).to.equal(((monthSums.get('2025-12') ?? 0n) - 1n).toString());
    expect(rows[2].lastYearExpenseCents).to.equal('500');
    expect(rows[2].expenseCents).to.equal('123457');
    expect(rows[0].lastYearIncomeCents).to.equal('0');
    const next = await inTenant(tenant, () => yearOverYear(2026));
    expect(next[0].incomeCents).to.equal('888');
    expect(next[11].lastYearIncomeCents).to.equal(rows[11].incomeCents);
  });

  it('puts it all together for a period, comparing the year the period ends in', async () => {
    const stats = await inTenant(tenant, () => financeStats({ from: '2024-12-01', to: '2025-01-31' }));
    expect(stats.months.map((m) => m.month)).to.deep.equal(['2024-12', '2025-01']);
    expect(stats.comparedYear).to.equal(2025);
    expect(stats.totals.incomeCents).to.equal((777n + (monthSums.get('2025-01') ?? 0n)).toString());
  });

  it("reads only the current tenant's ledger", async () => {
    const other = await createTenant({ kind: 'church' });
    const totals = await inTenant(other, () => periodTotals(year2025));
    expect(totals).to.deep.equal({
      incomeCents: '0',
      expenseCents: '0',
      netCents: '0',
      contributionCount: 0,
      expenseCount: 0,
    });
  });
});
