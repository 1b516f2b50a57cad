/**
 * Driving HTTP load with autocannon against a server forked from a bench/support module, and
 * summarising runs. Each server runs in its own process, so the load generator never shares an
 * event loop with what it measures.
 */
import { type ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import autocannon from 'autocannon';
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
}

export interface Combined {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

/** One request of a load mix: a path on a host, with the headers it needs (a session cookie). */
export interface Target {
  path: string;
  headers: Record<string, string>;
}

/** Forks `moduleUrl` (a .ts file run through tsx) and waits for its `{ type: 'ready', port }`. */
export async function startServer<R extends ReadyMessage>(
  moduleUrl: URL,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; ready: R }> {
  // BENCH_PROFILE_DIR=<dir> writes a CPU profile of each forked server there (open it in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
  const child = fork(moduleUrl, [], {
    execArgv: ['--import', import.meta.resolve('tsx'), ...profile],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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
  return { child, ready };
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

export function toRun(label: string, roundNo: number, r: autocannon.Result): LoadRun {
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
      const run = toRun(v.label, r, await load(v.port, v.targets, opts));
      printRun(run);
      runs.push(run);
    }
  }
  return runs;
}

/** Medians over rounds: on a small shared machine one disturbed run should not decide a ratio. */
export function combine(runs: LoadRun[]): Combined {
  return {
    requestsPerSecond: round(median(runs.map((r) => r.requestsPerSecond)), 0),
    latencyP50Ms: round(median(runs.map((r) => r.latencyP50Ms)), 2),
    latencyP99Ms: round(median(runs.map((r) => r.latencyP99Ms)), 2),
  };
}

export function printRun(r: LoadRun): void {
  const problems = r.errors || r.non2xx ? `  errors ${r.errors}, non-2xx ${r.non2xx}` : '';
  line(
    `${r.label}, round ${r.round}`,
    `${r.requestsPerSecond} req/s  p50 ${r.latencyP50Ms} ms  p99 ${r.latencyP99Ms} ms  (${r.requests} requests)${problems}`,
  );
}

export function describe(c: Combined): string {
  return `${c.requestsPerSecond} req/s  p50 ${c.latencyP50Ms} ms  p99 ${c.latencyP99Ms} ms`;
}
