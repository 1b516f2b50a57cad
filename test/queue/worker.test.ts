import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import type { Tenant } from '../../app/models/index.ts';
import { enqueue, type JobDef, QUEUE_SCHEMA, queueBoss } from '../../app/queue/queue.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { CRASH_JOB, RECORD_JOB, type RecordPayload, TEST_TABLES } from '../fixtures/queue-jobs.ts';
import { createTenant } from '../support/factories.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The test process only queues these (it does not declare them, so it never runs them): the
// worker processes below declare and run them.
const stub = (name: string) =>
  ({ name, description: name, handler: async () => {} }) as JobDef<RecordPayload>;
const recordJob = stub(RECORD_JOB);
const crashJob = stub(CRASH_JOB);

interface Worker {
  proc: ChildProcess;
  exited: Promise<unknown>;
}

function startWorker(): Promise<Worker> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(config.root, 'test/fixtures/queue-worker.ts')],
    {
      cwd: config.root,
      env: { ...process.env, QUEUE_CONCURRENCY: '4', QUEUE_POLL_SECONDS: '0.5' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the worker did not start')), 30_000);
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve({ proc, exited });
      }
    });
    proc.once('exit', (code) => reject(new Error(`the worker exited (${code})`)));
  });
}

async function rows<T extends object>(sql: string, bind: unknown[] = []): Promise<T[]> {
  return db().query<T>(sql, { bind, type: QueryTypes.SELECT });
}

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

function queueIn(tenant: Tenant, def: JobDef<RecordPayload>): Promise<string | null> {
  return withTenant(tenant.toRef(), () => enqueue(def, { queuedFor: String(tenant.id) }));
}

describe('queue workers in separate processes', function () {
  this.timeout(120_000);
  let workers: Worker[] = [];
  let a: Tenant;
  let b: Tenant;

  before(async () => {
    await db().query(TEST_TABLES);
    [a, b] = await Promise.all([createTenant(), createTenant()]);
    workers = await Promise.all([startWorker(), startWorker()]);
  });

  after(async () => {
    for (const w of workers)
      if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
  });

  it('never run the same job twice: 200 jobs over two workers, each run once, in the tenant it was queued in', async () => {
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => queueIn(i % 2 ? b : a, recordJob)));
    expect(ids.every(Boolean)).to.equal(true);
    await until('every job ended', async () => {
      const [{ n }] = await rows<{ n: string }>(
        `SELECT count(*) AS n FROM ${QUEUE_SCHEMA}.job WHERE id = ANY($1::uuid[]) AND state IN ('completed', 'failed')`,
        [ids],
      );
      return Number(n) === 200;
    });
    const failed = await rows<{ id: string }>(
      `SELECT id FROM ${QUEUE_SCHEMA}.job WHERE id = ANY($1::uuid[]) AND state <> 'completed'`,
      [ids],
    );
    expect(failed, 'a job failed: it ran twice or outside its tenant').to.deep.equal([]);
    const runs = await rows<{
      job_id: string;
      pid: number;
      queued_for: string;
      ran_in: string;
      ran_in_schema: string;
    }>('SELECT * FROM public.queue_test_runs WHERE job_id = ANY($1::uuid[])', [ids]);
    expect(runs.map((r) => r.job_id).sort()).to.deep.equal([...ids].sort());
    // Both processes took part.
    const pids = new Set(runs.map((r) => r.pid));
    expect([...pids].sort()).to.deep.equal(workers.map((w) => w.proc.pid).sort());
    // Each job ran inside the tenant it was queued in: its context and its search_path.
    const schemaOf = { [String(a.id)]: a.schemaName, [String(b.id)]: b.schemaName };
    for (const r of runs) {
      expect(r.ran_in).to.equal(r.queued_for);
      expect(r.ran_in_schema).to.equal(schemaOf[r.queued_for]);
    }
    expect(runs.filter((r) => r.ran_in === String(a.id))).to.have.length(100);
  });

  it('carry their tenant in every job payload', async () => {
    const id = await queueIn(a, recordJob);
    const [job] = await rows<{ data: { tenantId: string; payload: RecordPayload } }>(
      `SELECT data FROM ${QUEUE_SCHEMA}.job WHERE id = $1`,
      [id],
    );
    expect(job.data).to.deep.equal({ tenantId: String(a.id), payload: { queuedFor: String(a.id) } });
  });

  it('never take a schema from a payload: a job naming no real tenant id is dropped unrun', async () => {
    const forged = await Promise.all(
      [b.schemaName, `${b.id}; SET search_path TO ${b.schemaName}`, '999999999'].map((tenantId) =>
        queueBoss().send(RECORD_JOB, { tenantId, payload: { queuedFor: 'forged' } }),
      ),
    );
    await until('the forged jobs ended', async () => {
      const [{ n }] = await rows<{ n: string }>(
        `SELECT count(*) AS n FROM ${QUEUE_SCHEMA}.job WHERE id = ANY($1::uuid[]) AND state = 'completed'`,
        [forged],
      );
      return Number(n) === forged.length;
    });
    expect(
      await rows('SELECT 1 FROM public.queue_test_runs WHERE job_id = ANY($1::uuid[])', [forged]),
    ).to.have.length(0);
  });

  it('leave the job of a worker killed mid-job to another after its expiry, and its effect happens once', async () => {
    const id = await queueIn(a, crashJob);
    let first: { pid: number } | undefined;
    await until('a worker took the job', async () => {
      [first] = await rows<{ pid: number }>('SELECT pid FROM public.queue_test_tries WHERE job_id = $1', [
        id,
      ]);
      return Boolean(first);
    });
    const victim = workers.find((w) => w.proc.pid === first?.pid);
    const survivor = workers.find((w) => w !== victim);
    expect(victim, 'the job ran in one of the two workers').to.not.equal(undefined);
    victim?.proc.kill('SIGKILL');
    await victim?.exited;
    // The queue's upkeep (every worker runs it periodically) fails jobs past their expiry; it runs
    // here on demand so the test does not wait for its next round.
    await until(
      'the job was retried and completed',
      async () => {
        await queueBoss().maintain();
        const [job] = await rows<{ state: string }>(
          `SELECT state::text AS state FROM ${QUEUE_SCHEMA}.job WHERE id = $1`,
          [id],
        );
        return job?.state === 'completed';
      },
      60_000,
    );
    const tries = await rows<{ try: number; pid: number }>(
      'SELECT try, pid FROM public.queue_test_tries WHERE job_id = $1 ORDER BY try',
      [id],
    );
    expect(tries).to.deep.equal([
      { try: 0, pid: victim?.proc.pid },
      { try: 1, pid: survivor?.proc.pid },
    ]);
    const effects = await rows<{ pid: number; ran_in: string }>(
      'SELECT pid, ran_in FROM public.queue_test_runs WHERE job_id = $1',
      [id],
    );
    expect(effects).to.deep.equal([{ pid: victim?.proc.pid, ran_in: String(a.id) }]);
  });
});
