import type { Logger } from 'pino';
import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { withAdvisoryLock } from '../db/locks.ts';
import { rootLogger } from '../logger.ts';
import { type JobFailure, JobRun } from '../models/job-run.ts';
import { PlatformAdmin } from '../models/platform-admin.ts';
import type { Tenant } from '../models/tenant.ts';
import { billingDay } from '../services/billing.ts';
import { sendMail } from '../services/mailer.ts';
import { hostUrl } from '../services/urls.ts';
import { runInContext, withTenant } from '../tenancy/context.ts';

/** What a job's `run` is given. */
export interface JobContext {
  job: string;
  /** The job_runs row of this run (what claims outbox rows while it runs). */
  runId: string;
  /** The moment the run is for (the CLI's --date moves it). */
  now: Date;
  /** The billing day of `now` in BILLING_TIMEZONE. */
  day: string;
  log: Logger;
  /** Counts tenants finished by set-based work. */
  done(count: number): void;
  /** Records a failure; `tenant` is a slug, or null for a failure of no one tenant. */
  fail(tenant: string | null, err: unknown): void;
  /**
   * Runs `fn` for each tenant inside `withTenant`, one at a time. A tenant that throws is recorded
   * and the loop goes on. Answers how many succeeded (the caller decides whether they count as done).
   */
  eachTenant(tenants: Tenant[], fn: (tenant: Tenant) => Promise<void>): Promise<number>;
}

/** A scheduled job: one file each under app/jobs/, listed in registry.ts. */
export interface Job {
  name: string;
  /** A cron expression, read in BILLING_TIMEZONE. */
  schedule: string;
  description: string;
  run(ctx: JobContext): Promise<void>;
}

export interface RunOptions {
  /** "schedule", "cli" or "admin <e-mail>". */
  triggeredBy: string;
  now?: Date;
  /** The billing day to run for; defaults to the billing day of `now`. */
  day?: string;
  /**
   * The cron slot of a scheduled run: the run happens only if no run of the job took that slot
   * yet. Manual runs (CLI, admin) leave it unset and always run.
   */
  scheduledFor?: Date;
}

/** `busy`: another process holds the job's lock; `done`: the occurrence has had its run. */
export type RunOutcome = { skipped: true; reason: 'busy' | 'done' } | { skipped: false; run: JobRun };

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 500);
}

/** The advisory lock key of a job: one runner across every process and machine. */
export function lockKey(job: string): string {
  return `steward:job:${job}`;
}

/**
 * Runs a job now, under its PostgreSQL advisory lock: when another process holds it, the run is
 * skipped (`busy`). Otherwise a job_runs row records the start, the end, the tenants done and each
 * failure; a throw from the job itself marks the run failed (and is not rethrown). A scheduled run
 * first takes its occurrence (the unique (job, scheduled_for) row): a slot already run is skipped
 * (`done`), so a second clock that fires late runs nothing, where the lock alone would let it run
 * again once the first run had finished.
 */
export async function runJob(job: Job, opts: RunOptions): Promise<RunOutcome> {
  const now = opts.now ?? new Date();
  const log = rootLogger.child({ job: job.name });
  return runInContext({ tenant: null, log, actor: { id: null, name: `job ${job.name}` } }, async () => {
    const locked = await withAdvisoryLock(
      lockKey(job.name),
      async () => {
        const interrupted = await JobRun.closeInterrupted(job.name);
        if (interrupted) log.warn({ interrupted }, 'earlier runs were interrupted');
        const run = opts.scheduledFor
          ? await JobRun.startOccurrence(job.name, opts.scheduledFor, opts.triggeredBy)
          : await JobRun.create({ job: job.name, triggeredBy: opts.triggeredBy, finishedAt: null });
        if (!run) {
          log.info({ scheduledFor: opts.scheduledFor }, 'this occurrence has run already: skipped');
          return null;
        }
        let done = 0;
        const failures: JobFailure[] = [];
        const fail = (tenant: string | null, err: unknown) => {
          failures.push({ tenant, message: messageOf(err) });
          log.error({ err, tenant }, 'job failure');
        };
        const ctx: JobContext = {
          job: job.name,
          runId: String(run.id),
          now,
          day: opts.day ?? billingDay(now),
          log,
          done: (count) => {
            done += count;
          },
          fail,
          async eachTenant(tenants, fn) {
            let succeeded = 0;
            for (const tenant of tenants) {
              try {
                await withTenant(tenant.toRef(), () => fn(tenant));
                succeeded += 1;
              } catch (err) {
                fail(tenant.slug, err);
              }
            }
            return succeeded;
          },
        };
        const started = Date.now();
        let crashed = false;
        try {
          await job.run(ctx);
        } catch (err) {
          crashed = true;
          fail(null, err);
        }
        await finishRun(run, { tenantsDone: done, failures, crashed });
        log.info(
          { status: run.status, tenantsDone: done, failures: failures.length, ms: Date.now() - started },
          'job run finished',
        );
        return run;
      },
      { wait: false },
    );
    if (!locked.acquired) {
      log.info('another process is running this job: skipped');
      return { skipped: true, reason: 'busy' } as const;
    }
    if (!locked.value) return { skipped: true, reason: 'done' } as const;
    return { skipped: false, run: locked.value } as const;
  });
}

const FAILURES_IN_MAIL = 20;

/**
 * Records the end of a run and, when it ended failed or partial, queues an e-mail to every active
 * platform admin in the same transaction: the record and its alert commit together. When the
 * alert cannot be queued, the end is still recorded (and the problem logged).
 */
async function finishRun(
  run: JobRun,
  outcome: { tenantsDone: number; failures: JobFailure[]; crashed: boolean },
): Promise<void> {
  try {
    await db().transaction(async () => {
      await run.finish(outcome);
      if (run.status !== 'succeeded') await tellPlatformAdmins(run);
    });
  } catch (err) {
    rootLogger.error(
      { err, job: run.job, runId: run.id },
      'could not tell the platform admins about a failed run',
    );
    // The rolled-back end is written again, from the row as it is.
    await run.reload();
    await run.finish(outcome);
  }
}

/** Queues an e-mail to every active platform admin that a run ended failed or partial. */
async function tellPlatformAdmins(run: JobRun): Promise<void> {
  const admins = await PlatformAdmin.findAll({ where: { active: true }, order: [['id', 'ASC']] });
  const locals = {
    job: run.job,
    status: run.status,
    runId: run.id,
    startedAt: run.startedAt.toISOString(),
    tenantsDone: run.tenantsDone,
    failures: run.failures.slice(0, FAILURES_IN_MAIL),
    more: Math.max(0, run.failures.length - FAILURES_IN_MAIL),
    url: hostUrl(config.BASE_DOMAIN, '/admin/jobs'),
  };
  const subject = `Steward job ${run.job} ${run.status === 'failed' ? 'failed' : 'ended with failures'}`;
  for (const admin of admins) await sendMail({ to: admin.email, subject, template: 'job-failed', locals });
}
