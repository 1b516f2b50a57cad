import cron, { type ScheduledTask } from 'node-cron';
import { config } from '../../config/index.ts';
import { rootLogger } from '../logger.ts';
import { scheduledRunJob } from '../queue/jobs/scheduled-run.ts';
import { enqueue, PRIORITY, queueStarted } from '../queue/queue.ts';
import { withoutTenant } from '../tenancy/context.ts';
import { JOBS } from './registry.ts';
import { type Job, type RunOutcome, runJob } from './run-job.ts';

export interface Scheduler {
  tasks: ScheduledTask[];
  stop(): Promise<void>;
}

/** How far before a fire time its cron slot is looked for: a clock this late still names its slot. */
export const SLOT_SEARCH_SECONDS = 60;

/**
 * The cron slot a fire time belongs to: the latest second at or before `firedAt` that the task's
 * cron expression matches in its time zone (node-cron hands the task its slot; a caller with only
 * a wall-clock time a few seconds late gets the same answer). Falls back to `firedAt`'s second when
 * no slot is that close.
 */
export function scheduledSlot(task: Pick<ScheduledTask, 'match'>, firedAt: Date): Date {
  const second = Math.floor(firedAt.getTime() / 1000) * 1000;
  for (let back = 0; back <= SLOT_SEARCH_SECONDS; back++) {
    const candidate = new Date(second - back * 1000);
    if (task.match(candidate)) return candidate;
  }
  return new Date(second);
}

/**
 * Runs the occurrence of `job` that `task` fired at `firedAt`, once across every process: the run
 * takes the (job, slot) row first, so a second clock, even one that fires after the first run has
 * finished, finds the slot taken and runs nothing.
 */
export function runOccurrence(
  job: Job,
  task: Pick<ScheduledTask, 'match'>,
  firedAt: Date,
): Promise<RunOutcome> {
  const slot = scheduledSlot(task, firedAt);
  return runJob(job, { triggeredBy: 'schedule', scheduledFor: slot, now: slot });
}

/**
 * What a fire does: a job of the registry is queued for a worker (the clock only queues; its slot
 * is the singleton key, so two clocks queue it once), unless this process has no queue; any other
 * job (a test's) runs here.
 */
export async function fireOccurrence(
  job: Job,
  task: Pick<ScheduledTask, 'match'>,
  firedAt: Date,
): Promise<unknown> {
  if (!queueStarted() || !JOBS.includes(job)) return runOccurrence(job, task, firedAt);
  const slot = scheduledSlot(task, firedAt).toISOString();
  return withoutTenant(() =>
    enqueue(
      scheduledRunJob,
      { job: job.name, slot },
      { singletonKey: `${job.name}@${slot}`, priority: PRIORITY.urgent },
    ),
  );
}

/**
 * Schedules every job with node-cron in BILLING_TIMEZONE. Each process that calls this schedules
 * them all; each occurrence runs once wherever it fires first (see runOccurrence), and the advisory
 * lock in runJob keeps two runs of one job from overlapping.
 */
export function startScheduler(jobs: readonly Job[] = JOBS): Scheduler {
  const log = rootLogger.child({ component: 'scheduler' });
  const tasks = jobs.map((job) => {
    const task: ScheduledTask = cron.schedule(
      job.schedule,
      async (context) => {
        // runJob records its own failures; this only catches a lost database connection and the like.
        await fireOccurrence(job, task, context.date).catch((err: unknown) =>
          log.error({ err, job: job.name }, 'scheduled run failed to start'),
        );
      },
      { name: job.name, timezone: config.BILLING_TIMEZONE, noOverlap: true },
    );
    return task;
  });
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
