/**
 * The JSON API under load, with a bearer token: the directory of a big church,
 * GET /api/v1/members?limit=50 (the first 50 by name, with the count), and a company's task list
 * with two filters, GET /api/v1/tasks?status=todo&priority=high (the first 25 of the matches, with
 * their count). Each runs on Steward and on the bare node:http + pg reference
 * (bench/support/baseline-server.ts), which runs the same SQL and writes the same JSON. Besides
 * req/s and latency, each run reports the server's own CPU time per request, which the load
 * generator and PostgreSQL (other processes) do not blur: the cost of the framework, token check,
 * rate limit, validation, ORM and serialisation over the reference is what the target bounds.
 * GET /api/v1/users/me, which runs no query of its own, shows what every API request pays first.
 *
 * BENCH_SHOW_SQL=1 first starts a Steward server that logs its SQL and asks each endpoint once, so
 * the statements the reference must mirror can be read off the console.
 */
import { isDeepStrictEqual } from 'node:util';
import { Member, Task } from '../app/models/index.ts';
import { type TenantRef, withTenant } from '../app/tenancy/context.ts';
import { CHURCH_SIZE, churchTenants } from './members-finance.bench.ts';
import type { ServerReady } from './support/http-server.ts';
import {
  type Combined,
  combine,
  describe,
  type LoadRun,
  load,
  type ReadyMessage,
  request,
  runRounds,
  startServer,
  stopServer,
  type Target,
  type Variant,
} from './support/load.ts';
import {
  seconds as formatSeconds,
  line,
  note,
  round,
  section,
  type TargetCheck,
  target,
} from './support/stats.ts';
import { BENCH_PASSWORD, hostOf } from './support/tenants.ts';
import { WORK_SLUG, workTenant } from './work.bench.ts';

export interface ApiEndpointResult {
  endpoint: string;
  path: string;
  host: string;
  /** Items on the page and matches in all, as both servers answered them. */
  rows: number;
  total: number;
  runs: LoadRun[];
  steward: Combined;
  reference: Combined;
  /** Steward's server CPU per request over the reference's. */
  cpuRatio: number | null;
  /** Steward's req/s over the reference's. */
  rpsRatio: number;
}

export interface ApiBenchResult {
  connections: number;
  secondsPerRun: number;
  rounds: number;
  poolMax: number;
  setupMs: number;
  /** GET /api/v1/users/me on Steward: an authenticated request that runs no query of its own. */
  floor: Combined;
  floorRuns: LoadRun[];
  endpoints: ApiEndpointResult[];
  targets: TargetCheck[];
}

/** Steward may spend at most this many times the reference's CPU on a request. */
const MAX_CPU_RATIO = 3;
const MEMBERS_PATH = '/api/v1/members?limit=50';
const TASKS_PATH = '/api/v1/tasks?status=todo&priority=high';
const FLOOR_PATH = '/api/v1/users/me';
const FLOOR_LABEL = `API floor (GET ${FLOOR_PATH}): Steward`;
/** The API's page size when a request names none (app/api/schemas.ts). */
const DEFAULT_LIMIT = 25;
// The work bench's company: made once per bench database, whichever bench comes first.
const TASKS = 10_000;
const PROJECTS = 10;

/** An access token for the tenant's admin, got as a client gets one: POST /api/v1/token. */
async function accessToken(port: number, host: string, email: string): Promise<string> {
  const body = JSON.stringify({ email, password: BENCH_PASSWORD });
  const answer = await request(port, {
    method: 'POST',
    path: '/api/v1/token',
    headers: {
      host,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  });
  const token =
    answer.status === 200 ? (JSON.parse(answer.body) as { accessToken?: string }).accessToken : '';
  if (!token) throw new Error(`POST /api/v1/token as ${email} on ${host} answered ${answer.status}`);
  return token;
}

interface Endpoint {
  name: string;
  path: string;
  tenant: TenantRef;
  /** Matches in all and items on the first page. */
  total: number;
  rows: number;
}

interface ListBody {
  data: unknown[];
  nextCursor: string | null;
  total?: number;
}

/** GET `path` with the token: the parsed list body and its paging headers, or an error saying what came back. */
async function list(
  port: number,
  who: string,
  e: Endpoint,
  token: string,
): Promise<{ body: ListBody; paging: unknown[] }> {
  const host = hostOf(e.tenant.slug);
  const answer = await request(port, {
    path: e.path,
    headers: { host, authorization: `Bearer ${token}` },
  });
  if (answer.status !== 200)
    throw new Error(
      `${who}: GET ${e.path} on ${host} answered ${answer.status}: ${answer.body.slice(0, 300)}`,
    );
  let body: ListBody;
  try {
    body = JSON.parse(answer.body) as ListBody;
  } catch {
    throw new Error(`${who}: GET ${e.path} on ${host} answered no JSON: ${answer.body.slice(0, 300)}`);
  }
  if (!Array.isArray(body.data) || body.data.length !== e.rows || body.total !== e.total)
    throw new Error(
      `${who}: GET ${e.path} on ${host} gave ${body.data?.length} items of ${body.total}; expected ${e.rows} of ${e.total}`,
    );
  return { body, paging: [answer.headers['x-total-count'], answer.headers.link] };
}

/** The statement of a log line of a server started with DB_LOG_SQL, or null for other lines. */
function sqlOf(logLine: string): string | null {
  try {
    const entry = JSON.parse(logLine) as { sql?: unknown };
    return typeof entry.sql === 'string' ? entry.sql.replace(/^Executing \([^)]*\): /, '') : null;
  } catch {
    return null;
  }
}

/** Prints the SQL Steward runs for each endpoint (one request each, on a server that logs it). */
async function showSql(endpoints: Endpoint[]): Promise<void> {
  section('BENCH_SHOW_SQL: the statements Steward runs for each endpoint');
  let printing = false;
  const logging = await startServer<ServerReady>(
    new URL('./support/http-server.ts', import.meta.url),
    { ...process.env, DB_LOG_SQL: 'true', LOG_LEVEL: 'debug', API_RATE_LIMIT: '1000000000' },
    {
      onStdout: (logLine) => {
        const sql = printing ? sqlOf(logLine) : null;
        if (sql) process.stdout.write(`    ${sql.replace(/\s*\n\s*/g, ' ')}\n`);
      },
    },
  );
  try {
    for (const e of endpoints) {
      const host = hostOf(e.tenant.slug);
      const token = await accessToken(logging.ready.port, host, `admin@${e.tenant.slug}.test`);
      // Twice: the first request also fills the process's caches (tenant, settings).
      for (const pass of ['first request', 'second request']) {
        process.stdout.write(`  GET ${e.path} on ${host}, ${pass}:\n`);
        printing = true;
        await list(logging.ready.port, 'Steward', e, token);
        // Log lines arrive through a pipe: let them all in before the next heading.
        await new Promise((resolve) => setTimeout(resolve, 200));
        printing = false;
      }
    }
  } finally {
    await stopServer(logging.child);
  }
}

export async function apiBench(
  opts: { connections?: number; seconds?: number; rounds?: number } = {},
): Promise<ApiBenchResult> {
  const connections = opts.connections ?? 16;
  const seconds = opts.seconds ?? Number(process.env.BENCH_HTTP_SECONDS ?? 3);
  const rounds = opts.rounds ?? Number(process.env.BENCH_HTTP_ROUNDS ?? 2);
  const today = new Date().toISOString().slice(0, 10);
  const title =
    `JSON API with a bearer token: ${CHURCH_SIZE.members} members, ${TASKS} tasks in ${PROJECTS} projects, ` +
    `${connections} connections, ${seconds} s a run`;
  section(title);

  const setupStart = performance.now();
  const [church] = await churchTenants(1, today);
  const company = await workTenant(TASKS, PROJECTS);
  const setupMs = performance.now() - setupStart;
  line('set-up of a church and a company (bulk inserts)', formatSeconds(setupMs));
  const [memberCount, taskCount] = await Promise.all([
    withTenant(church, () => Member.count()),
    withTenant(company, () => Task.count({ where: { status: 'todo', priority: 'high', archivedAt: null } })),
  ]);
  const endpoints: Endpoint[] = [
    {
      name: 'members list',
      path: MEMBERS_PATH,
      tenant: church,
      total: memberCount,
      rows: Math.min(50, memberCount),
    },
    {
      name: 'task list, two filters',
      path: TASKS_PATH,
      tenant: company,
      total: taskCount,
      rows: Math.min(DEFAULT_LIMIT, taskCount),
    },
  ];
  if (company.slug !== WORK_SLUG) throw new Error(`the company is ${company.slug}, not ${WORK_SLUG}`);
  if (process.env.BENCH_SHOW_SQL) {
    await showSql(endpoints);
    section(title);
  }

  // The per-token limit (600 a minute by default) would refuse a load run within a second. Set out
  // of reach, the limiter still counts every request (in Redis when REDIS_URL is set), so its cost
  // is measured; it only never refuses.
  const steward = await startServer<ServerReady>(new URL('./support/http-server.ts', import.meta.url), {
    ...process.env,
    API_RATE_LIMIT: '1000000000',
  });
  const baseline = await startServer<ReadyMessage>(new URL('./support/baseline-server.ts', import.meta.url));
  try {
    const sPort = steward.ready.port;
    const bPort = baseline.ready.port;
    line('database pool size (DB_POOL_MAX), each server', String(steward.ready.poolMax));

    const results: ApiEndpointResult[] = [];
    const variants: Variant[] = [];
    const plans: { e: Endpoint; mine: Target[]; ref: Target[] }[] = [];
    for (const e of endpoints) {
      const host = hostOf(e.tenant.slug);
      const token = await accessToken(sPort, host, `admin@${e.tenant.slug}.test`);
      // Both servers must give the same answer, with the tenant's own rows, or the numbers mean nothing.
      const mine = await list(sPort, 'Steward', e, token);
      const ref = await list(bPort, 'reference', e, token);
      if (!isDeepStrictEqual(mine, ref))
        throw new Error(
          `GET ${e.path}: the reference's answer differs from Steward's\n  Steward:   ${JSON.stringify(mine).slice(0, 400)}\n  reference: ${JSON.stringify(ref).slice(0, 400)}`,
        );
      line(
        `${e.name}: items on the page / matches`,
        `${e.rows} / ${e.total}, same JSON and paging headers from both servers`,
      );
      const headers = { host, authorization: `Bearer ${token}` };
      const plan = { e, mine: [{ path: e.path, headers }], ref: [{ path: e.path, headers }] };
      plans.push(plan);
      variants.push(
        { label: `${e.name}: Steward`, port: sPort, targets: plan.mine },
        { label: `${e.name}: reference`, port: bPort, targets: plan.ref },
      );
    }

    // What every API request pays before its own work (token, user and roles, limiter, framework):
    // GET /api/v1/users/me runs no query of its own. Shown to explain the figures, not held to a target.
    const floorTarget = [{ ...plans[0].mine[0], path: FLOOR_PATH }];
    const me = await request(sPort, { path: FLOOR_PATH, headers: floorTarget[0].headers });
    if (me.status !== 200) throw new Error(`Steward: GET ${FLOOR_PATH} answered ${me.status}`);
    variants.unshift({ label: FLOOR_LABEL, port: sPort, targets: floorTarget });

    // Warms the JIT, the pools and the caches of both servers before anything is measured.
    for (const v of variants) await load(v.port, v.targets, { connections, seconds: 1 });
    const runs = await runRounds(variants, { rounds, connections, seconds });
    const floorRuns = runs.filter((r) => r.label === FLOOR_LABEL);
    const floor = combine(floorRuns);
    line(`API floor (GET ${FLOOR_PATH}), Steward`, describe(floor));

    for (const { e } of plans) {
      const mineLabel = `${e.name}: Steward`;
      const refLabel = `${e.name}: reference`;
      const endpointRuns = runs.filter((r) => r.label === mineLabel || r.label === refLabel);
      const s = combine(runs.filter((r) => r.label === mineLabel));
      const b = combine(runs.filter((r) => r.label === refLabel));
      const cpuRatio =
        s.serverCpuMsPerRequest !== null && b.serverCpuMsPerRequest
          ? round(s.serverCpuMsPerRequest / b.serverCpuMsPerRequest, 2)
          : null;
      const rpsRatio = round(s.requestsPerSecond / b.requestsPerSecond, 3);
      line(`(a) GET ${e.path}, Steward`, describe(s));
      line(`(b) GET ${e.path}, reference`, describe(b));
      line(`${e.name}: Steward / reference`, `server CPU ×${cpuRatio ?? '?'}, req/s ${rpsRatio}`);
      if (endpointRuns.some((r) => r.errors || r.non2xx))
        note(`${e.name}: some runs had errors or non-2xx answers: the numbers are suspect`);
      results.push({
        endpoint: e.name,
        path: e.path,
        host: hostOf(e.tenant.slug),
        rows: e.rows,
        total: e.total,
        runs: endpointRuns,
        steward: s,
        reference: b,
        cpuRatio,
        rpsRatio,
      });
    }

    const targets = results.map((r) => {
      const clean = r.runs.every((run) => !run.errors && !run.non2xx);
      return target(
        `API ${r.endpoint}: Steward's server CPU per request at most ${MAX_CPU_RATIO}× the reference's`,
        `ratio <= ${MAX_CPU_RATIO}`,
        `${r.steward.serverCpuMsPerRequest} vs ${r.reference.serverCpuMsPerRequest} ms/req, ×${r.cpuRatio ?? '?'}`,
        clean && r.cpuRatio !== null && r.cpuRatio <= MAX_CPU_RATIO,
      );
    });
    return {
      connections,
      secondsPerRun: seconds,
      rounds,
      poolMax: steward.ready.poolMax,
      setupMs: Math.round(setupMs),
      floor,
      floorRuns,
      endpoints: results,
      targets,
    };
  } finally {
    // Requests the load generator gave up on at the end of a run are still being answered: let them finish.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await Promise.all([stopServer(steward.child), stopServer(baseline.child)]);
  }
}
