/**
 * The reference the benchmarks compare Steward with: a bare node:http server on a pg.Pool that runs
 * the same SQL as the members list and the finance statistics pages and writes the same rows as
 * plain HTML, with no framework, session, template or tenant switch. It picks the tenant by naming
 * the schema in the query text, which only this reference does; the app itself never qualifies
 * tenant tables (it relies on the search_path set when a connection is taken from the pool).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { formatCents } from '../../app/services/money.ts';
import { config } from '../../config/index.ts';
import type { ReadyMessage } from './load.ts';

if (!process.send) throw new Error('baseline-server.ts must be started with an IPC channel (fork)');
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set');

const SCHEMA_RE = /^t_[a-z][a-z0-9_]{1,40}$/;
const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: config.DB_POOL_MAX });

// Host → schema, loaded once (Steward keeps the same answer in its resolver cache).
const schemas = new Map<string, string>();
const { rows: domains } = await pool.query<{ domain: string; schema: string }>(
  `SELECT d.domain, t.schema_name AS schema FROM public.domains d JOIN public.tenants t ON t.id = d.tenant_id`,
);
for (const d of domains) if (SCHEMA_RE.test(d.schema)) schemas.set(d.domain, `"${d.schema}"`);

const html = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function members(s: string): Promise<string> {
  const [count, page, groups] = await Promise.all([
    pool.query<{ count: string }>(
      `SELECT count(DISTINCT m.id) AS count FROM ${s}.members m LEFT JOIN ${s}.households h ON m.household_id = h.id`,
    ),
    pool.query(
      `SELECT m.id, m.first_name, m.last_name, m.email, m.phone, m.address, m.birth_date, m.status, m.joined_on,
              m.notes, m.household_id, m.user_id, m.created_at, m.updated_at,
              h.id AS h_id, h.name AS h_name, h.address AS h_address, h.phone AS h_phone,
              h.created_at AS h_created_at, h.updated_at AS h_updated_at
         FROM ${s}.members m LEFT JOIN ${s}.households h ON m.household_id = h.id
        ORDER BY m.last_name ASC, m.first_name ASC, m.id ASC LIMIT 50 OFFSET 0`,
    ),
    pool.query(`SELECT id, name FROM ${s}.groups ORDER BY name ASC`),
  ]);
  const rows = page.rows
    .map(
      (m) =>
        `<tr><td><a href="/members/${m.id}">${html(m.first_name)} ${html(m.last_name)}</a></td>` +
        `<td>${html(m.email)}</td><td>${html(m.phone)}</td><td>${html(m.status)}</td><td>${html(m.h_name)}</td></tr>`,
    )
    .join('');
  const options = groups.rows.map((g) => `<option value="${g.id}">${html(g.name)}</option>`).join('');
  return `<h1>Members</h1><select>${options}</select><p>${count.rows[0]?.count} members</p><table>${rows}</table>`;
}

async function stats(s: string, year: number): Promise<string> {
  const from = `${year}-01-01`;
  const to = `${year}-12-31`;
  const byMonth = (table: string, column: string) =>
    pool.query(
      `SELECT extract(month FROM ${column})::int AS month,
              COALESCE(SUM(amount_cents) FILTER (WHERE extract(year FROM ${column}) = $3), 0)::bigint AS current,
              COALESCE(SUM(amount_cents) FILTER (WHERE extract(year FROM ${column}) = $3 - 1), 0)::bigint AS previous
         FROM ${s}.${table} WHERE ${column} BETWEEN $1::date AND $2::date GROUP BY 1`,
      [`${year - 1}-01-01`, to, year],
    );
  const [totals, months, funds, income, spent] = await Promise.all([
    pool.query(
      `SELECT (SELECT COALESCE(SUM(amount_cents), 0)::bigint FROM ${s}.contributions
                WHERE received_on BETWEEN $1::date AND $2::date) AS income,
              (SELECT COUNT(*) FROM ${s}.contributions WHERE received_on BETWEEN $1::date AND $2::date) AS contributions,
              (SELECT COALESCE(SUM(amount_cents), 0)::bigint FROM ${s}.expenses
                WHERE spent_on BETWEEN $1::date AND $2::date) AS expense,
              (SELECT COUNT(*) FROM ${s}.expenses WHERE spent_on BETWEEN $1::date AND $2::date) AS expenses`,
      [from, to],
    ),
    pool.query(
      `WITH months AS (
         SELECT generate_series(date_trunc('month', $1::date), date_trunc('month', $2::date), interval '1 month')::date AS m
       ), income AS (
         SELECT date_trunc('month', received_on)::date AS m, SUM(amount_cents) AS cents
           FROM ${s}.contributions WHERE received_on BETWEEN $1::date AND $2::date GROUP BY 1
       ), spent AS (
         SELECT date_trunc('month', spent_on)::date AS m, SUM(amount_cents) AS cents
           FROM ${s}.expenses WHERE spent_on BETWEEN $1::date AND $2::date GROUP BY 1
       )
       SELECT to_char(months.m, 'YYYY-MM') AS month, COALESCE(income.cents, 0)::bigint AS income,
              COALESCE(spent.cents, 0)::bigint AS expense
         FROM months LEFT JOIN income USING (m) LEFT JOIN spent USING (m) ORDER BY months.m`,
      [from, to],
    ),
    pool.query(
      `SELECT * FROM (
         SELECT f.id, f.name, f.active,
                (SELECT COALESCE(SUM(c.amount_cents), 0)::bigint FROM ${s}.contributions c
                  WHERE c.fund_id = f.id AND c.received_on BETWEEN $1::date AND $2::date) AS income,
                (SELECT COALESCE(SUM(e.amount_cents), 0)::bigint FROM ${s}.expenses e
                  WHERE e.fund_id = f.id AND e.spent_on BETWEEN $1::date AND $2::date) AS expense,
                EXISTS (SELECT 1 FROM ${s}.contributions c
                         WHERE c.fund_id = f.id AND c.received_on BETWEEN $1::date AND $2::date)
                OR EXISTS (SELECT 1 FROM ${s}.expenses e
                            WHERE e.fund_id = f.id AND e.spent_on BETWEEN $1::date AND $2::date) AS used
           FROM ${s}.funds f
       ) t WHERE active OR used ORDER BY lower(name), id`,
      [from, to],
    ),
    byMonth('contributions', 'received_on'),
    byMonth('expenses', 'spent_on'),
  ]);
  const t = totals.rows[0];
  const cells = (...v: unknown[]) => v.map((x) => `<td>${html(x)}</td>`).join('');
  const money = (v: string) => formatCents(v);
  const monthRows = months.rows
    .map(
      (m) =>
        `<tr>${cells(m.month, money(m.income), money(m.expense), money(String(BigInt(m.income) - BigInt(m.expense))))}</tr>`,
    )
    .join('');
  const fundRows = funds.rows
    .map(
      (f) =>
        `<tr>${cells(f.name, money(f.income), money(f.expense), money(String(BigInt(f.income) - BigInt(f.expense))))}</tr>`,
    )
    .join('');
  const yoyRows = Array.from({ length: 12 }, (_, i) => {
    const inc = income.rows.find((r) => Number(r.month) === i + 1);
    const exp = spent.rows.find((r) => Number(r.month) === i + 1);
    return `<tr>${cells(i + 1, money(inc?.current ?? '0'), money(inc?.previous ?? '0'), money(exp?.current ?? '0'), money(exp?.previous ?? '0'))}</tr>`;
  }).join('');
  return (
    `<h1>Statistics ${year}</h1><p>${money(t.income)} income, ${t.contributions} entries; ${money(t.expense)} expenses</p>` +
    `<table>${monthRows}</table><table>${fundRows}</table><table>${yoyRows}</table>`
  );
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const schema = schemas.get((req.headers.host ?? '').split(':')[0]);
  const url = new URL(req.url ?? '/', 'http://bench');
  let body: string | null = null;
  if (schema && url.pathname === '/members') body = await members(schema);
  if (schema && url.pathname === '/finance/stats')
    body = await stats(schema, Number(url.searchParams.get('year')));
  res.writeHead(body === null ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><html><head><title>Baseline</title></head><body>${body ?? 'Not found'}</body></html>`,
  );
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    res.writeHead(500);
    res.end(String(err));
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await pool.end();
  process.exit(0);
}
process.on('message', (msg) => {
  if (msg === 'stop') void stop();
});
process.on('disconnect', () => void stop());

const ready: ReadyMessage = { type: 'ready', port: (server.address() as AddressInfo).port };
process.send(ready);
