import { parseArgs } from 'node:util';
import type { CliIo } from '../cli.ts';
import { JobRun } from '../models/job-run.ts';
import { findJob, JOBS } from './registry.ts';
import { runJob } from './run-job.ts';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** `job:run <name> [--date YYYY-MM-DD]`: runs a job now, as the schedule would (under its lock). */
export async function jobRun(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { date: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const name = positionals[0];
  const job = name ? findJob(name) : undefined;
  if (!job) {
    io.err(
      `error: ${name ? `no job "${name}"` : 'give the name of a job'}; jobs: ${JOBS.map((j) => j.name).join(', ')}`,
    );
    return 2;
  }
  const date = values.date;
  if (date !== undefined && (!DATE_RE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))) {
    io.err('error: --date: must be a day such as 2026-11-23');
    return 2;
  }
  const outcome = await runJob(job, {
    triggeredBy: 'cli',
    ...(date ? { day: date, now: new Date(`${date}T12:00:00Z`) } : {}),
  });
  if (outcome.skipped) {
    io.err(`${job.name}: another process is running it now; nothing was done.`);
    return 1;
  }
  const { run } = outcome;
  io.out(
    `${job.name}: ${run.status}, ${run.tenantsDone} tenants done, ${run.failures.length} failures (run ${run.id})`,
  );
  for (const f of run.failures) io.err(`  ${f.tenant ?? '(run)'}: ${f.message}`);
  return run.status === 'succeeded' ? 0 : 1;
}

/** `job:list`: each job with its schedule and last run. */
export async function jobList(_args: string[], io: CliIo): Promise<number> {
  const last = await JobRun.lastOf(JOBS.map((j) => j.name));
  for (const job of JOBS) {
    const run = last.get(job.name);
    const lastRun = run ? `last run ${run.startedAt.toISOString()} ${run.status}` : 'never run';
    io.out(`${job.name.padEnd(16)} ${job.schedule.padEnd(12)} ${lastRun}`);
    io.out(`  ${job.description}`);
  }
  return 0;
}
