/**
 * The hourly overdue-tasks job over many tenant schemas: `tenants` real schemas, each with one
 * project and one overdue task assigned to its admin. The first run chases every task (a
 * notification and an e-mail each, to the outbox when SMTP_URL is unset); the second finds nothing
 * to do, which is what most hours cost. Target: the second run over 500 schemas within 2 s.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { db } from '../app/db/database.ts';
import { overdueTasks } from '../app/jobs/overdue-tasks.ts';
import { runJob } from '../app/jobs/run-job.ts';
import { withTenant } from '../app/tenancy/context.ts';
import { config } from '../config/index.ts';
import { line, seconds, section, type TargetCheck, target, timed } from './support/stats.ts';
import { ensureTenants, inParallel } from './support/tenants.ts';

export interface JobsBenchResult {
  tenants: number;
  firstRunMs: number;
  idleRunMs: number;
  tenantsDone: number;
  targets: TargetCheck[];
}

const TARGET_MS = 2000;

async function run(): Promise<{ ms: number; done: number }> {
  const outcome = await timed(() => runJob(overdueTasks, { triggeredBy: 'bench' }));
  if (outcome.value.skipped) throw new Error('the overdue-tasks run was skipped');
  if (outcome.value.run.status !== 'succeeded')
    throw new Error(
      `the run ended ${outcome.value.run.status}: ${JSON.stringify(outcome.value.run.failures)}`,
    );
  return { ms: outcome.ms, done: outcome.value.run.tenantsDone };
}

export async function jobsBench(opts: { tenants?: number } = {}): Promise<JobsBenchResult> {
  const count = opts.tenants ?? 500;
  section(`Overdue tasks: the hourly job over ${count} tenant schemas`);
  const fill = await timed(async () => {
    const tenants = (await ensureTenants(count)).slice(0, count);
    await inParallel(tenants, 4, (tenant) =>
      withTenant(tenant, async () => {
        await db().query(
          `WITH p AS (INSERT INTO projects (name, owner_id, status, created_at, updated_at)
                      SELECT 'Bench project', min(id), 'active', now(), now() FROM users RETURNING id, owner_id)
           INSERT INTO tasks (project_id, title, assignee_id, due_at, status, priority, created_at, updated_at)
           SELECT id, 'Overdue bench task', owner_id, now() - interval '2 hours', 'todo', 'medium', now(), now() FROM p`,
        );
      }),
    );
    return tenants;
  });
  line('schemas, projects and tasks (set-up)', seconds(fill.ms));
  const first = await run();
  line('first run: every task chased', seconds(first.ms));
  const idle = await run();
  line('second run: nothing left to chase', seconds(idle.ms));
  if (!config.SMTP_URL)
    await inParallel(fill.value, 8, (t) =>
      rm(path.join(config.dataDir, 'outbox', t.schema), { recursive: true, force: true }),
    );
  return {
    tenants: count,
    firstRunMs: Math.round(first.ms),
    idleRunMs: Math.round(idle.ms),
    tenantsDone: first.done,
    targets: [
      target(
        `overdue-tasks with nothing to do over ${count} schemas`,
        `≤ ${seconds(TARGET_MS)}`,
        seconds(idle.ms),
        idle.ms <= TARGET_MS,
      ),
    ],
  };
}
