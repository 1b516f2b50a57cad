/**
 * Tenant home page throughput: GET / with autocannon, all requests to one tenant, then rotating
 * over many tenants. Rotating costs a `SET search_path` whenever a pooled connection last served
 * another tenant, and a host lookup whenever the resolver's cache has no fresh entry.
 */
import { type ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { config } from '../config/index.ts';
import type { ServerReady } from './support/http-server.ts';
import { line, median, note, round, section, type TargetCheck, target } from './support/stats.ts';
import { ensureTenants } from './support/tenants.ts';

export interface LoadRun {
  label: string;
  round: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
  durationS: number;
}

export interface HomePageResult {
  connections: number;
  secondsPerRun: number;
  rounds: number;
  tenantsRotated: number;
  poolMax: number;
  nodeEnv: string;
  viewCache: boolean;
  runs: LoadRun[];
  one: { requestsPerSecond: number; latencyP50Ms: number; latencyP99Ms: number };
  rotating: { requestsPerSecond: number; latencyP50Ms: number; latencyP99Ms: number };
  rotatingOverOne: number;
  targets: TargetCheck[];
}

const MAX_LOSS = 0.1;

function hostOf(slug: string): string {
  return `${slug}.${config.BASE_DOMAIN}`;
}

async function startServer(): Promise<{ child: ChildProcess; ready: ServerReady }> {
  const child = fork(fileURLToPath(new URL('./support/http-server.ts', import.meta.url)), [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bench web server did not start in 60 s')), 60_000);
    child.once('message', (msg) => {
      clearTimeout(timer);
      resolve(msg as ServerReady);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench web server exited early (code ${code})`));
    });
  });
  return { child, ready };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

async function load(
  port: number,
  hosts: string[],
  opts: { connections: number; seconds: number },
): Promise<autocannon.Result> {
  const requests = hosts.map((host) => ({ method: 'GET' as const, path: '/', headers: { host } }));
  let client = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: opts.connections,
    duration: opts.seconds,
    requests,
    // Each connection starts at its own place in the list, so the connections do not all ask for
    // the same tenant at the same moment.
    setupClient: (c) => {
      const offset = Math.floor((client * hosts.length) / opts.connections) % hosts.length;
      client += 1;
      c.setRequests([...requests.slice(offset), ...requests.slice(0, offset)]);
    },
  });
}

function toRun(label: string, roundNo: number, r: autocannon.Result): LoadRun {
  return {
    label,
    round: roundNo,
    requestsPerSecond: round(r.requests.total / r.duration, 0),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors,
    non2xx: r.non2xx,
    durationS: round(r.duration, 2),
  };
}

// Medians over rounds: on a small shared machine one disturbed run should not decide the ratio.
function combine(runs: LoadRun[]) {
  return {
    requestsPerSecond: round(median(runs.map((r) => r.requestsPerSecond)), 0),
    latencyP50Ms: round(median(runs.map((r) => r.latencyP50Ms)), 2),
    latencyP99Ms: round(median(runs.map((r) => r.latencyP99Ms)), 2),
  };
}

function printRun(r: LoadRun): void {
  const problems = r.errors || r.non2xx ? `  errors ${r.errors}, non-2xx ${r.non2xx}` : '';
  line(
    `${r.label}, round ${r.round}`,
    `${r.requestsPerSecond} req/s  p50 ${r.latencyP50Ms} ms  p99 ${r.latencyP99Ms} ms  (${r.requests} requests)${problems}`,
  );
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

  const { child, ready } = await startServer();
  try {
    line('database pool size (DB_POOL_MAX)', String(ready.poolMax));
    line("NODE_ENV / express 'view cache' setting", `${ready.nodeEnv} / ${ready.viewCache ? 'on' : 'off'}`);
    line('tenant cache TTL (TENANT_CACHE_TTL_MS)', `${config.TENANT_CACHE_TTL_MS} ms`);

    // Every page must be the tenant's own page, or the numbers measure error pages.
    for (const [i, host] of hosts.entries()) {
      const res = await get(ready.port, host);
      const name = all[i]?.name ?? '';
      if (res.status !== 200 || !res.body.includes(name))
        throw new Error(`GET / on ${host} answered ${res.status} without "${name}"`);
    }
    // Warms the JIT, the pool and the host cache of every tenant before anything is measured.
    await load(ready.port, hosts, { connections, seconds: 3 });

    const runs: LoadRun[] = [];
    // Alternating the variants spreads slow drift (checkpoints, autovacuum) over both.
    for (let r = 1; r <= rounds; r++) {
      const single = toRun('one tenant', r, await load(ready.port, [one], { connections, seconds }));
      printRun(single);
      const rotating = toRun(
        `rotating over ${hosts.length} tenants`,
        r,
        await load(ready.port, hosts, { connections, seconds }),
      );
      printRun(rotating);
      runs.push(single, rotating);
    }

    const oneAll = combine(runs.filter((r) => r.label === 'one tenant'));
    const rotAll = combine(runs.filter((r) => r.label !== 'one tenant'));
    const ratio = round(rotAll.requestsPerSecond / oneAll.requestsPerSecond, 3);
    const describe = (c: typeof oneAll) =>
      `${c.requestsPerSecond} req/s  p50 ${c.latencyP50Ms} ms  p99 ${c.latencyP99Ms} ms`;
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
