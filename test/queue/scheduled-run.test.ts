import { expect } from 'chai';
import { Op, QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { JOBS } from '../../app/jobs/registry.ts';
import { fireOccurrence } from '../../app/jobs/scheduler.ts';
import { JobRun } from '../../app/models/index.ts';

describe('scheduled jobs through the queue', function () {
  this.timeout(60_000);

  it('queues a fired occurrence once however many clocks fire it, and a worker runs it once', async () => {
    const job = JOBS.find((j) => j.name === 'cleanup');
    if (!job) throw new Error('no cleanup job');
    // A slot in the past that no other test uses: the task "matches" only that second.
    const slot = new Date(Date.UTC(2001, 0, 1, 3, 0, 0));
    const task = { match: (d: Date) => d.getTime() === slot.getTime() };
    await Promise.all([1, 2, 3].map(() => fireOccurrence(job, task, new Date(slot.getTime() + 2_000))));
    const [queued] = await db().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'scheduled-run' AND data->'payload'->>'slot' = $1",
      { bind: [slot.toISOString()], type: QueryTypes.SELECT },
    );
    expect(queued.n).to.equal(1);
    const until = Date.now() + 45_000;
    let runs: JobRun[] = [];
    while (Date.now() < until) {
      runs = await JobRun.findAll({ where: { job: 'cleanup', scheduledFor: { [Op.eq]: slot } } });
      if (runs.length && runs[0].status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(runs).to.have.length(1);
    expect(runs[0].status).to.be.oneOf(['succeeded', 'partial']);
  });
});
