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

function select<T extends object>(sql: string, bind: unknown[]): Promise<T[]> {
  return db().query<T>(sql, { bind, type: QueryTypes.SELECT });
}

/** Income, expenses and net of the period, with the number of entries of each. */
export async function periodTotals(p: FinancePeriod): Promise<PeriodTotals> {
  const [row] = await select<{ income: string; expense: string; contributions: string; expenses: string }>(
    `SELECT (SELECT COALESCE(SUM(amount_cents), 0)::bigint FROM contributions
              WHERE received_on BETWEEN $1::date AND $2::date) AS income,
            (SELECT COUNT(*) FROM contributions WHERE received_on BETWEEN $1::date AND $2::date) AS contributions,
            (SELECT COALESCE(SUM(amount_cents), 0)::bigint FROM expenses
              WHERE spent_on BETWEEN $1::date AND $2::date) AS expense,
            (SELECT COUNT(*) FROM expenses WHERE spent_on BETWEEN $1::date AND $2::date) AS expenses`,
    [p.from, p.to],
  );
  const income = String(row?.income ?? '0');
  const expense = String(row?.expense ?? '0');
  return {
    incomeCents: income,
    expenseCents: expense,
    netCents: net(income, expense),
    contributionCount: Number(row?.contributions ?? 0),
    expenseCount: Number(row?.expenses ?? 0),
  };
}

/** Every month the period touches, in order, with zero for months without entries. */
export async function monthlyTotals(p: FinancePeriod): Promise<MonthTotals[]> {
  const rows = await select<{ month: string; income: string; expense: string }>(
    `WITH months AS (
       SELECT generate_series(date_trunc('month', $1::date), date_trunc('month', $2::date), interval '1 month')::date AS m
     ), income AS (
       SELECT date_trunc('month', received_on)::date AS m, SUM(amount_cents) AS cents
         FROM contributions WHERE received_on BETWEEN $1::date AND $2::date GROUP BY 1
     ), spent AS (
       SELECT date_trunc('month', spent_on)::date AS m, SUM(amount_cents) AS cents
         FROM expenses WHERE spent_on BETWEEN $1::date AND $2::date GROUP BY 1
     )
     SELECT to_char(months.m, 'YYYY-MM') AS month,
            COALESCE(income.cents, 0)::bigint AS income,
            COALESCE(spent.cents, 0)::bigint AS expense
       FROM months LEFT JOIN income USING (m) LEFT JOIN spent USING (m)
      ORDER BY months.m`,
    [p.from, p.to],
  );
  return rows.map((r) => ({
    month: r.month,
    incomeCents: String(r.income),
    expenseCents: String(r.expense),
    netCents: net(String(r.income), String(r.expense)),
  }));
}

/** Each fund that is active or has entries in the period, by name. */
export async function fundTotals(p: FinancePeriod): Promise<FundTotals[]> {
  const rows = await select<{ id: string; name: string; active: boolean; income: string; expense: string }>(
    `SELECT * FROM (
       SELECT f.id, f.name, f.active,
              (SELECT COALESCE(SUM(c.amount_cents), 0)::bigint FROM contributions c
                WHERE c.fund_id = f.id AND c.received_on BETWEEN $1::date AND $2::date) AS income,
              (SELECT COALESCE(SUM(e.amount_cents), 0)::bigint FROM expenses e
                WHERE e.fund_id = f.id AND e.spent_on BETWEEN $1::date AND $2::date) AS expense,
              EXISTS (SELECT 1 FROM contributions c
                       WHERE c.fund_id = f.id AND c.received_on BETWEEN $1::date AND $2::date)
              OR EXISTS (SELECT 1 FROM expenses e
                          WHERE e.fund_id = f.id AND e.spent_on BETWEEN $1::date AND $2::date) AS used
         FROM funds f
     ) t
     WHERE active OR used
     ORDER BY lower(name), id`,
    [p.from, p.to],
  );
  return rows.map((r) => ({
    fundId: String(r.id),
    name: r.name,
    active: r.active,
    incomeCents: String(r.income),
    expenseCents: String(r.expense),
    netCents: net(String(r.income), String(r.expense)),
  }));
}

/** Income and expenses of `year` and of the year before, month by month (12 rows). */
export async function yearOverYear(year: number): Promise<YearOverYearMonth[]> {
  const bind = [`${year - 1}-01-01`, `${year}-12-31`, year];
  const byMonth = (table: string, column: string) =>
    select<{ month: number; current: string; previous: string }>(
      `SELECT extract(month FROM ${column})::int AS month,
              COALESCE(SUM(amount_cents) FILTER (WHERE extract(year FROM ${column}) = $3), 0)::bigint AS current,
              COALESCE(SUM(amount_cents) FILTER (WHERE extract(year FROM ${column}) = $3 - 1), 0)::bigint AS previous
         FROM ${table}
        WHERE ${column} BETWEEN $1::date AND $2::date
        GROUP BY 1`,
      bind,
    );
  const [income, spent] = await Promise.all([
    byMonth('contributions', 'received_on'),
    byMonth('expenses', 'spent_on'),
  ]);
  const find = (rows: { month: number; current: string; previous: string }[], m: number) =>
    rows.find((r) => Number(r.month) === m);
  return Array.from({ length: 12 }, (_, i) => {
    const inc = find(income, i + 1);
    const exp = find(spent, i + 1);
    return {
      month: i + 1,
      incomeCents: String(inc?.current ?? '0'),
      lastYearIncomeCents: String(inc?.previous ?? '0'),
      expenseCents: String(exp?.current ?? '0'),
      lastYearExpenseCents: String(exp?.previous ?? '0'),
    };
  });
}

/** Everything the statistics page shows for a period. */
export async function financeStats(p: FinancePeriod): Promise<FinanceStats> {
  const comparedYear = Number(p.to.slice(0, 4));
  const [totals, months, funds, compared] = await Promise.all([
    periodTotals(p),
    monthlyTotals(p),
    fundTotals(p),
    yearOverYear(comparedYear),
  ]);
  return { period: p, totals, months, funds, comparedYear, yearOverYear: compared };
}
