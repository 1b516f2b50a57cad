/**
 * `npm run bench`: creates a throwaway database, runs each benchmark in order, prints the numbers
 * and a JSON summary, and drops the database. Not part of `npm test`. Names after `--` run only
 * those benchmarks: `npm run bench -- members-finance`.
 *
 * The app reads its environment once, at the first import of config/index.ts, so everything the app
 * needs is set here before any app module is loaded (hence the dynamic imports).
 */

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createBenchDatabase } from './support/database.ts';
import { seconds } from './support/stats.ts';

const root = path.resolve(import.meta.dirname, '..');
const BENCHES = [
  'provisioning',
  'migrate',
  'home-page',
  'members-finance',
  'billing',
  'work',
  'api',
  'notifications',
  'jobs',
  'queue',
] as const;
const chosen = process.argv.slice(2);
for (const name of chosen)
  if (!(BENCHES as readonly string[]).includes(name)) {
    process.stderr.write(`unknown benchmark "${name}"; choose from: ${BENCHES.join(', ')}\n`);
    process.exit(2);
  }
const runs = (name: (typeof BENCHES)[number]) => chosen.length === 0 || chosen.includes(name);

// Other work on the machine (tests, builds) moves these numbers; the load average shows it.
function loadAverage(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}
const started = performance.now();

process.env.LOG_LEVEL = 'silent';
// Express caches compiled views only in production; a bench of the page should measure what serves.
process.env.NODE_ENV = process.env.BENCH_NODE_ENV ?? 'production';
// Production refuses to start without one; a fresh one per run is enough since no session outlives it.
process.env.SESSION_SECRET ??= randomBytes(32).toString('hex');
process.env.BASE_DOMAIN ??= 'localhost';

const database = await createBenchDatabase(root);
process.env.DATABASE_URL = database.url;
delete process.env.BENCH_DATABASE_URL;

let cleaning: Promise<void> | null = null;
async function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    const { closeDatabase } = await import('../app/db/database.ts');
    await closeDatabase().catch(() => {});
    await database.drop();
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // `on`, not `once`: Ctrl-C reaches both tsx and this process, and tsx relays it, so a second
  // signal arrives and would otherwise kill the process before the database is dropped.
  process.on(signal, () => {
    if (cleaning) return;
    process.stderr.write(`\n${signal}: cleaning up the bench database\n`);
    cleanup().finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  const { connectDatabase } = await import('../app/db/database.ts');
  const { migratePublic } = await import('../app/db/migrator.ts');
  const { config } = await import('../config/index.ts');
  const { provisioningBench } = await import('./provisioning.bench.ts');
  const { migrateBench } = await import('./migrate.bench.ts');
  const { homePageBench } = await import('./home-page.bench.ts');
  const { membersFinanceBench } = await import('./members-finance.bench.ts');
  const { billingBench } = await import('./billing.bench.ts');

  process.stdout.write('Steward benchmarks\n');
  process.stdout.write(`  server: ${database.server}\n`);
  process.stdout.write(`  cpus: ${os.cpus().length}, load average at start: ${loadAverage()}\n`);
  process.stdout.write(
    `  node ${process.version}, NODE_ENV=${process.env.NODE_ENV}, DB_POOL_MAX=${config.DB_POOL_MAX}, Redis ${config.REDIS_URL ? 'on' : 'off'}\n`,
  );

  connectDatabase({ url: database.url, poolMax: config.DB_POOL_MAX });
  await migratePublic();

  const provisioning = runs('provisioning') ? await provisioningBench({ existing: 200, timed: 50 }) : null;
  const migrate = runs('migrate') ? await migrateBench({ tenants: 200 }) : null;
  const homePage = runs('home-page') ? await homePageBench({ tenants: 100, connections: 16 }) : null;
  const membersFinance = runs('members-finance')
    ? await membersFinanceBench({ tenants: 3, connections: 16 })
    : null;
  const billing = runs('billing') ? await billingBench({ tenants: 10_000 }) : null;
  const work = runs('work') ? await (await import('./work.bench.ts')).workBench({ connections: 16 }) : null;
  const api = runs('api') ? await (await import('./api.bench.ts')).apiBench({ connections: 16 }) : null;
  const jobs = runs('jobs') ? await (await import('./jobs.bench.ts')).jobsBench({ tenants: 500 }) : null;
  const queue = runs('queue') ? await (await import('./queue.bench.ts')).queueBench({ people: 1000 }) : null;
  const notifications = runs('notifications')
    ? await (await import('./notifications.bench.ts')).notificationsBench({ sockets: 500 })
    : null;

  const targets = [
    provisioning,
    migrate,
    homePage,
    membersFinance,
    billing,
    work,
    api,
    notifications,
    jobs,
    queue,
  ].flatMap((b) => b?.targets ?? []);
  const wallMs = performance.now() - started;
  process.stdout.write('\n== Summary ==\n');
  for (const t of targets)
    process.stdout.write(`  ${t.ok ? 'PASS' : 'MISS'}  ${t.name}: ${t.actual} (target ${t.target})\n`);
  process.stdout.write(`  load average at the end: ${loadAverage()}\n`);
  process.stdout.write(`  total wall time: ${seconds(wallMs)}\n\n`);
  process.stdout.write(
    `${JSON.stringify({ server: database.server, wallMs: Math.round(wallMs), provisioning, migrate, homePage, membersFinance, billing, work, api, notifications, jobs, queue }, null, 2)}\n`,
  );
} catch (err) {
  exitCode = 1;
  // After a signal, the failure is only the interruption showing through.
  if (!cleaning)
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
} finally {
  await cleanup();
}
process.exit(exitCode);
