import { cleanup } from './cleanup.ts';
import { creditBilling } from './credit-billing.ts';
import { dueSoon } from './due-soon.ts';
import { overdueTasks } from './overdue-tasks.ts';
import type { Job } from './run-job.ts';
import { trialExpiry } from './trial-expiry.ts';

/** Every scheduled job. A new job is one file under app/jobs/ exporting a Job, added here. */
export const JOBS: readonly Job[] = [creditBilling, trialExpiry, overdueTasks, dueSoon, cleanup];

export function findJob(name: string): Job | undefined {
  return JOBS.find((j) => j.name === name);
}
