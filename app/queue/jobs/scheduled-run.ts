/**
 * A scheduled occurrence of a clock job (credit billing, the overdue check, cleanup…), run by a
 * worker: the clock's node-cron only queues it. The occurrence is still taken once across every
 * process by its `job_runs` slot (app/jobs/run-job.ts), so a retried or twice-queued occurrence runs
 * nothing the second time.
 */
import { JOBS } from '../../jobs/registry.ts';
import { runJob } from '../../jobs/run-job.ts';
import { rootLogger } from '../../logger.ts';
import { defineJob } from '../queue.ts';

export interface ScheduledRun {
  job: string;
  /** The cron slot, ISO 8601. */
  slot: string;
}

export const scheduledRunJob = defineJob<ScheduledRun>({
  name: 'scheduled-run',
  description: 'Runs one scheduled occurrence of a clock job (billing, reminders, cleanup).',
  retryLimit: 2,
  expireInSeconds: 60 * 60,
  async handler({ job: name, slot }) {
    const job = JOBS.find((j) => j.name === name);
    const at = new Date(slot);
    if (!job || Number.isNaN(at.getTime())) {
      rootLogger.warn({ job: name, slot }, 'scheduled run of an unknown job or slot: dropped');
      return;
    }
    await runJob(job, { triggeredBy: 'schedule', scheduledFor: at, now: at });
  },
});
