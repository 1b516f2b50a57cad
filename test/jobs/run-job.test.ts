import { expect } from 'chai';
import { withAdvisoryLock } from '../../app/db/locks.ts';
import { JOBS } from '../../app/jobs/registry.ts';
import { type Job, lockKey, runJob } from '../../app/jobs/run-job.ts';
import { startScheduler } from '../../app/jobs/scheduler.ts';
import { JobRun, type Tenant, User } from '../../app/models/index.ts';
import { currentTenant } from '../../app/tenancy/context.ts';
import { createTenant, uniqueSlug } from '../support/factories.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A job over the given tenants that fails for the ones named in `failFor`. */
function fakeJob(
  tenants: Tenant[],
  failFor: string[] = [],
  name = uniqueSlug('job'),
): Job & { seen: string[] } {
  const seen: string[] = [];
  return {
    name,
    schedule: '* * * * * *',
    description: 'a job for the tests',
    seen,
    async run(ctx) {
      ctx.done(
        await ctx.eachTenant(tenants, async (tenant) => {
          // Inside withTenant: the tenant's own tables answer.
          seen.push(`${currentTenant()?.slug}:${await User.count()}`);
          if (failFor.includes(tenant.slug)) throw new Error(`no luck for ${tenant.slug}`);
        }),
      );
    },
  };
}

describe('the job runner', () => {
  let tenants: Tenant[];

  before(async () => {
    tenants = [await createTenant(), await createTenant(), await createTenant()];
  });

  it('lists every job with its schedule', () => {
    expect(JOBS.map((j) => j.name)).to.deep.equal([
      'credit-billing',
      'trial-expiry',
      'overdue-tasks',
      'due-soon',
      'cleanup',
    ]);
    expect(JOBS.find((j) => j.name === 'overdue-tasks')?.schedule).to.equal('0 * * * *');
    expect(JOBS.find((j) => j.name === 'cleanup')?.schedule).to.equal('0 3 * * 0');
    expect(JOBS[0].schedule).to.equal('0 0 * * *');
  });

  it('records a run with its start, end and tenants done, each tenant inside its own schema', async () => {
    const job = fakeJob(tenants);
    const outcome = await runJob(job, { triggeredBy: 'test' });
    if (outcome.skipped) throw new Error('skipped');
    expect(job.seen).to.deep.equal(tenants.map((t) => `${t.slug}:1`));
    const run = await JobRun.findByPk(outcome.run.id, { rejectOnEmpty: true });
    expect(run.job).to.equal(job.name);
    expect(run.status).to.equal('succeeded');
    expect(run.tenantsDone).to.equal(3);
    expect(run.failures).to.deep.equal([]);
    expect(run.triggeredBy).to.equal('test');
    expect(run.finishedAt).to.be.instanceOf(Date);
    expect(run.finishedAt?.getTime()).to.be.at.least(run.startedAt.getTime());
  });

  it('goes on past a failing tenant and records it, marking the run partial', async () => {
    const job = fakeJob(tenants, [tenants[0].slug]);
    const outcome = await runJob(job, { triggeredBy: 'test' });
    if (outcome.skipped) throw new Error('skipped');
    expect(job.seen).to.have.length(3);
    const run = await JobRun.findByPk(outcome.run.id, { rejectOnEmpty: true });
    expect(run.status).to.equal('partial');
    expect(run.tenantsDone).to.equal(2);
    expect(run.failures).to.deep.equal([
      { tenant: tenants[0].slug, message: `no luck for ${tenants[0].slug}` },
    ]);
  });

  it('marks a run failed when the job itself throws, without throwing to its caller', async () => {
    const job: Job = {
      name: uniqueSlug('job'),
      schedule: '0 0 * * *',
      description: 'fails',
      async run(ctx) {
        ctx.done(1);
        throw new Error('the database went away');
      },
    };
    const outcome = await runJob(job, { triggeredBy: 'test' });
    if (outcome.skipped) throw new Error('skipped');
    const run = await JobRun.findByPk(outcome.run.id, { rejectOnEmpty: true });
    expect(run.status).to.equal('failed');
    expect(run.tenantsDone).to.equal(1);
    expect(run.failures).to.deep.equal([{ tenant: null, message: 'the database went away' }]);
  });

  it('skips the run, recording nothing, while another process holds the job lock', async () => {
    const job = fakeJob(tenants);
    const held = await withAdvisoryLock(lockKey(job.name), () => runJob(job, { triggeredBy: 'test' }));
    expect(held).to.deep.equal({ acquired: true, value: { skipped: true, reason: 'busy' } });
    expect(job.seen).to.deep.equal([]);
    expect(await JobRun.count({ where: { job: job.name } })).to.equal(0);
  });

  it('closes the runs a killed process left "running" when the job next runs', async () => {
    const job = fakeJob([]);
    const orphan = await JobRun.create({ job: job.name, triggeredBy: 'schedule', finishedAt: null });
    await runJob(job, { triggeredBy: 'test' });
    await orphan.reload();
    expect(orphan.status).to.equal('failed');
    expect(orphan.finishedAt).to.be.instanceOf(Date);
    expect(orphan.failures[0].message).to.match(/interrupted/);
  });

  it('runs jobs on their node-cron schedule until stopped', async function () {
    this.timeout(10_000);
    const job = fakeJob([tenants[1]]);
    const scheduler = startScheduler([job]);
    try {
      const until = Date.now() + 5000;
      while ((await JobRun.count({ where: { job: job.name, status: 'succeeded' } })) === 0) {
        if (Date.now() > until) throw new Error('the scheduled job did not run');
        await sleep(100);
      }
    } finally {
      await scheduler.stop();
    }
    const run = await JobRun.findOne({ where: { job: job.name }, rejectOnEmpty: true });
    expect(run.triggeredBy).to.equal('schedule');
    expect(run.tenantsDone).to.equal(1);
    await sleep(100);
    const count = await JobRun.count({ where: { job: job.name } });
    await sleep(1500);
    expect(await JobRun.count({ where: { job: job.name } })).to.equal(count);
  });
});
