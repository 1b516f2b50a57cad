/**
 * Giving statements through the job queue: one "E-mail all" of 1,000 people, each one job, sent by
 * worker processes (app/worker.ts, forked as in production) to a local SMTP sink that counts what
 * it accepts; once with one worker and once with two. Measured from the request's enqueue to the
 * last message accepted, in jobs per second. Target: 1,000 statements in under 60 s with one worker.
 *
 * Then a notification's way from a process without sockets (this one, as the clock or a worker) to
 * a page's socket on a forked web process: through the Redis emitter when REDIS_URL is set,
 * PostgreSQL NOTIFY otherwise; from the call to notify() (save, then relay) to the socket's event,
 * one at a time. Target: p99 within 1 s.
 *
 * BENCH_QUEUE_CONCURRENCY and BENCH_QUEUE_POLL_SECONDS set the workers' QUEUE_CONCURRENCY and
 * QUEUE_POLL_SECONDS (the app's defaults otherwise). A run that has not finished within
 * BENCH_QUEUE_LIMIT_S seconds (default 120) stops there and reports its rate so far.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { QueryTypes } from 'sequelize';
import { SMTPServer } from 'smtp-server';
import { db } from '../app/db/database.ts';
import { closeRedis, connectRedis } from '../app/db/redis.ts';
import '../app/queue/registry.ts';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { User } from '../app/models/index.ts';
import { queueMailing } from '../app/queue/jobs/statement-email.ts';
import { startQueue, stopQueue } from '../app/queue/queue.ts';
import { type NotificationPayload, notify, setPublisher } from '../app/services/notifications.ts';
import { provisionTenant } from '../app/services/provisioning.ts';
import { type TenantRef, withTenant } from '../app/tenancy/context.ts';
import { config } from '../config/index.ts';
import { signIn, startServer } from './support/load.ts';
import { line, ms, quantile, round, seconds, section, type TargetCheck, target } from './support/stats.ts';
import { allTenants, benchPasswordHash, hostOf } from './support/tenants.ts';

export interface QueueRun {
  workers: number;
  jobs: number;
  delivered: number;
  enqueueMs: number;
  totalMs: number;
  jobsPerSecond: number;
  finished: boolean;
}

export interface QueueBenchResult {
  people: number;
  concurrency: number;
  pollSeconds: number;
  runs: QueueRun[];
  notificationLatency: {
    transport: 'redis' | 'postgres';
    n: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
  };
  targets: TargetCheck[];
}

const TARGET_MS = 60_000;
const NOTIFY_P99_MS = 1000;
const SLUG = 'bench-statements';

/** An SMTP server that accepts everything and counts the statements (other mail is not counted). */
async function startSink(): Promise<{ port: number; count: () => number; stop: () => Promise<void> }> {
  let count = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const statement = session.envelope.rcptTo.some((r) => r.address.endsWith('@bench-statements.test'));
      stream.on('data', () => {});
      stream.on('end', () => {
        if (statement) count += 1;
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
  return {
    port,
    count: () => count,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Forks app/worker.ts and waits until it says it runs. */
async function startWorker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = fork(new URL('../app/worker.ts', import.meta.url), [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: { ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the worker did not start in 60 s')), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited early (code ${code})`));
    });
    if (child.stdout)
      createInterface({ input: child.stdout }).on('line', (l) => {
        if (l.includes('worker running')) {
          clearTimeout(timer);
          resolve();
        }
      });
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function benchTenant(people: number): Promise<TenantRef> {
  let tenant = (await allTenants()).find((t) => t.slug === SLUG);
  if (!tenant) {
    await provisionTenant(
      { slug: SLUG, name: 'Bench Statements', kind: 'church', adminEmail: `admin@${SLUG}.test` },
      { adminPasswordHash: await benchPasswordHash() },
    );
    tenant = (await allTenants()).find((t) => t.slug === SLUG);
  }
  if (!tenant) throw new Error('the bench tenant was not created');
  await withTenant(tenant, async () => {
    await db().query(
      `WITH f AS (SELECT min(id) AS id FROM funds),
            m AS (INSERT INTO members (first_name, last_name, email, created_at, updated_at)
                  SELECT 'Giver' || g, 'Bench', 'giver' || g || '@bench-statements.test', now(), now()
                    FROM generate_series(1, $1::int) g RETURNING id)
       INSERT INTO contributions (member_id, fund_id, amount_cents, received_on, method, created_at, updated_at)
       SELECT m.id, f.id, 1000 + m.id % 997, '2025-06-01', 'cash', now(), now() FROM m, f`,
      { bind: [people] },
    );
  });
  return tenant;
}

async function sentCount(tenant: TenantRef): Promise<number> {
  const [row] = await withTenant(tenant, () =>
    db().query<{ n: number }>(
      'SELECT count(*)::int AS n FROM statement_sendings WHERE year = 2025 AND sent_at IS NOT NULL',
      { type: QueryTypes.SELECT },
    ),
  );
  return row?.n ?? 0;
}

export async function queueBench(opts: { people?: number } = {}): Promise<QueueBenchResult> {
  const people = opts.people ?? 1000;
  const concurrency = Number(process.env.BENCH_QUEUE_CONCURRENCY ?? config.QUEUE_CONCURRENCY);
  const pollSeconds = Number(process.env.BENCH_QUEUE_POLL_SECONDS ?? config.QUEUE_POLL_SECONDS);
  const limitMs = Number(process.env.BENCH_QUEUE_LIMIT_S ?? 120) * 1000;
  section(`Job queue: ${people} giving statements e-mailed by worker processes`);
  line('workers', `QUEUE_CONCURRENCY=${concurrency}, QUEUE_POLL_SECONDS=${pollSeconds}`);
  const sink = await startSink();
  const tenant = await benchTenant(people);
  await startQueue({ databaseUrl: config.DATABASE_URL ?? '', work: false });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    QUEUE_CONCURRENCY: String(concurrency),
    QUEUE_POLL_SECONDS: String(pollSeconds),
    CLOCK_IN_WEB: 'false',
  };
  const runs: QueueRun[] = [];
  try {
    for (const workers of [1, 2]) {
      await withTenant(tenant, () => db().query('DELETE FROM statement_sendings'));
      const children = await Promise.all(Array.from({ length: workers }, () => startWorker(env)));
      try {
        const before = sink.count();
        const started = performance.now();
        const result = await withTenant(tenant, () => queueMailing(2025, { userId: null }));
        const enqueueMs = performance.now() - started;
        if (result.queued !== people) throw new Error(`queued ${result.queued} of ${people}`);
        let finished = false;
        while (performance.now() - started < limitMs) {
          if (sink.count() - before >= people && (await sentCount(tenant)) >= people) {
            finished = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        const totalMs = performance.now() - started;
        const delivered = sink.count() - before;
        const run: QueueRun = {
          workers,
          jobs: people,
          delivered,
          enqueueMs: Math.round(enqueueMs),
          totalMs: Math.round(totalMs),
          jobsPerSecond: round(delivered / (totalMs / 1000)),
          finished,
        };
        runs.push(run);
        line(`${workers} worker${workers === 1 ? '' : 's'}: queued (one request)`, seconds(enqueueMs));
        line(
          `${workers} worker${workers === 1 ? '' : 's'}: ${finished ? 'all sent' : `stopped at ${seconds(limitMs)}`}`,
          `${delivered} of ${people} in ${seconds(totalMs)}, ${run.jobsPerSecond} jobs/s`,
        );
      } finally {
        await Promise.all(children.map(stopWorker));
      }
      // What the stopped workers left (a run cut short) must not leak into the next run.
      await db().query("DELETE FROM pgboss.job WHERE name = 'statement-email'");
    }
  } finally {
    await stopQueue();
    await sink.stop();
  }
  const latency = await notificationLatency(tenant, 200);
  const one = runs[0];
  const projected = one.finished ? one.totalMs : (people / Math.max(one.jobsPerSecond, 0.001)) * 1000;
  return {
    people,
    concurrency,
    pollSeconds,
    runs,
    notificationLatency: latency,
    targets: [
      target(
        `${people} statement e-mails with one worker`,
        `< ${seconds(TARGET_MS)}`,
        one.finished
          ? seconds(one.totalMs)
          : `~${seconds(projected)} (projected from ${one.jobsPerSecond} jobs/s)`,
        one.finished && one.totalMs < TARGET_MS,
      ),
      target(
        `notification from another process to an open socket (${latency.transport}), p99`,
        `≤ ${ms(NOTIFY_P99_MS)}`,
        ms(latency.p99Ms),
        latency.p99Ms <= NOTIFY_P99_MS,
      ),
    ],
  };
}

/**
 * `count` notifications made here, one at a time, to the tenant's admin, whose page holds a socket
 * on a forked web process: from notify() to the event's arrival.
 */
async function notificationLatency(
  tenant: TenantRef,
  count: number,
): Promise<QueueBenchResult['notificationLatency']> {
  const transport = config.REDIS_URL ? 'redis' : 'postgres';
  // This process has no socket server: what it makes goes out through the relay, as the clock's does.
  setPublisher(null);
  // The emitter publishes through this process's Redis client, as the clock's does.
  const redis = config.REDIS_URL ? await connectRedis() : null;
  const { child, ready } = await startServer(new URL('./support/realtime-server.ts', import.meta.url));
  let socket: Socket | null = null;
  try {
    const host = hostOf(SLUG);
    const email = `admin@${SLUG}.test`;
    const cookie = await signIn(ready.port, host, email);
    const admin = await withTenant(tenant, () => User.findOne({ where: { email } }));
    if (!admin) throw new Error('no bench admin');
    socket = connectSocket(`http://127.0.0.1:${ready.port}`, {
      transports: ['websocket'],
      extraHeaders: { host, cookie },
      reconnection: false,
      forceNew: true,
      timeout: 10_000,
    });
    const open = socket;
    await new Promise<void>((resolve, reject) => {
      open.once('connect', () => resolve());
      open.once('connect_error', (err) => reject(err));
    });
    const waiting = new Map<string, (at: number) => void>();
    open.on('notification', (p: NotificationPayload) => waiting.get(p.title)?.(performance.now()));
    const deliver = async (title: string): Promise<number> => {
      const arrival = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${title} did not arrive within 10 s`)), 10_000);
        waiting.set(title, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const start = performance.now();
      await withTenant(tenant, () => notify({ userId: admin.id, kind: 'task.assigned', title }));
      const at = await arrival;
      waiting.delete(title);
      return at - start;
    };
    for (let i = 0; i < 10; i++) await deliver(`warm ${i}`);
    const values: number[] = [];
    for (let i = 0; i < count; i++) values.push(await deliver(`cross ${i}`));
    const result = {
      transport: transport as 'redis' | 'postgres',
      n: values.length,
      p50Ms: round(quantile(values, 0.5)),
      p99Ms: round(quantile(values, 0.99)),
      maxMs: round(Math.max(...values)),
    };
    line(
      `notification, this process → web process socket (${transport})`,
      `p50 ${ms(result.p50Ms)}  p99 ${ms(result.p99Ms)}  max ${ms(result.maxMs)}  (n=${result.n})`,
    );
    return result;
  } finally {
    socket?.close();
    if (redis) await closeRedis();
    child.send('stop');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 15_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
