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
    pool.query<{ count: string }>(`SELECT count(*) AS count FROM ${s}.members m`),
    pool.query(
      `SELECT m.id, m.first_name, m.last_name, m.email, m.phone, m.status, m.joined_on,
              h.id AS h_id, h.name AS h_name
         FROM ${s}.members m LEFT JOIN ${s}.households h ON m.household_id = h.id
        ORDER BY m.last_name ASC, m.first_name ASC, m.id ASC LIMIT 50 OFFSET 0`,
    ),
    pool.query(`SELECT id, name FROM ${s}.groups ORDER BY name ASC`),
  ]);
  const rows = page.rows
    .map(
      (m) =>
        `<tr><td><a href="/members/${m.id}">${html(m.first_name)} ${html(m.last_name)}</a></td>` +
        `<td>${html(m.email)}</td><td>${html(m.phone)}</td><td>${html(m.status)}</td>` +
        `<td>${m.h_id === null ? '' : `<a href="/households/${m.h_id}">${html(m.h_name)}</a>`}</td><td>${html(m.joined_on)}</td></tr>`,
    )
    .join('');
  const options = groups.rows.map((g) => `<option value="${g.id}">${html(g.name)}</option>`).join('');
  return `<h1>Members</h1><select>${options}</select><p>${count.rows[0]?.count} members</p><table>${rows}</table>`;
}

async function stats(s: string, year: number): Promise<string> {
  const from = `${year}-01-01`;
  const to = `${year}-12-31`;
  // The year and the year before it, summed once per kind, month, fund and whether inside the year.
  const [sums, funds] = await Promise.all([
    pool.query<{
      kind: string;
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
           FROM ${s}.contributions WHERE received_on BETWEEN $3::date AND $4::date GROUP BY 2, 3, 4
         UNION ALL
         SELECT 'expense', date_trunc('month', spent_on), fund_id,
                spent_on BETWEEN $1::date AND $2::date,
                SUM(amount_cents)::bigint, COUNT(*)
           FROM ${s}.expenses WHERE spent_on BETWEEN $3::date AND $4::date GROUP BY 2, 3, 4
      ) sums`,
      [from, to, `${year - 1}-01-01`, to],
    ),
    pool.query<{ id: string; name: string; active: boolean }>(
      `SELECT id, name, active FROM ${s}.funds ORDER BY lower(name), id`,
    ),
  ]);
  const add = (map: Map<string, [bigint, bigint]>, key: string, kind: string, cents: string) => {
    const v = map.get(key) ?? [0n, 0n];
    v[kind === 'income' ? 0 : 1] += BigInt(cents);
    map.set(key, v);
  };
  const byMonth = new Map<string, [bigint, bigint]>();
  const byFund = new Map<string, [bigint, bigint]>();
  const total: [bigint, bigint] = [0n, 0n];
  let entries = 0;
  for (const r of sums.rows) {
    add(byMonth, r.month, r.kind, r.cents);
    if (!r.in_period) continue;
    if (r.fund_id !== null) add(byFund, String(r.fund_id), r.kind, r.cents);
    total[r.kind === 'income' ? 0 : 1] += BigInt(r.cents);
    if (r.kind === 'income') entries += Number(r.n);
  }
  const cells = (...v: unknown[]) => v.map((x) => `<td>${html(x)}</td>`).join('');
  const money = (v: bigint) => formatCents(String(v));
  const month = (y: number, m: number) => byMonth.get(`${y}-${String(m).padStart(2, '0')}`) ?? [0n, 0n];
  const monthRows = Array.from({ length: 12 }, (_, i) => {
    const [inc, exp] = month(year, i + 1);
    return `<tr>${cells(`${year}-${String(i + 1).padStart(2, '0')}`, money(inc), money(exp), money(inc - exp))}</tr>`;
  }).join('');
  const fundRows = funds.rows
    .filter((f) => f.active || byFund.has(String(f.id)))
    .map((f) => {
      const [inc, exp] = byFund.get(String(f.id)) ?? [0n, 0n];
      return `<tr>${cells(f.name, money(inc), money(exp), money(inc - exp))}</tr>`;
    })
    .join('');
  const yoyRows = Array.from({ length: 12 }, (_, i) => {
    const [inc, exp] = month(year, i + 1);
    const [lastInc, lastExp] = month(year - 1, i + 1);
    return `<tr>${cells(i + 1, money(inc), money(lastInc), money(exp), money(lastExp))}</tr>`;
  }).join('');
  return (
    `<h1>Statistics ${year}</h1><p>${money(total[0])} income, ${entries} entries; ${money(total[1])} expenses</p>` +
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
