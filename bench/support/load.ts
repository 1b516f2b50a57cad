/**
 * Driving HTTP load with autocannon against a server forked from a bench/support module, and
 * summarising runs. Each server runs in its own process, so the load generator never shares an
 * event loop with what it measures.
 */
import { type ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type { CpuMessage, CpuRequest } from './cpu.ts';
import { line, median, round } from './stats.ts';
import { BENCH_PASSWORD } from './tenants.ts';

export interface ReadyMessage {
  type: 'ready';
  port: number;
}

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
  /**
   * CPU time (user + system) the server process spent during the run, in milliseconds per
   * completed request; null when the server could not be asked.
   */
  serverCpuMsPerRequest: number | null;
}

export interface Combined {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Median over the runs that have it; null when none has. */
  serverCpuMsPerRequest: number | null;
}

/** One request of a load mix: a path on a host, with the headers it needs (a session cookie). */
export interface Target {
  path: string;
  headers: Record<string, string>;
}

/** The forked servers by the port they listen on, so a load on a port can ask its server for CPU time. */
const serversByPort = new Map<number, ChildProcess>();

/**
 * Forks `moduleUrl` (a .ts file run through tsx) and waits for its `{ type: 'ready', port }`. The
 * server's output goes to the bench's, or line by line to `onStdout` when given.
 */
export async function startServer<R extends ReadyMessage>(
  moduleUrl: URL,
  env: NodeJS.ProcessEnv = process.env,
  opts: { onStdout?: (line: string) => void } = {},
): Promise<{ child: ChildProcess; ready: R }> {
  // BENCH_PROFILE_DIR=<dir> writes a CPU profile of each forked server there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = fork(moduleUrl, [], {
    execArgv: ['--import', import.meta.resolve('tsx'), ...profile],
    env,
    stdio: ['ignore', opts.onStdout ? 'pipe' : 'inherit', 'inherit', 'ipc'],
  });
  const { onStdout } = opts;
  if (onStdout && child.stdout) createInterface({ input: child.stdout }).on('line', onStdout);
  const ready = await new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${moduleUrl.pathname} did not start in 60 s`)), 60_000);
    child.once('message', (msg) => {
      clearTimeout(timer);
      resolve(msg as R);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${moduleUrl.pathname} exited early (code ${code})`));
    });
  });
  serversByPort.set(ready.port, child);
  child.once('exit', () => {
    if (serversByPort.get(ready.port) === child) serversByPort.delete(ready.port);
  });
  return { child, ready };
}

let cpuRequests = 0;

/**
 * The CPU time (user + system, µs) the server on `port` has used so far, as it reports itself over
 * IPC; null when no forked server listens there or it does not answer within 5 s.
 */
export function serverCpuMicros(port: number): Promise<number | null> {
  const child = serversByPort.get(port);
  if (!child?.connected) return Promise.resolve(null);
  const id = ++cpuRequests;
  return new Promise((resolve) => {
    const done = (value: number | null) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(value);
    };
    const onMessage = (msg: unknown) => {
      const m = msg as Partial<CpuMessage> | null;
      if (m?.type === 'cpu' && m.id === id) done(Number(m.user) + Number(m.system));
    };
    const onExit = () => done(null);
    const timer = setTimeout(() => done(null), 5_000);
    child.on('message', onMessage);
    child.once('exit', onExit);
    const ask: CpuRequest = { type: 'cpu', id };
    child.send(ask, (err) => {
      if (err) done(null);
    });
  });
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One plain request, for checks and sign-in (not for load). */
export function request(
  port: number,
  opts: { method?: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The session cookies an answer sets, as one Cookie header. */
export function cookiesOf(answer: { headers: http.IncomingHttpHeaders }): string {
  return (answer.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
}

/** Signs `email` (with the bench password) in through the login form on `host`; returns the session cookie. */
export async function signIn(port: number, host: string, email: string): Promise<string> {
  const form = await request(port, { path: '/login', headers: { host } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  if (!csrf) throw new Error(`no sign-in form on ${host} (status ${form.status})`);
  const body = new URLSearchParams({ email, password: BENCH_PASSWORD, _csrf: csrf, next: '/' }).toString();
  const answer = await request(port, {
    method: 'POST',
    path: '/login',
    headers: {
      host,
      cookie: cookiesOf(form),
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  });
  if (answer.status !== 302) throw new Error(`signing in as ${email} on ${host} answered ${answer.status}`);
  return cookiesOf(answer) || cookiesOf(form);
}

/**
 * Loads `targets` with `connections` connections for `seconds`. Each connection starts at its own
 * place in the list, so with several tenants they do not all ask for the same one at once.
 */
export function load(
  port: number,
  targets: Target[],
  opts: { connections: number; seconds: number },
): Promise<autocannon.Result> {
  const requests = targets.map((t) => ({ method: 'GET' as const, path: t.path, headers: t.headers }));
  let client = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: opts.connections,
    duration: opts.seconds,
    requests,
    setupClient: (c) => {
      const offset = Math.floor((client * targets.length) / opts.connections) % targets.length;
      client += 1;
      c.setRequests([...requests.slice(offset), ...requests.slice(0, offset)]);
    },
  });
}

/**
 * {@link load}, also reading the server's CPU time before and after: the result carries its CPU
 * milliseconds per completed request (null when the server cannot be asked). At most `connections`
 * requests are still in flight when a run ends: part of their CPU is counted but they are not, an
 * error of under connections / requests (well below 1% for a run of thousands).
 */
export async function loadWithCpu(
  port: number,
  targets: Target[],
  opts: { connections: number; seconds: number },
): Promise<{ result: autocannon.Result; serverCpuMsPerRequest: number | null }> {
  const before = await serverCpuMicros(port);
  const result = await load(port, targets, opts);
  const after = await serverCpuMicros(port);
  const serverCpuMsPerRequest =
    before === null || after === null || result.requests.total === 0
      ? null
      : round((after - before) / 1000 / result.requests.total, 3);
  return { result, serverCpuMsPerRequest };
}

export function toRun(
  label: string,
  roundNo: number,
  r: autocannon.Result,
  serverCpuMsPerRequest: number | null = null,
): LoadRun {
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
    serverCpuMsPerRequest,
  };
}

/** One load of a comparison: what to load, on which server, under which label. */
export interface Variant {
  label: string;
  port: number;
  targets: Target[];
}

/**
 * Loads every variant for `seconds` a run, `rounds` times over, printing each run. Alternating the
 * variants spreads slow drift (checkpoints, autovacuum, other work) over all of them.
 */
export async function runRounds(
  variants: readonly Variant[],
  opts: { rounds: number; connections: number; seconds: number },
): Promise<LoadRun[]> {
  const runs: LoadRun[] = [];
  for (let r = 1; r <= opts.rounds; r++) {
    for (const v of variants) {
      const { result, serverCpuMsPerRequest } = await loadWithCpu(v.port, v.targets, opts);
      const run = toRun(v.label, r, result, serverCpuMsPerRequest);
      printRun(run);
      runs.push(run);
    }
  }
  return runs;
}

/** Medians over rounds: on a small shared machine one disturbed run should not decide a ratio. */
export function combine(runs: LoadRun[]): Combined {
  const cpu = runs.flatMap((r) => (r.serverCpuMsPerRequest === null ? [] : [r.serverCpuMsPerRequest]));
  return {
    requestsPerSecond: round(median(runs.map((r) => r.requestsPerSecond)), 0),
    latencyP50Ms: round(median(runs.map((r) => r.latencyP50Ms)), 2),
    latencyP99Ms: round(median(runs.map((r) => r.latencyP99Ms)), 2),
    serverCpuMsPerRequest: cpu.length ? round(median(cpu), 3) : null,
  };
}

/** "  server CPU 0.412 ms/req", or nothing when the figure is missing. */
function cpuText(cpuMs: number | null): string {
  return cpuMs === null ? '' : `  server CPU ${cpuMs} ms/req`;
}

export function printRun(r: LoadRun): void {
  const problems = r.errors || r.non2xx ? `  errors ${r.errors}, non-2xx ${r.non2xx}` : '';
  line(
    `${r.label}, round ${r.round}`,
    `${r.requestsPerSecond} req/s  p50 ${r.latencyP50Ms} ms  p99 ${r.latencyP99Ms} ms${cpuText(r.serverCpuMsPerRequest)}  (${r.requests} requests)${problems}`,
  );
}

export function describe(c: Combined): string {
  return `${c.requestsPerSecond} req/s  p50 ${c.latencyP50Ms} ms  p99 ${c.latencyP99Ms} ms${cpuText(c.serverCpuMsPerRequest)}`;
}
