import { QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';

/**
 * Finance figures of the current tenant, summed in SQL (SUM(amount_cents)::bigint) and returned as
 * cent strings, so nothing goes through floating point. Used by the statistics page, the dashboard
 * and the benchmarks. Dates are YYYY-MM-DD and both ends are included.
 */

export interface FinancePeriod {
  from: string;
  to: string;
}

export interface PeriodTotals {
  incomeCents: string;
  expenseCents: string;
  netCents: string;
  contributionCount: number;
  expenseCount: number;
}

export interface MonthTotals {
  /** YYYY-MM */
  month: string;
  incomeCents: string;
  expenseCents: string;
  netCents: string;
}

export interface FundTotals {
  fundId: string;
  name: string;
  active: boolean;
  incomeCents: string;
  expenseCents: string;
  netCents: string;
}

export interface YearOverYearMonth {
  /** 1..12 */
  month: number;
  incomeCents: string;
  lastYearIncomeCents: string;
  expenseCents: string;
  lastYearExpenseCents: string;
}

export interface FinanceStats {
  period: FinancePeriod;
  totals: PeriodTotals;
  months: MonthTotals[];
  funds: FundTotals[];
  /** The year of the period's end, month by month, next to the year before. */
  comparedYear: number;
  yearOverYear: YearOverYearMonth[];
}

const net = (income: string, expense: string) => (BigInt(income) - BigInt(expense)).toString();

/**
 * The ledger of a window summed once per kind, month, fund and whether the day is inside the period:
 * a couple of hundred rows for two years, from one scan of each table, from which every figure of
 * the page is added up exactly (BigInt) in the app.
 */
interface LedgerSum {
  kind: 'income' | 'expense';
  /** YYYY-MM */
  month: string;
  fundId: string | null;
  inPeriod: boolean;
  cents: bigint;
  count: number;
}

async function ledgerSums(window: FinancePeriod, period: FinancePeriod): Promise<LedgerSum[]> {
  const rows = await db().query<{
    kind: 'income' | 'expense';
    month: string;
    fund_id: string | null;
    in_period: boolean;
    cents: string;
    n: string;
  }>(
    `SELECT kind, to_char(m, 'YYYY-MM') AS month, fund_id, in_period, cents, n FROM (
       SELECT 'income' AS kind, date_trunc('month', received_on) AS m, fund_id,
              received_on BETWEEN $1::date AND $2::date AS in_period,
              SUM(amount_cents)::bigint AS cents, COUNT(*) AS n
         FROM contributions WHERE received_on BETWEEN $3::date AND $4::date GROUP BY 2, 3, 4
       UNION ALL
       SELECT 'expense', date_trunc('month', spent_on), fund_id,
              spent_on BETWEEN $1::date AND $2::date,
              SUM(amount_cents)::bigint, COUNT(*)
         FROM expenses WHERE spent_on BETWEEN $3::date AND $4::date GROUP BY 2, 3, 4
    ) sums`,
    { bind: [period.from, period.to, window.from, window.to], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    kind: r.kind,
    month: r.month,
    fundId: r.fund_id === null ? null : String(r.fund_id),
    inPeriod: r.in_period,
    cents: BigInt(r.cents),
    count: Number(r.n),
  }));
}

/** Sums of income and expense cents (and entry counts) of `rows`, grouped by `key`. */
function sumBy<K>(rows: LedgerSum[], key: (r: LedgerSum) => K) {
  const sums = new Map<K, { income: bigint; expense: bigint; incomeCount: number; expenseCount: number }>();
  for (const r of rows) {
    const k = key(r);
    const s = sums.get(k) ?? { income: 0n, expense: 0n, incomeCount: 0, expenseCount: 0 };
    if (r.kind === 'income') {
      s.income += r.cents;
      s.incomeCount += r.count;
    } else {
      s.expense += r.cents;
      s.expenseCount += r.count;
    }
    sums.set(k, s);
  }
  return sums;
}

function totalsOf(rows: LedgerSum[]): PeriodTotals {
  const s = sumBy(
    rows.filter((r) => r.inPeriod),
    () => 'all',
  ).get('all');
  const income = String(s?.income ?? 0n);
  const expense = String(s?.expense ?? 0n);
  return {
    incomeCents: income,
    expenseCents: expense,
    netCents: net(income, expense),
    contributionCount: s?.incomeCount ?? 0,
    expenseCount: s?.expenseCount ?? 0,
  };
}

/** YYYY-MM of every month from `from`'s to `to`'s, in order. */
function monthsOf(p: FinancePeriod): string[] {
  const months: string[] = [];
  let [y, m] = p.from.slice(0, 7).split('-').map(Number) as [number, number];
  const last = p.to.slice(0, 7);
  for (;;) {
    const month = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
    if (month > last) break;
    months.push(month);
    [y, m] = m === 12 ? [y + 1, 1] : [y, m + 1];
  }
  return months;
}

function monthsFrom(rows: LedgerSum[], p: FinancePeriod): MonthTotals[] {
  const sums = sumBy(
    rows.filter((r) => r.inPeriod),
    (r) => r.month,
  );
  return monthsOf(p).map((month) => {
    const income = String(sums.get(month)?.income ?? 0n);
    const expense = String(sums.get(month)?.expense ?? 0n);
    return { month, incomeCents: income, expenseCents: expense, netCents: net(income, expense) };
  });
}

function fundsFrom(rows: LedgerSum[], funds: { id: string; name: string; active: boolean }[]): FundTotals[] {
  const inPeriod = rows.filter((r) => r.inPeriod);
  const sums = sumBy(inPeriod, (r) => r.fundId);
  return funds
    .filter((f) => f.active || sums.has(String(f.id)))
    .map((f) => {
      const income = String(sums.get(String(f.id))?.income ?? 0n);
      const expense = String(sums.get(String(f.id))?.expense ?? 0n);
      return {
        fundId: String(f.id),
        name: f.name,
        active: f.active,
        incomeCents: income,
        expenseCents: expense,
        netCents: net(income, expense),
      };
    });
}

function yearOverYearFrom(rows: LedgerSum[], year: number): YearOverYearMonth[] {
  const sums = sumBy(rows, (r) => r.month);
  const cents = (y: number, m: number, kind: 'income' | 'expense') =>
    String(sums.get(`${y}-${String(m).padStart(2, '0')}`)?.[kind] ?? 0n);
  return Array.from({ length: 12 }, (_, i) => ({
    month: i + 1,
    incomeCents: cents(year, i + 1, 'income'),
    lastYearIncomeCents: cents(year - 1, i + 1, 'income'),
    expenseCents: cents(year, i + 1, 'expense'),
    lastYearExpenseCents: cents(year - 1, i + 1, 'expense'),
  }));
}

/** Funds by name (case-insensitive), each with whether it is still in use. */
function fundList(): Promise<{ id: string; name: string; active: boolean }[]> {
  return db().query<{ id: string; name: string; active: boolean }>(
    'SELECT id, name, active FROM funds ORDER BY lower(name), id',
    { type: QueryTypes.SELECT },
  );
}

/** The two calendar years a year-over-year comparison of `year` reads. */
function comparisonWindow(year: number): FinancePeriod {
  return { from: `${year - 1}-01-01`, to: `${year}-12-31` };
}

/** Income, expenses and net of the period, with the number of entries of each. */
export async function periodTotals(p: FinancePeriod): Promise<PeriodTotals> {
  return totalsOf(await ledgerSums(p, p));
}

/** Every month the period touches, in order, with zero for months without entries. */
export async function monthlyTotals(p: FinancePeriod): Promise<MonthTotals[]> {
  return monthsFrom(await ledgerSums(p, p), p);
}

/** Each fund that is active or has entries in the period, by name. */
export async function fundTotals(p: FinancePeriod): Promise<FundTotals[]> {
  const [rows, funds] = await Promise.all([ledgerSums(p, p), fundList()]);
  return fundsFrom(rows, funds);
}

/** Income and expenses of `year` and of the year before, month by month (12 rows). */
export async function yearOverYear(year: number): Promise<YearOverYearMonth[]> {
  const window = comparisonWindow(year);
  return yearOverYearFrom(await ledgerSums(window, window), year);
}

/** Everything the statistics page shows for a period: one pass over the ledger and the fund list. */
export async function financeStats(p: FinancePeriod): Promise<FinanceStats> {
  const comparedYear = Number(p.to.slice(0, 4));
  const compared = comparisonWindow(comparedYear);
  // YYYY-MM-DD strings sort as dates: the window spans both the period and the two compared years.
  const [from] = [p.from, compared.from].sort();
  const [, to] = [p.to, compared.to].sort();
  const window = { from: from ?? p.from, to: to ?? p.to };
  const [rows, funds] = await Promise.all([ledgerSums(window, p), fundList()]);
  return {
    period: p,
    totals: totalsOf(rows),
    months: monthsFrom(rows, p),
    funds: fundsFrom(rows, funds),
    comparedYear,
    yearOverYear: yearOverYearFrom(rows, comparedYear),
  };
}

const cents = (value: string) => Number(value);

/** The figures as the API shows them: every amount in integer cents. */
export function presentStats(s: FinanceStats) {
  const amounts = (r: { incomeCents: string; expenseCents: string; netCents: string }) => ({
    incomeCents: cents(r.incomeCents),
    expenseCents: cents(r.expenseCents),
    netCents: cents(r.netCents),
  });
  return {
    period: { from: s.period.from, to: s.period.to },
    totals: {
      ...amounts(s.totals),
      contributionCount: s.totals.contributionCount,
      expenseCount: s.totals.expenseCount,
    },
    months: s.months.map((m) => ({ month: m.month, ...amounts(m) })),
    funds: s.funds.map((f) => ({ fundId: f.fundId, name: f.name, active: f.active, ...amounts(f) })),
    comparedYear: s.comparedYear,
    yearOverYear: s.yearOverYear.map((m) => ({
      month: m.month,
      incomeCents: cents(m.incomeCents),
      lastYearIncomeCents: cents(m.lastYearIncomeCents),
      expenseCents: cents(m.expenseCents),
      lastYearExpenseCents: cents(m.lastYearExpenseCents),
    })),
  };
}
