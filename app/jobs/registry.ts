import { cleanup } from './cleanup.ts';
import { creditBilling } from './credit-billing.ts';
import { dueSoon } from './due-soon.ts';
import { overdueTasks } from './overdue-tasks.ts';
import { type Job, type RunOptions, type RunOutcome, runJob } from './run-job.ts';
import { trialExpiry } from './trial-expiry.ts';

/** Every scheduled job. A new job is one file under app/jobs/ exporting a Job, added here. */
export const JOBS: readonly Job[] = [creditBilling, trialExpiry, overdueTasks, dueSoon, cleanup];

export function findJob(name: string): Job | undefined {
  return JOBS.find((j) => j.name === name);
}

/** Runs the named job now (under its lock); undefined when no job has that name. */
export async function runJobNamed(name: string, opts: RunOptions): Promise<RunOutcome | undefined> {
  const job = findJob(name);
  return job ? runJob(job, opts) : undefined;
}
