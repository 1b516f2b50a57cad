/**
 * A big church directory and ledger for the benchmarks, written with INSERT … SELECT over
 * generate_series (one statement per table), so thousands of rows take well under a second.
 * Runs inside the tenant (withTenant): the tables are found through the tenant's search_path.
 */
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { type TenantRef, withTenant } from '../../app/tenancy/context.ts';

export interface ChurchSize {
  members: number;
  households: number;
  contributions: number;
  expenses: number;
}

const FIRST = [
  'Ana',
  'Ben',
  'Chloe',
  'David',
  'Esther',
  'Femi',
  'Grace',
  'Hiro',
  'Isaac',
  'Joy',
  'Kwame',
  'Lena',
];
const LAST = [
  'Adams',
  'Brown',
  'Chen',
  'Diaz',
  'Eze',
  'Fischer',
  'Garcia',
  'Hughes',
  'Ibrahim',
  'Jones',
  'Kim',
];

/** Fills the tenant's members, households, contributions and expenses; ids and choices are deterministic. */
export async function seedChurch(tenant: TenantRef, size: ChurchSize, today: string): Promise<void> {
  await withTenant(tenant, () =>
    db().transaction(async () => {
      const q = (sql: string, bind: unknown[]) => db().query(sql, { bind });
      await q(
        `INSERT INTO households (name, address)
         SELECT 'Household ' || i, i || ' Bench Street' FROM generate_series(1, $1) AS i`,
        [size.households],
      );
      await q(
        `INSERT INTO members (first_name, last_name, email, phone, status, joined_on, household_id)
         SELECT ($2::text[])[1 + (i * 7) % array_length($2::text[], 1)] || ' ' || i,
                ($3::text[])[1 + (i * 13) % array_length($3::text[], 1)],
                CASE WHEN i % 5 = 0 THEN NULL ELSE 'person' || i || '@bench.example' END,
                '555-' || lpad((i % 10000)::text, 4, '0'),
                (ARRAY['member', 'member', 'regular', 'visitor', 'inactive'])[1 + i % 5],
                $4::date - (i % 3650),
                (SELECT min(id) FROM households) + (i % $5)
           FROM generate_series(1, $1) AS i`,
        [size.members, FIRST, LAST, today, size.households],
      );
      await q(
        `INSERT INTO contributions (member_id, fund_id, amount_cents, received_on, method)
         SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE m.first + (i * 31) % m.n END,
                f.ids[1 + i % array_length(f.ids, 1)],
                500 + (i * 7919) % 49500,
                $2::date - (i % 365),
                (ARRAY['cash', 'check', 'card', 'online', 'transfer'])[1 + i % 5]
           FROM generate_series(1, $1) AS i,
                (SELECT min(id) AS first, count(*) AS n FROM members) AS m,
                (SELECT array_agg(id ORDER BY id) AS ids FROM funds) AS f`,
        [size.contributions, today],
      );
      await q(
        `INSERT INTO expenses (category, fund_id, amount_cents, spent_on, payee)
         SELECT (ARRAY['Utilities', 'Supplies', 'Maintenance', 'Missions'])[1 + i % 4],
                f.ids[1 + i % array_length(f.ids, 1)],
                1000 + (i * 104729) % 250000,
                $2::date - (i % 365),
                'Payee ' || (i % 40)
           FROM generate_series(1, $1) AS i, (SELECT array_agg(id ORDER BY id) AS ids FROM funds) AS f`,
        [size.expenses, today],
      );
    }),
  );
  // A live database has planner statistics by the time such a directory is browsed (autovacuum
  // analyses tables after big inserts); without them the first minute of the bench plans blind.
  await withTenant(tenant, () => db().query('ANALYZE households, members, contributions, expenses'));
}

/** The tenant's income of a calendar year, in cents, as the statistics page totals it. */
export function incomeOfYear(tenant: TenantRef, year: number): Promise<string> {
  return withTenant(tenant, async () => {
    const [row] = await db().query<{ cents: string }>(
      `SELECT COALESCE(SUM(amount_cents), 0)::bigint AS cents FROM contributions
        WHERE received_on BETWEEN $1::date AND $2::date`,
      { bind: [`${year}-01-01`, `${year}-12-31`], type: QueryTypes.SELECT },
    );
    return String(row?.cents ?? '0');
  });
}
