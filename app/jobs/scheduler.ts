import cron, { type ScheduledTask } from 'node-cron';
import { config } from '../../config/index.ts';
import { rootLogger } from '../logger.ts';
import { JOBS } from './registry.ts';
import { type Job, runJob } from './run-job.ts';

export interface Scheduler {
  tasks: ScheduledTask[];
  stop(): Promise<void>;
}

/**
 * Schedules every job with node-cron in BILLING_TIMEZONE. Each process that calls this schedules
 * them all; the advisory lock in runJob makes sure one process runs a given occurrence, and the
 * jobs are idempotent, so a late second clock changes nothing.
 */
export function startScheduler(jobs: readonly Job[] = JOBS): Scheduler {
  const log = rootLogger.child({ component: 'scheduler' });
  const tasks = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        // runJob records its own failures; this only catches a lost database connection and the like.
        await runJob(job, { triggeredBy: 'schedule' }).catch((err: unknown) =>
          log.error({ err, job: job.name }, 'scheduled run failed to start'),
        );
      },
      { name: job.name, timezone: config.BILLING_TIMEZONE, noOverlap: true },
    ),
  );
  log.info(
    { jobs: jobs.map((j) => `${j.name} (${j.schedule})`), timezone: config.BILLING_TIMEZONE },
    'scheduler started',
  );
  return {
    tasks,
    async stop() {
      for (const task of tasks) await task.destroy();
    },
  };
}
