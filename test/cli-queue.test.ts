import { expect } from 'chai';
import { type CliIo, runCli } from '../app/cli.ts';
import { QUEUE_SCHEMA, queueBoss } from '../app/queue/queue.ts';
import { createTenant } from './support/factories.ts';

const QUEUE = 'ops-cli-failing';
const DEAD = `${QUEUE}__dead`;

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    progress: () => {},
    isTTY: false,
    ask: async () => '',
  };
  const code = await runCli(args, io, null);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function failedJob(tenantId: string | null, message: string): Promise<string> {
  const id = await queueBoss().send(QUEUE, { tenantId, payload: {} });
  if (!id) throw new Error('not queued');
  await queueBoss().fail(QUEUE, id, { message });
  return id;
}

async function stateOf(id: string): Promise<string | null> {
  const { rows } = await queueBoss()
    .getDb()
    .executeSql(`SELECT state::text AS state FROM ${QUEUE_SCHEMA}.job WHERE id = $1`, [id]);
  return (rows[0] as { state: string } | undefined)?.state ?? null;
}

describe('the command line: the job queue', function () {
  this.timeout(30_000);

  before(async () => {
    const boss = queueBoss();
    if (!(await boss.getQueue(DEAD))) await boss.createQueue(DEAD);
    if (!(await boss.getQueue(QUEUE)))
      await boss.createQueue(QUEUE, { name: QUEUE, retryLimit: 0, deadLetter: DEAD });
  });

  it('queue:list prints each queue with its counts by state, and the failed jobs with tenant, tries and error', async () => {
    const tenant = await createTenant();
    const id = await failedJob(String(tenant.id), 'mail server refused');
    const res = await cli(['queue:list']);
    expect(res.code, res.err).to.equal(0);
    expect(res.out).to.match(/^QUEUE\s+CREATED\s+RETRY\s+ACTIVE\s+COMPLETED\s+FAILED\s+DEAD$/m);
    expect(res.out).to.match(/^mail\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+$/m);
    const row = res.out.match(new RegExp(`^${QUEUE}((?:\\s+\\d+){6})$`, 'm'));
    expect(row, res.out).to.not.equal(null);
    const [, , , , failed, dead] = (row?.[1] ?? '').trim().split(/\s+/).map(Number);
    expect(failed).to.be.at.least(1);
    expect(dead).to.be.at.least(1);
    expect(res.out).to.not.match(new RegExp(`^${DEAD}\\s`, 'm'));
    expect(res.out).to.match(
      new RegExp(`^${id}  ${QUEUE}  ${tenant.slug}  tries 1  \\S+  mail server refused$`, 'm'),
    );
  });

  it('queue:retry queues a failed job again, found by its id alone', async () => {
    const id = await failedJob(null, 'boom');
    const res = await cli(['queue:retry', id.toUpperCase()]);
    expect(res.code, res.err).to.equal(0);
    expect(res.out).to.equal(`Job ${id} (${QUEUE}) is queued again.`);
    expect(await stateOf(id)).to.equal('retry');
    const again = await cli(['queue:retry', id]);
    expect(again.code).to.equal(1);
    expect(again.err).to.include('is not failed');
  });

  it('queue:retry refuses a missing, malformed or unknown id', async () => {
    expect((await cli(['queue:retry'])).code).to.equal(2);
    const malformed = await cli(['queue:retry', "x'; DROP TABLE pgboss.job; --"]);
    expect(malformed.code).to.equal(2);
    expect(malformed.err).to.include('no job');
    const unknown = await cli(['queue:retry', '00000000-0000-4000-8000-000000000000']);
    expect(unknown.code).to.equal(2);
  });
});
