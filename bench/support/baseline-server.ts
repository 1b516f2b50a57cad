/**
 * The reference the benchmarks compare Steward with: a bare node:http server on a pg.Pool that runs
 * the same SQL as the members list and the finance statistics pages and writes the same rows as
 * plain HTML, and the same SQL as the API's members and task lists writing the same JSON, with no
 * framework, session, template or tenant switch. It picks the tenant by naming the schema in the
 * query text, which only this reference does; the app itself never qualifies tenant tables (it
 * relies on the search_path set when a connection is taken from the pool). It answers the bench's
 * `{ type: 'cpu' }` with its CPU time (bench/support/cpu.ts).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { formatCents } from '../../app/services/money.ts';
import { config } from '../../config/index.ts';
import { answerCpuRequests } from './cpu.ts';
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

// Each tenant's time zone, read at its first request (Steward keeps its settings in a cache too).
const timeZones = new Map<string, Promise<string>>();
function timeZoneOf(s: string): Promise<string> {
  let zone = timeZones.get(s);
  if (!zone) {
    zone = pool
      .query<{ value: string }>(`SELECT value FROM ${s}.settings WHERE key = 'time_zone'`)
      .then(({ rows }) => rows[0]?.value.trim() || 'UTC');
    timeZones.set(s, zone);
  }
  return zone;
}

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

// --- The JSON API's lists --------------------------------------------------------------------

/** `date` columns as the 'YYYY-MM-DD' text the API writes (pg would make them local-midnight Dates). */
const dateAsText = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.DATE
      ? (v: string) => v
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

class HttpError extends Error {
  constructor(readonly status: number) {
    super(String(status));
  }
}

/**
 * The bearer token, checked trivially: its claims are read without verifying the JWT's signature
 * (no HMAC), but the same statement as Steward's loads the user it names (active, same credentials
 * version, its sign-in not revoked nor expired, with the roles), so the SQL per request is the same.
 */
async function apiUser(s: string, req: IncomingMessage): Promise<void> {
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  let claims: { sub?: unknown; ver?: unknown; fam?: unknown };
  try {
    claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new HttpError(401);
  }
  const { rows } = await pool.query(
    `SELECT u.id::text AS id, u.email, u.name, u.active, u.department,
       u.last_login_at AS "lastLoginAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt",
       u.credentials_version AS "credentialsVersion",
       COALESCE(json_agg(json_build_object(
         'id', r.id::text, 'name', r.name, 'permissionLevel', r.permission_level,
         'description', r.description)) FILTER (WHERE r.id IS NOT NULL), '[]') AS roles
       FROM ${s}.users u
       JOIN ${s}.api_token_families f ON f.id = $3 AND f.user_id = u.id AND f.revoked_at IS NULL AND f.expires_at > now()
       LEFT JOIN ${s}.user_roles ur ON ur.user_id = u.id
       LEFT JOIN ${s}.roles r ON r.id = ur.role_id
      WHERE u.id = $1 AND u.active AND u.credentials_version = $2
      GROUP BY u.id`,
    [String(claims.sub), Number(claims.ver), String(claims.fam)],
  );
  if (!rows[0]) throw new HttpError(401);
}

/** Steward's paging: `limit` 1 to 100 (25 by default) and the offset an opaque cursor carries. */
function pageWindow(url: URL): { limit: number; offset: number } {
  const limit = Number(url.searchParams.get('limit') ?? 25);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(400);
  const cursor = url.searchParams.get('cursor');
  if (!cursor) return { limit, offset: 0 };
  const offset = Number(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')).o);
  if (!Number.isInteger(offset) || offset < 0) throw new HttpError(400);
  return { limit, offset };
}

interface JsonPage {
  body: string;
  headers: Record<string, string>;
}

/** The list body `{ data, nextCursor, total }` with the Link and X-Total-Count headers, as Steward writes them. */
function jsonPage(
  url: URL,
  data: unknown[],
  window: { limit: number; offset: number },
  total: number,
): JsonPage {
  const more = window.offset + Math.min(data.length, window.limit) < total;
  const nextCursor = more
    ? Buffer.from(JSON.stringify({ v: 1, o: window.offset + window.limit })).toString('base64url')
    : null;
  const headers: Record<string, string> = { 'X-Total-Count': String(total) };
  if (nextCursor) {
    const next = new URL(url);
    next.searchParams.set('cursor', nextCursor);
    headers.Link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  return { body: JSON.stringify({ data, nextCursor, total }), headers };
}

/** GET /api/v1/members, the default filter (everyone, by name): a count and a page, at once. */
async function apiMembers(s: string, url: URL): Promise<JsonPage> {
  const window = pageWindow(url);
  const [count, page] = await Promise.all([
    pool.query<{ count: string }>(`SELECT count(*) AS "count" FROM ${s}."members" AS "Member"`),
    pool.query({
      text: `SELECT "Member"."id", "Member"."first_name" AS "firstName", "Member"."last_name" AS "lastName",
                    "Member"."email", "Member"."phone", "Member"."status", "Member"."joined_on" AS "joinedOn",
                    "household"."id" AS "household.id", "household"."name" AS "household.name"
               FROM ${s}."members" AS "Member"
               LEFT OUTER JOIN ${s}."households" AS "household" ON "Member"."household_id" = "household"."id"
              ORDER BY "lastName" ASC, "firstName" ASC, "Member"."id" ASC
              LIMIT ${window.limit} OFFSET ${window.offset}`,
      types: dateAsText,
    }),
  ]);
  const data = page.rows.map((m) => ({
    id: String(m.id),
    firstName: m.firstName,
    lastName: m.lastName,
    email: m.email,
    phone: m.phone,
    status: m.status,
    joinedOn: m.joinedOn,
    household:
      m['household.id'] === null ? null : { id: String(m['household.id']), name: m['household.name'] },
  }));
  return jsonPage(url, data, window, Number(count.rows[0]?.count));
}

const TASK_STATUSES = new Set(['todo', 'in_progress', 'review', 'done']);
const TASK_PRIORITIES = new Set(['low', 'medium', 'high', 'urgent']);
const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** The due day and time on the tenant's clocks, as Steward's localParts gives them. */
function wallClock(instant: Date, timeZone: string): { date: string; time: string } {
  let format = wallClocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallClocks.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(instant).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

/**
 * GET /api/v1/tasks with `status` (one or more, comma-separated) and `priority`, for a user who
 * sees every project (the bench signs in as the admin), in the default order: open first, by due
 * date. The values are checked against the lists and written into the SQL, as Sequelize does.
 */
async function apiTasks(s: string, url: URL): Promise<JsonPage> {
  const window = pageWindow(url);
  const statuses = (url.searchParams.get('status') ?? '').split(',').filter(Boolean);
  const priority = url.searchParams.get('priority');
  if (statuses.some((v) => !TASK_STATUSES.has(v)) || (priority && !TASK_PRIORITIES.has(priority)))
    throw new HttpError(400);
  const where = [
    ...(statuses.length ? [`"Task"."status" IN (${statuses.map((v) => `'${v}'`).join(', ')})`] : []),
    ...(priority ? [`"Task"."priority" = '${priority}'`] : []),
    `"Task"."archived_at" IS NULL`,
  ].join(' AND ');
  const [count, page] = await Promise.all([
    pool.query<{ count: string }>(`SELECT count(*) AS "count" FROM ${s}."tasks" AS "Task" WHERE (${where})`),
    pool.query(
      `SELECT "id", "project_id" AS "projectId", "title", "description", "priority", "status",
              "assignee_id" AS "assigneeId", "due_at" AS "dueAt", "completed_at" AS "completedAt",
              "archived_at" AS "archivedAt", "overdue_notified_at" AS "overdueNotifiedAt",
              "due_soon_notified_at" AS "dueSoonNotifiedAt", "created_by" AS "createdBy",
              "created_at" AS "createdAt", "updated_at" AS "updatedAt"
         FROM ${s}."tasks" AS "Task" WHERE (${where})
        ORDER BY ("Task"."status" = 'done') ASC, "dueAt" ASC NULLS LAST, "Task"."id" ASC
        LIMIT ${window.limit} OFFSET ${window.offset}`,
    ),
  ]);
  const timeZone = await timeZoneOf(s);
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const data = page.rows.map((t) => {
    const due = t.dueAt ? wallClock(t.dueAt, timeZone) : null;
    return {
      id: String(t.id),
      projectId: String(t.projectId),
      title: t.title,
      description: t.description,
      status: t.status,
      priority: t.priority,
      assigneeId: t.assigneeId ? String(t.assigneeId) : null,
      dueAt: iso(t.dueAt),
      dueDate: due?.date ?? null,
      dueTime: due?.time ?? null,
      completedAt: iso(t.completedAt),
      archivedAt: iso(t.archivedAt),
      createdBy: t.createdBy ? String(t.createdBy) : null,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
    };
  });
  return jsonPage(url, data, window, Number(count.rows[0]?.count));
}

const API_LISTS: Record<string, (s: string, url: URL) => Promise<JsonPage>> = {
  '/api/v1/members': apiMembers,
  '/api/v1/tasks': apiTasks,
};

async function handleApi(
  s: string | undefined,
  list: (s: string, url: URL) => Promise<JsonPage>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  let status = 200;
  let page: JsonPage | null = null;
  try {
    if (!s) throw new HttpError(404);
    await apiUser(s, req);
    page = await list(s, url);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    status = err.status;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...page?.headers });
  res.end(page?.body ?? JSON.stringify({ status }));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const schema = schemas.get((req.headers.host ?? '').split(':')[0]);
  const url = new URL(req.url ?? '/', 'http://bench');
  const apiList = API_LISTS[url.pathname];
  if (apiList) return handleApi(schema, apiList, req, res, url);
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
answerCpuRequests();

const ready: ReadyMessage = { type: 'ready', port: (server.address() as AddressInfo).port };
process.send(ready);
