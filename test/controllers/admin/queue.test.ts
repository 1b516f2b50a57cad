import { expect } from 'chai';
import type supertest from 'supertest';
import { QUEUE_SCHEMA, queueBoss } from '../../../app/queue/queue.ts';
import { PLATFORM_HOST, postForm, signedInPlatformAdmin } from '../../support/auth.ts';
import { createTenant, http } from '../../support/factories.ts';

const QUEUE = 'ops-test-failing';
const DEAD = `${QUEUE}__dead`;

/** A job of `QUEUE` (which nothing works) that has failed its only try with `message`. */
async function failedJob(tenantId: string | null, message: string): Promise<string> {
  const boss = queueBoss();
  const id = await boss.send(QUEUE, { tenantId, payload: { n: 1 } });
  if (!id) throw new Error('not queued');
  await boss.fail(QUEUE, id, { message });
  return id;
}

async function stateOf(id: string): Promise<string | null> {
  const { rows } = await queueBoss()
    .getDb()
    .executeSql(`SELECT state::text AS state FROM ${QUEUE_SCHEMA}.job WHERE id = $1`, [id]);
  return (rows[0] as { state: string } | undefined)?.state ?? null;
}

describe('platform admin: the job queue', function () {
  this.timeout(30_000);
  let agent: supertest.Agent;

  before(async () => {
    ({ agent } = await signedInPlatformAdmin());
    const boss = queueBoss();
    if (!(await boss.getQueue(DEAD))) await boss.createQueue(DEAD);
    if (!(await boss.getQueue(QUEUE)))
      await boss.createQueue(QUEUE, { name: QUEUE, retryLimit: 0, deadLetter: DEAD });
  });

  it('lists every queue with its counts by state and its dead letters, and the failed jobs with error, tenant and tries', async () => {
    const tenant = await createTenant();
    const id = await failedJob(String(tenant.id), 'SMTP said 554 <refused>');
    await queueBoss().send(QUEUE, { tenantId: null, payload: { n: 2 } });
    const res = await agent.get('/admin/queue').set('Host', PLATFORM_HOST);
    expect(res.status).to.equal(200);
    expect(res.text).to.include('id="queue-mail"');
    const row = res.text.match(new RegExp(`id="queue-${QUEUE}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    const cell = (s: string) => Number(row.match(new RegExp(`data-state="${s}">(\\d+)<`))?.[1]);
    expect(cell('failed')).to.be.at.least(1);
    expect(cell('created')).to.be.at.least(1);
    expect(cell('dead')).to.be.at.least(1);
    expect(res.text).to.not.include(`id="queue-${DEAD}"`);
    const job = res.text.match(new RegExp(`id="job-${id}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    expect(job).to.include(tenant.slug);
    expect(job).to.include('SMTP said 554 &lt;refused&gt;');
    expect(job).to.match(/class="text-end">1</);
    expect(job).to.include(`action="/admin/queue/${QUEUE}/jobs/${id}/retry"`);
    expect(job).to.include(`action="/admin/queue/${QUEUE}/jobs/${id}/delete"`);
  });

  it('retries a failed job through the queue once it is confirmed', async () => {
    const id = await failedJob(null, 'boom');
    const unconfirmed = await postForm(
      agent,
      PLATFORM_HOST,
      `/admin/queue/${QUEUE}/jobs/${id}/retry`,
      {},
      '/admin/queue',
    );
    expect(unconfirmed.status).to.equal(422);
    expect(unconfirmed.text).to.include('I am sure');
    expect(await stateOf(id)).to.equal('failed');
    const res = await postForm(
      agent,
      PLATFORM_HOST,
      `/admin/queue/${QUEUE}/jobs/${id}/retry`,
      { confirm: 'yes' },
      '/admin/queue',
    );
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/admin/queue');
    expect(await stateOf(id)).to.equal('retry');
  });

  it('discards a failed job once it is confirmed', async () => {
    const id = await failedJob(null, 'boom');
    const res = await postForm(
      agent,
      PLATFORM_HOST,
      `/admin/queue/${QUEUE}/jobs/${id}/delete`,
      { confirm: 'yes' },
      '/admin/queue',
    );
    expect(res.status).to.equal(302);
    expect(await stateOf(id)).to.equal(null);
  });

  it('does not discard a job that is waiting, not failed', async () => {
    const id = await queueBoss().send(QUEUE, { tenantId: null, payload: {} });
    const res = await postForm(
      agent,
      PLATFORM_HOST,
      `/admin/queue/${QUEUE}/jobs/${id}/delete`,
      { confirm: 'yes' },
      '/admin/queue',
    );
    expect(res.status).to.equal(302);
    expect(await stateOf(String(id))).to.equal('created');
  });

  it('answers 404 for a malformed id, an unknown job, or a job named under another queue', async () => {
    const id = await failedJob(null, 'boom');
    for (const path of [
      `/admin/queue/${QUEUE}/jobs/not-a-uuid/retry`,
      `/admin/queue/${QUEUE}/jobs/00000000-0000-4000-8000-000000000000/retry`,
      `/admin/queue/mail/jobs/${id}/delete`,
    ]) {
      const res = await postForm(agent, PLATFORM_HOST, path, { confirm: 'yes' }, '/admin/queue');
      expect(res.status, path).to.equal(404);
    }
    expect(await stateOf(id)).to.equal('failed');
  });

  it('refuses a retry without the CSRF token', async () => {
    const id = await failedJob(null, 'boom');
    const res = await agent
      .post(`/admin/queue/${QUEUE}/jobs/${id}/retry`)
      .set('Host', PLATFORM_HOST)
      .type('form')
      .send({ confirm: 'yes' });
    expect(res.status).to.equal(403);
    expect(await stateOf(id)).to.equal('failed');
  });

  it('is for platform admins only', async () => {
    const res = await http().get('/admin/queue').set('Host', PLATFORM_HOST);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.match(/\/admin\/login/);
  });
});
