import type { Request, Response } from 'express';
import { NotFound } from '../../errors.ts';
import { log } from '../../logger.ts';
import { currentAdmin } from '../../middleware/auth.ts';
import {
  discardFailedJob,
  failedJobs,
  isJobId,
  JOB_STATES,
  queueCounts,
  queueOfJob,
  retryFailedJob,
} from '../../services/queue-admin.ts';

/**
 * The job queue as operators see it: counts by state per queue, the latest failed jobs, and retrying
 * or discarding one. The platform has no audit table: each action is a log line, as the other admin
 * actions are.
 */

// GET /admin/queue
export async function index(_req: Request, res: Response): Promise<void> {
  await render(res, 200);
}

// POST /admin/queue/:queue/jobs/:id/retry
export async function retry(req: Request, res: Response): Promise<void> {
  const { queue, id } = await failedJobParams(req);
  if (!confirmed(req)) return render(res, 422, `Tick "I am sure" to retry job ${id}.`);
  const done = await retryFailedJob(queue, id);
  if (done) logAction(req, 'queue.job.retry', queue, id);
  req.flash('success', done ? `Job ${id} is queued again.` : `Job ${id} is no longer failed.`);
  res.redirect('/admin/queue');
}

// POST /admin/queue/:queue/jobs/:id/delete
export async function destroy(req: Request, res: Response): Promise<void> {
  const { queue, id } = await failedJobParams(req);
  if (!confirmed(req)) return render(res, 422, `Tick "I am sure" to discard job ${id}.`);
  const done = await discardFailedJob(queue, id);
  if (done) logAction(req, 'queue.job.discard', queue, id);
  req.flash('success', done ? `Job ${id} was discarded.` : `Job ${id} is no longer failed.`);
  res.redirect('/admin/queue');
}

async function render(res: Response, status: number, error?: string): Promise<void> {
  const [queues, failed] = await Promise.all([queueCounts(), failedJobs(50)]);
  res.status(status).render('admin/queue/index', {
    title: 'Queue',
    queues,
    failed,
    states: JOB_STATES,
    error: error ?? null,
  });
}

/** Each action asks for a ticked "I am sure" box, so a stray click changes nothing. */
function confirmed(req: Request): boolean {
  return (req.body as { confirm?: unknown } | undefined)?.confirm === 'yes';
}

/** The queue and job id of the URL; a 404 unless that job is in that queue. */
async function failedJobParams(req: Request): Promise<{ queue: string; id: string }> {
  const queue = String(req.params.queue);
  const id = String(req.params.id).toLowerCase();
  if (!isJobId(id) || (await queueOfJob(id)) !== queue) throw new NotFound();
  return { queue, id };
}

function logAction(req: Request, action: string, queue: string, jobId: string): void {
  log().info({ admin: currentAdmin(req)?.email ?? null, action, queue, jobId }, `platform admin: ${action}`);
}
