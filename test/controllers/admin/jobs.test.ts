import { expect } from 'chai';
import type supertest from 'supertest';
import { JobRun, type PlatformAdmin } from '../../../app/models/index.ts';
import { ROOT, signedInAdmin } from '../../jobs/billing-support.ts';
import { postForm } from '../../support/auth.ts';
import { http } from '../../support/factories.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('platform admin: jobs', function () {
  this.timeout(60_000);
  let agent: supertest.Agent;
  let admin: PlatformAdmin;

  before(async () => {
    ({ agent, admin } = await signedInAdmin());
  });

  it('lists the jobs with their schedules, and the recent runs with their failures', async () => {
    const run = await JobRun.create({
      job: 'trial-expiry',
      triggeredBy: 'schedule',
      status: 'partial',
      tenantsDone: 41,
      finishedAt: new Date(),
      failures: [{ tenant: 'broken-church', message: 'relation "users" does not exist' }],
    });
    const res = await agent.get('/admin/jobs').set('Host', ROOT);
    expect(res.status).to.equal(200);
    expect(res.text).to.include('id="job-credit-billing"');
    expect(res.text).to.include('id="job-trial-expiry"');
    expect(res.text).to.include('<code>0 0 * * *</code> (cron, UTC)');
    expect(res.text).to.match(new RegExp(`id="run-${run.id}"[\\s\\S]*?partial[\\s\\S]*?>41<`));
    expect(res.text).to.include('broken-church');
    expect(res.text).to.include('relation &#34;users&#34; does not exist');
    expect(res.text).to.include('action="/admin/jobs/credit-billing/run"');
  });

  it('starts a run now and records who started it', async () => {
    const before = await JobRun.count({ where: { job: 'credit-billing' } });
    const res = await postForm(agent, ROOT, '/admin/jobs/credit-billing/run', {}, '/admin/jobs');
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/admin/jobs');
    const until = Date.now() + 20_000;
    let run: JobRun | null = null;
    while (!run || run.status === 'running') {
      if (Date.now() > until) throw new Error('the run did not finish');
      await sleep(100);
      run = await JobRun.findOne({ where: { job: 'credit-billing', triggeredBy: `admin ${admin.email}` } });
    }
    expect(run.status).to.be.oneOf(['succeeded', 'partial']);
    expect(await JobRun.count({ where: { job: 'credit-billing' } })).to.equal(before + 1);
    const page = await agent.get('/admin/jobs').set('Host', ROOT);
    expect(page.text).to.include('credit-billing was started');
    expect(page.text).to.include(`admin ${admin.email}`);
  });

  it('does not start a second run while one is running', async () => {
    const running = await JobRun.create({ job: 'trial-expiry', triggeredBy: 'schedule', finishedAt: null });
    try {
      const before = await JobRun.count({ where: { job: 'trial-expiry' } });
      await postForm(agent, ROOT, '/admin/jobs/trial-expiry/run', {}, '/admin/jobs');
      const page = await agent.get('/admin/jobs').set('Host', ROOT);
      expect(page.text).to.include('trial-expiry is already running');
      expect(await JobRun.count({ where: { job: 'trial-expiry' } })).to.equal(before);
    } finally {
      await running.destroy();
    }
  });

  it('answers 404 for a job that does not exist', async () => {
    const res = await postForm(agent, ROOT, '/admin/jobs/nope/run', {}, '/admin/jobs');
    expect(res.status).to.equal(404);
  });

  it('sends a visitor without a platform admin session to sign in', async () => {
    const res = await http().get('/admin/jobs').set('Host', ROOT);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.match(/^\/admin\/login\?next=/);
  });
});
