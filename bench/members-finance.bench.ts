/**
 * Signed-in pages over a big church: the members list (GET /members: the first 50 by name, with the
 * count) and the finance statistics of a year (GET /finance/stats?year=…), each on one tenant and
 * rotating over three, next to a bare node:http + pg reference that runs the same SQL and writes the
 * same rows (bench/support/baseline-server.ts). Steward's throughput is reported as a share of the
 * reference's, so the cost of the framework, session, template and tenant switch is visible.
 */
import { fileURLToPath } from 'node:url';
import { Tenant } from '../app/models/index.ts';
import { formatCents } from '../app/services/money.ts';
import { provisionTenant } from '../app/services/provisioning.ts';
import type { TenantRef } from '../app/tenancy/context.ts';
import { type ChurchSize, incomeOfYear, seedChurch } from './support/church-data.ts';
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
  signIn,
  startServer,
  stopServer,
  type Target,
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
import { benchPasswordHash, hostOf } from './support/tenants.ts';

export interface PageResult {
  page: string;
  path: string;
  measured: boolean;
  runs: LoadRun[];
  steward?: { one: Combined; rotating: Combined };
  baseline?: { one: Combined; rotating: Combined };
  /** Steward req/s over the reference's, one tenant and rotating. */
  ratioOne?: number;
  ratioRotating?: number;
}

export interface MembersFinanceResult {
  tenants: number;
  size: ChurchSize;
  year: number;
  connections: number;
  secondsPerRun: number;
  rounds: number;
  poolMax: number;
  setupMs: number;
  /** GET /profile: a signed-in page that runs no query of its own. */
  floor: Combined;
  pages: PageResult[];
  targets: TargetCheck[];
}

const MIN_RATIO = 0.7;
const MAX_P99_MS = 30;
/** The size of each church tenant (also what the API bench lists). */
export const CHURCH_SIZE: ChurchSize = {
  members: 2_000,
  households: 700,
  contributions: 10_000,
  expenses: 600,
};

/** Church tenants `bench-mf-N` with the big directory and ledger; made once per bench database. */
export async function churchTenants(count: number, today: string): Promise<TenantRef[]> {
  const refs: TenantRef[] = [];
  const hash = await benchPasswordHash();
  for (let i = 1; i <= count; i++) {
    const slug = `bench-mf-${i}`;
    const existing = await Tenant.findOne({ where: { slug } });
    if (existing) {
      refs.push(existing.toRef());
      continue;
    }
    const { tenant } = await provisionTenant(
      { slug, name: `Bench church ${i}`, kind: 'church', adminEmail: `admin@${slug}.test` },
      { adminPasswordHash: hash },
    );
    await seedChurch(tenant.toRef(), CHURCH_SIZE, today);
    refs.push(tenant.toRef());
  }
  return refs;
}

export async function membersFinanceBench(
  opts: { tenants?: number; connections?: number; seconds?: number; rounds?: number } = {},
): Promise<MembersFinanceResult> {
  const tenantCount = opts.tenants ?? 3;
  const connections = opts.connections ?? 16;
  const seconds = opts.seconds ?? Number(process.env.BENCH_HTTP_SECONDS ?? 5);
  const rounds = opts.rounds ?? Number(process.env.BENCH_HTTP_ROUNDS ?? 2);
  const today = new Date().toISOString().slice(0, 10);
  const year = Number(today.slice(0, 4));
  section(
    `Members and finance pages: ${CHURCH_SIZE.members} members, ${CHURCH_SIZE.contributions} contributions a tenant, ` +
      `${connections} connections, ${seconds} s a run`,
  );

  const setupStart = performance.now();
  const tenants = await churchTenants(tenantCount, today);
  const setupMs = performance.now() - setupStart;
  line(`set-up of ${tenants.length} church tenants (bulk inserts)`, formatSeconds(setupMs));

  const steward = await startServer<ServerReady>(new URL('./support/http-server.ts', import.meta.url));
  const baseline = await startServer<ReadyMessage>(new URL('./support/baseline-server.ts', import.meta.url));
  try {
    const sPort = steward.ready.port;
    const bPort = baseline.ready.port;
    line('database pool size (DB_POOL_MAX), each server', String(steward.ready.poolMax));
    line('reference server', fileURLToPath(new URL('./support/baseline-server.ts', import.meta.url)));

    const signedIn = await Promise.all(
      tenants.map(async (t) => {
        const host = hostOf(t.slug);
        return { tenant: t, host, cookie: await signIn(sPort, host, `admin@${t.slug}.test`) };
      }),
    );
    const pages = [
      { page: 'members list', path: '/members', expect: async () => `${CHURCH_SIZE.members} ` },
      {
        page: `finance statistics ${year}`,
        path: `/finance/stats?year=${year}`,
        expect: async (t: TenantRef) => formatCents(await incomeOfYear(t, year)),
      },
    ];

    // What every signed-in page pays before its own work (session, user and roles, layout):
    // GET /profile runs no query of its own. Shown to explain the ratios, not held to a target.
    const floorTarget: Target[] = [
      { path: '/profile', headers: { host: signedIn[0].host, cookie: signedIn[0].cookie } },
    ];
    await load(sPort, floorTarget, { connections, seconds: 1 });
    const floorRuns = await runRounds(
      [{ label: 'signed-in floor (GET /profile): Steward, one tenant', port: sPort, targets: floorTarget }],
      { rounds, connections, seconds },
    );
    const floor = combine(floorRuns);
    line('signed-in floor (GET /profile), Steward', describe(floor));

    const results: PageResult[] = [];
    for (const p of pages) {
      const result: PageResult = { page: p.page, path: p.path, measured: false, runs: [] };
      results.push(result);
      // Both servers must answer the page with the tenant's own figures, or the numbers mean nothing.
      let missing = false;
      for (const s of signedIn) {
        const mine = await request(sPort, { path: p.path, headers: { host: s.host, cookie: s.cookie } });
        if (mine.status === 404) missing = true;
        if (missing) break;
        const ref = await request(bPort, { path: p.path, headers: { host: s.host } });
        const wanted = await p.expect(s.tenant);
        if (mine.status !== 200 || !mine.body.includes(wanted))
          throw new Error(`Steward: GET ${p.path} on ${s.host} answered ${mine.status} without "${wanted}"`);
        if (ref.status !== 200 || !ref.body.includes(wanted))
          throw new Error(`reference: GET ${p.path} on ${s.host} answered ${ref.status} without "${wanted}"`);
      }
      if (missing) {
        note(`GET ${p.path} answers 404 in this build: not measured`);
        continue;
      }
      result.measured = true;
      const stewardOne: Target[] = [
        { path: p.path, headers: { host: signedIn[0].host, cookie: signedIn[0].cookie } },
      ];
      const stewardAll: Target[] = signedIn.map((s) => ({
        path: p.path,
        headers: { host: s.host, cookie: s.cookie },
      }));
      const refOne: Target[] = [{ path: p.path, headers: { host: signedIn[0].host } }];
      const refAll: Target[] = signedIn.map((s) => ({ path: p.path, headers: { host: s.host } }));
      // Warms the JIT, the pools and the caches of both servers before anything is measured.
      await load(sPort, stewardAll, { connections, seconds: 2 });
      await load(bPort, refAll, { connections, seconds: 2 });

      const variants = [
        { label: `${p.page}: Steward, one tenant`, port: sPort, targets: stewardOne },
        { label: `${p.page}: reference, one tenant`, port: bPort, targets: refOne },
        { label: `${p.page}: Steward, ${signedIn.length} tenants`, port: sPort, targets: stewardAll },
        { label: `${p.page}: reference, ${signedIn.length} tenants`, port: bPort, targets: refAll },
      ];
      result.runs = await runRounds(variants, { rounds, connections, seconds });
      const of = (label: string) => combine(result.runs.filter((run) => run.label === label));
      result.steward = { one: of(variants[0].label), rotating: of(variants[2].label) };
      result.baseline = { one: of(variants[1].label), rotating: of(variants[3].label) };
      result.ratioOne = round(
        result.steward.one.requestsPerSecond / result.baseline.one.requestsPerSecond,
        3,
      );
      result.ratioRotating = round(
        result.steward.rotating.requestsPerSecond / result.baseline.rotating.requestsPerSecond,
        3,
      );
      line(`(a) ${p.page}, Steward, one tenant`, describe(result.steward.one));
      line(`(b) ${p.page}, Steward, ${signedIn.length} tenants`, describe(result.steward.rotating));
      line(`(c) ${p.page}, reference, one tenant`, describe(result.baseline.one));
      line(`(d) ${p.page}, reference, ${signedIn.length} tenants`, describe(result.baseline.rotating));
      line(
        `${p.page}: Steward / reference (req/s)`,
        `one ${result.ratioOne}, rotating ${result.ratioRotating}`,
      );
      const bad = result.runs.filter((run) => run.errors || run.non2xx);
      if (bad.length) note(`${bad.length} runs had errors or non-2xx answers: the numbers are suspect`);
    }

    const targets: TargetCheck[] = [];
    for (const r of results) {
      if (!r.measured || !r.steward || r.ratioOne === undefined) continue;
      const clean = r.runs.every((run) => !run.errors && !run.non2xx);
      targets.push(
        target(
          `${r.page}: Steward at least ${MIN_RATIO * 100}% of the reference's req/s`,
          `ratio >= ${MIN_RATIO}`,
          `one ${r.ratioOne}, rotating ${r.ratioRotating}`,
          clean && r.ratioOne >= MIN_RATIO && (r.ratioRotating ?? 0) >= MIN_RATIO,
        ),
        target(
          `${r.page}: Steward p99 latency`,
          `<= ${MAX_P99_MS} ms`,
          `one ${r.steward.one.latencyP99Ms} ms, rotating ${r.steward.rotating.latencyP99Ms} ms`,
          clean && Math.max(r.steward.one.latencyP99Ms, r.steward.rotating.latencyP99Ms) <= MAX_P99_MS,
        ),
      );
    }
    return {
      tenants: signedIn.length,
      size: CHURCH_SIZE,
      year,
      connections,
      secondsPerRun: seconds,
      rounds,
      poolMax: steward.ready.poolMax,
      setupMs: Math.round(setupMs),
      floor,
      pages: results,
      targets,
    };
  } finally {
    await Promise.all([stopServer(steward.child), stopServer(baseline.child)]);
  }
}
