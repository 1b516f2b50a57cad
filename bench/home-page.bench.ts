/**
 * Tenant home page throughput: GET / with autocannon, all requests to one tenant, then rotating
 * over many tenants. Rotating costs a `SET search_path` whenever a pooled connection last served
 * another tenant, and a host lookup whenever the resolver's cache has no fresh entry.
 */
import { config } from '../config/index.ts';
import type { ServerReady } from './support/http-server.ts';
import {
  type Combined,
  combine,
  describe,
  type LoadRun,
  load,
  request,
  runRounds,
  startServer,
  stopServer,
  type Target,
} from './support/load.ts';
import { line, note, round, section, type TargetCheck, target } from './support/stats.ts';
import { ensureTenants, hostOf } from './support/tenants.ts';

export interface HomePageResult {
  connections: number;
  secondsPerRun: number;
  rounds: number;
  tenantsRotated: number;
  poolMax: number;
  nodeEnv: string;
  viewCache: boolean;
  runs: LoadRun[];
  one: Combined;
  rotating: Combined;
  rotatingOverOne: number;
  targets: TargetCheck[];
}

const MAX_LOSS = 0.1;

/** GET / on each host. */
function homePages(hosts: string[]): Target[] {
  return hosts.map((host) => ({ path: '/', headers: { host } }));
}

export async function homePageBench(
  opts: { tenants?: number; connections?: number; seconds?: number; rounds?: number } = {},
): Promise<HomePageResult> {
  const tenantCount = opts.tenants ?? 100;
  const connections = opts.connections ?? 16;
  const seconds = opts.seconds ?? Number(process.env.BENCH_HTTP_SECONDS ?? 10);
  const rounds = opts.rounds ?? Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
  const all = await ensureTenants(tenantCount);
  const hosts = all.slice(0, tenantCount).map((t) => hostOf(t.slug));
  const one = hosts[0];
  if (!one) throw new Error('no tenant to load');
  section(`Tenant home page: GET / with ${connections} connections, ${seconds} s a run`);

  const { child, ready } = await startServer<ServerReady>(
    new URL('./support/http-server.ts', import.meta.url),
  );
  try {
    line('database pool size (DB_POOL_MAX)', String(ready.poolMax));
    line("NODE_ENV / express 'view cache' setting", `${ready.nodeEnv} / ${ready.viewCache ? 'on' : 'off'}`);
    line('tenant cache TTL (TENANT_CACHE_TTL_MS)', `${config.TENANT_CACHE_TTL_MS} ms`);

    // Every page must be the tenant's own page, or the numbers measure error pages.
    for (const [i, host] of hosts.entries()) {
      const res = await request(ready.port, { path: '/', headers: { host } });
      const name = all[i]?.name ?? '';
      if (res.status !== 200 || !res.body.includes(name))
        throw new Error(`GET / on ${host} answered ${res.status} without "${name}"`);
    }
    // Warms the JIT, the pool and the host cache of every tenant before anything is measured.
    await load(ready.port, homePages(hosts), { connections, seconds: 3 });

    const runs: LoadRun[] = await runRounds(
      [
        { label: 'one tenant', port: ready.port, targets: homePages([one]) },
        { label: `rotating over ${hosts.length} tenants`, port: ready.port, targets: homePages(hosts) },
      ],
      { rounds, connections, seconds },
    );

    const oneAll = combine(runs.filter((r) => r.label === 'one tenant'));
    const rotAll = combine(runs.filter((r) => r.label !== 'one tenant'));
    const ratio = round(rotAll.requestsPerSecond / oneAll.requestsPerSecond, 3);
    line('(a) one tenant, median of rounds', describe(oneAll));
    line(`(b) rotating over ${hosts.length} tenants, median of rounds`, describe(rotAll));
    line('rotating / one (req/s)', String(ratio));
    const bad = runs.filter((r) => r.errors || r.non2xx);
    if (bad.length) note(`${bad.length} runs had errors or non-2xx answers: the numbers are suspect`);

    const targets = [
      target(
        'rotating tenants lose at most 10% req/s',
        `ratio >= ${1 - MAX_LOSS}`,
        String(ratio),
        ratio >= 1 - MAX_LOSS && bad.length === 0,
      ),
    ];
    return {
      connections,
      secondsPerRun: seconds,
      rounds,
      tenantsRotated: hosts.length,
      poolMax: ready.poolMax,
      nodeEnv: ready.nodeEnv,
      viewCache: ready.viewCache,
      runs,
      one: oneAll,
      rotating: rotAll,
      rotatingOverOne: ratio,
      targets,
    };
  } finally {
    await stopServer(child);
  }
}
