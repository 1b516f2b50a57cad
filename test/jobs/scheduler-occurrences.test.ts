import { expect } from 'chai';
import { type Job, runJob } from '../../app/jobs/run-job.ts';
import { runOccurrence, type Scheduler, scheduledSlot, startScheduler } from '../../app/jobs/scheduler.ts';
import { JobRun } from '../../app/models/index.ts';
import { uniqueSlug } from '../support/factories.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A job that only counts its runs; `schedule` is a cron expression. */
function countingJob(schedule: string): Job & { runs: number } {
  const job = {
    name: uniqueSlug('job'),
    schedule,
    description: 'counts its runs',
    runs: 0,
    async run() {
      job.runs += 1;
    },
  };
  return job;
}

describe('one run per scheduled occurrence', () => {
  const started: Scheduler[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.stop();
  });

  /** Two clocks, each with its own scheduler, for the same job. */
  function twoClocks(job: Job): [Scheduler, Scheduler] {
    const a = startScheduler([job]);
    const b = startScheduler([job]);
    started.push(a, b);
    return [a, b];
  }

  it('names the same cron slot for fire times a second or a few seconds apart', () => {
    // Once a year, so the schedulers never fire during the test.
    const [a] = twoClocks(countingJob('0 0 1 1 *'));
    const [slot] = a.tasks[0].getNextRuns(1);
    for (const lateMs of [0, 1, 999, 1000, 1500, 4000, 30_000])
      expect(scheduledSlot(a.tasks[0], new Date(slot.getTime() + lateMs)).toISOString()).to.equal(
        slot.toISOString(),
      );
    const every5 = startScheduler([countingJob('*/5 * * * *')]);
    started.push(every5);
    const [minute] = every5.tasks;
    const [five] = minute.getNextRuns(1);
    expect(scheduledSlot(minute, new Date(five.getTime() + 2300)).toISOString()).to.equal(five.toISOString());
  });

  it('runs each of 8 slots once when a second clock fires every slot a second after the first run finished', async () => {
    const job = countingJob('0 0 1 1 *');
    const [a, b] = twoClocks(job);
    const slots = a.tasks[0].getNextRuns(8);
    const late: string[] = [];
    for (const slot of slots) {
      const first = await runOccurrence(job, a.tasks[0], slot);
      expect(first.skipped, `clock a at ${slot.toISOString()}`).to.equal(false);
      const second = await runOccurrence(job, b.tasks[0], new Date(slot.getTime() + 1000));
      if (second.skipped) late.push(second.reason);
    }
    expect(job.runs).to.equal(8);
    expect(late).to.deep.equal(Array(8).fill('done'));
    const runs = await JobRun.findAll({ where: { job: job.name }, order: [['id', 'ASC']] });
    expect(runs.map((r) => r.scheduledFor?.toISOString())).to.deep.equal(slots.map((s) => s.toISOString()));
    expect(runs.every((r) => r.triggeredBy === 'schedule' && r.status === 'succeeded')).to.equal(true);
  });

  it('runs a slot once when two clocks fire it at the same moment', async () => {
    const job = countingJob('0 0 1 1 *');
    const [a, b] = twoClocks(job);
    for (const slot of a.tasks[0].getNextRuns(4))
      await Promise.all([
        runOccurrence(job, a.tasks[0], slot),
        runOccurrence(job, b.tasks[0], new Date(slot.getTime() + 300)),
      ]);
    expect(job.runs).to.equal(4);
    expect(await JobRun.count({ where: { job: job.name } })).to.equal(4);
  });

  it('always runs a manual run, which takes no slot', async () => {
    const job = countingJob('0 0 1 1 *');
    const [a] = twoClocks(job);
    const [slot] = a.tasks[0].getNextRuns(1);
    for (let i = 0; i < 2; i++) {
      const manual = await runJob(job, { triggeredBy: 'cli', now: slot });
      expect(manual.skipped).to.equal(false);
    }
    expect((await runOccurrence(job, a.tasks[0], slot)).skipped).to.equal(false);
    expect(job.runs).to.equal(3);
    const manual = await JobRun.findAll({ where: { job: job.name, triggeredBy: 'cli' } });
    expect(manual.map((r) => r.scheduledFor)).to.deep.equal([null, null]);
  });

  it('runs every second once with two schedulers in one process', async function () {
    this.timeout(10_000);
    const job = countingJob('* * * * * *');
    twoClocks(job);
    const until = Date.now() + 6000;
    while ((await JobRun.count({ where: { job: job.name } })) < 3) {
      if (Date.now() > until) throw new Error('the schedulers did not run the job');
      await sleep(100);
    }
    for (const s of started.splice(0)) await s.stop();
    await sleep(200);
    const runs = await JobRun.findAll({ where: { job: job.name } });
    const slots = new Set(runs.map((r) => r.scheduledFor?.toISOString()));
    expect(slots.has(undefined)).to.equal(false);
    expect(slots.size).to.equal(runs.length);
    expect(job.runs).to.equal(runs.length);
  });
});
