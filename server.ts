import type { Server } from 'node:http';
import { createApp } from './app/app.ts';
import { boot } from './app/boot.ts';
import { printDemo } from './app/cli.ts';
import { migrateAll } from './app/db/migrator.ts';
import { runSeeders } from './app/db/seeder.ts';
import { startScheduler } from './app/jobs/scheduler.ts';
import { rootLogger } from './app/logger.ts';
import { Tenant } from './app/models/index.ts';
import { attachRealtime } from './app/realtime/socket.ts';
import { demoAccounts, tenantUrl } from './app/services/demo.ts';
import { drain, listen } from './app/web-server.ts';
import { config } from './config/index.ts';

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The web process. On a fresh machine (no DATABASE_URL) it starts the embedded PostgreSQL, migrates,
 * creates the demo tenants when there are none, and serves.
 */
async function main(): Promise<void> {
  // `npm start` also runs the queue's workers; with a worker process, set WORKER_IN_WEB=false.
  const booted = await boot({ listenForChanges: true, queue: config.WORKER_IN_WEB ? 'work' : 'produce' });
  const migrated = await migrateAll();
  if (migrated.failed.length) {
    rootLogger.error(
      { failed: migrated.failed },
      'some tenant schemas failed to migrate; they stay on their old version',
    );
  }
  // The plan catalogue always; demo tenants make a fresh install explorable, a production database starts empty.
  const demo = config.NODE_ENV !== 'production' && (await Tenant.count()) === 0;
  if (demo) rootLogger.info('no tenants yet: creating the demo tenants');
  if ((await runSeeders({ demo })).demo) {
    process.stdout.write(`\nDemo tenants created. Every demo user's password is: ${config.DEMO_PASSWORD}\n`);
    printDemo(await demoAccounts(), (l) => process.stdout.write(`${l}\n`));
  }

  const app = createApp();
  let server: Server;
  try {
    server = await listen(app, config.PORT, config.BIND_HOST);
  } catch (err) {
    rootLogger.fatal({ port: config.PORT }, (err as Error).message);
    process.stderr.write(`${(err as Error).message}\n`);
    await booted.shutdown().catch(() => {});
    process.exit(1);
  }
  const realtime = await attachRealtime(server);
  // `npm start` is web and clock in one process; with a clock process, set CLOCK_IN_WEB=false.
  const scheduler = config.CLOCK_IN_WEB ? startScheduler() : null;
  const port = config.PORT;
  const tenants = await Tenant.findAll({ order: [['id', 'ASC']], limit: 5 });
  process.stdout.write(`\nSteward is running: http://${config.BASE_DOMAIN}:${port}\n`);
  for (const t of tenants) process.stdout.write(`  ${t.name}: ${tenantUrl(t.slug)}\n`);

  // Stop accepting, let requests in flight finish (10 s at most), send sockets to reconnect
  // elsewhere, stop the scheduler, close the pools, and stop the embedded PostgreSQL last.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rootLogger.info({ signal }, 'shutting down');
    const drained = drain(server, { graceMs: SHUTDOWN_GRACE_MS });
    await realtime.close().catch((err) => rootLogger.error({ err }, 'closing sockets failed'));
    await scheduler?.stop();
    if (!(await drained)) rootLogger.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'requests still open were cut off');
    await booted.shutdown().catch((err) => rootLogger.error({ err }, 'shutdown failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  rootLogger.fatal({ err }, 'Steward failed to start');
  process.exit(1);
});
