import { pathToFileURL } from 'node:url';
import { boot } from './boot.ts';
import { startScheduler } from './jobs/scheduler.ts';
import { rootLogger } from './logger.ts';

/**
 * The clock process (Procfile `clock:`): runs the scheduled jobs and nothing else. Migrations are
 * the release step's; `npm start` runs the same scheduler inside the web process.
 */
async function main(): Promise<void> {
  const booted = await boot({ poolMax: 4, listenForChanges: true });
  const scheduler = startScheduler();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rootLogger.info({ signal }, 'clock shutting down');
    await scheduler.stop();
    await booted.shutdown().catch((err) => rootLogger.error({ err }, 'shutdown failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    rootLogger.fatal({ err }, 'the clock failed to start');
    process.exit(1);
  });
}
