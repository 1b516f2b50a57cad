import type { Request, Response } from 'express';
import { NotFound } from '../../errors.ts';
import { findJob } from '../../jobs/registry.ts';
import { runJob } from '../../jobs/run-job.ts';
import { log } from '../../logger.ts';
import { currentAdmin } from '../../middleware/auth.ts';
import { JobRun } from '../../models/job-run.ts';

// POST /admin/jobs/:name/run: starts a run now; the page lists it while it runs and when it ends.
export async function create(req: Request, res: Response): Promise<void> {
  const job = findJob(String(req.params.name));
  if (!job) throw new NotFound();
  if (await JobRun.isRunning(job.name)) {
    req.flash('info', `${job.name} is already running.`);
    return res.redirect('/admin/jobs');
  }
  const triggeredBy = `admin ${currentAdmin(req)?.email ?? ''}`.trim();
  // A run can take a while over many tenants: it goes on after the answer, and records its own outcome.
  runJob(job, { triggeredBy }).catch((err: unknown) => log().error({ err, job: job.name }, 'job run failed'));
  req.flash('success', `${job.name} was started. Its run appears below; reload to follow it.`);
  res.redirect('/admin/jobs');
}
