import type { Request, Response } from 'express';
import { z } from 'zod';
import { config } from '../../../config/index.ts';
import { JOBS } from '../../jobs/registry.ts';
import { JobRun } from '../../models/job-run.ts';

const RUNS_PER_PAGE = 25;
const querySchema = z.object({ page: z.coerce.number().int().min(1).max(100_000).catch(1) });

// GET /admin/jobs: the jobs, their last run, and the recent runs with their failures.
export async function index(req: Request, res: Response): Promise<void> {
  const { page } = querySchema.parse(req.query);
  const [last, runs] = await Promise.all([
    JobRun.lastOf(JOBS.map((j) => j.name)),
    JobRun.recent({ limit: RUNS_PER_PAGE, offset: (page - 1) * RUNS_PER_PAGE }),
  ]);
  res.render('admin/jobs/index', {
    title: 'Jobs',
    jobs: JOBS,
    timezone: config.BILLING_TIMEZONE,
    last,
    runs: runs.rows,
    page,
    pages: Math.max(1, Math.ceil(runs.count / RUNS_PER_PAGE)),
    pageUrl: (n: number) => `/admin/jobs?page=${n}`,
  });
}
