import { pathToFileURL } from 'node:url';
import { boot } from './boot.ts';
import { rootLogger } from './logger.ts';
import { jobDefs } from './queue/queue.ts';

/**
 * The worker process (Procfile `worker:`): runs the queue's jobs (e-mail, statements, reports,
 * reminders) and nothing else. Any number of workers share the queue; each job runs in one of them.
 * `npm start` runs the same workers inside the web process (WORKER_IN_WEB).
 */
async function main(): Promise<void> {
  const booted = await boot({ poolMax: 6, listenForChanges: true, queue: 'work' });
  rootLogger.info({ jobs: jobDefs().map((d) => d.name) }, 'worker running');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rootLogger.info({ signal }, 'worker shutting down: running jobs may finish');
    await booted.shutdown().catch((err) => rootLogger.error({ err }, 'shutdown failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    rootLogger.fatal({ err }, 'the worker failed to start');
    process.exit(1);
  });
}
