import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { SMTPServer } from 'smtp-server';
import { db } from '../../app/db/database.ts';
import type { Tenant } from '../../app/models/index.ts';
import { mailJob } from '../../app/queue/jobs/mail.ts';
import { DEAD_SUFFIX, defineJob, enqueue } from '../../app/queue/queue.ts';
import { sendMail } from '../../app/services/mailer.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createTenant } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';

/**
 * The mail job's own behaviour with a mail server that refuses: the same handler as `mail`, with
 * tries a second apart so the test sees every try and the dead letter within seconds.
 */
const refusedMail = defineJob({
  name: 'test-mail-quick-retry',
  description: 'The mail job with short retries (tests only).',
  retryLimit: 2,
  retryDelay: 1,
  handler: mailJob.handler,
});

const unique = (what: string) => `${what}-${randomUUID().slice(0, 8)}@example.test`;

async function jobsTo(address: string, name = 'mail') {
  return db().query<{ id: string; state: string }>(
    `SELECT id::text AS id, state FROM pgboss.job WHERE name = $1 AND data->'payload'->>'to' = $2
     UNION ALL
     SELECT id::text AS id, state FROM pgboss.archive WHERE name = $1 AND data->'payload'->>'to' = $2`,
    { bind: [name, address], type: QueryTypes.SELECT },
  );
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined | null | false>) {
  const end = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found) return found;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('e-mail through the job queue', function () {
  this.timeout(30_000);
  let tenant: Tenant;

  before(async () => {
    tenant = await createTenant();
  });

  it('queues nothing for a mail sent in a transaction that rolls back, and sends one that commits', async () => {
    const undone = unique('undone');
    const kept = unique('kept');
    await withTenant(tenant.toRef(), async () => {
      await db()
        .transaction(async () => {
          await sendMail({
            to: undone,
            subject: 'Rolled back',
            template: 'reset',
            locals: { name: 'A', url: 'x' },
          });
          throw new Error('undo');
        })
        .catch((err: Error) => expect(err.message).to.equal('undo'));
      await db().transaction(() =>
        sendMail({ to: kept, subject: 'Committed', template: 'reset', locals: { name: 'B', url: 'x' } }),
      );
    });
    await mailbox.settled();
    expect(await jobsTo(undone)).to.deep.equal([]);
    expect(mailbox.to(undone)).to.have.length(0);
    const [sent] = mailbox.to(kept);
    expect(sent?.subject).to.equal('Committed');
    expect(sent?.headers.get('x-steward-tenant')).to.equal(tenant.slug);
    const jobs = await jobsTo(kept);
    expect(jobs).to.have.length(1);
  });

  it('retries a mail the server refuses, then dead-letters it, having sent nothing', async () => {
    const port = Number(process.env.STEWARD_TEST_SMTP_PORT);
    const address = unique('refused');
    let tries = 0;
    await mailbox.stop();
    const refusing = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(_address, _session, callback) {
        tries += 1;
        callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      },
    });
    await new Promise<void>((resolve, reject) => {
      refusing.once('error', reject);
      refusing.listen(port, '127.0.0.1', () => resolve());
    });
    let jobId: string | null = null;
    try {
      jobId = await withTenant(tenant.toRef(), () =>
        enqueue(refusedMail, {
          to: address,
          subject: 'Refused',
          template: 'reset',
          locals: { name: 'C', url: 'x' },
        }),
      );
      expect(jobId).to.be.a('string');
      const dead = await until('the dead letter', 9_000, async () => {
        const [row] = await db().query<{ id: string; tenantId: string }>(
          `SELECT id::text AS id, data->>'tenantId' AS "tenantId" FROM pgboss.job
            WHERE name = $1 AND data->'payload'->>'to' = $2`,
          { bind: [`${refusedMail.name}${DEAD_SUFFIX}`, address], type: QueryTypes.SELECT },
        );
        return row;
      });
      expect(dead.tenantId).to.equal(String(tenant.id));
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
      await mailbox.start(port);
    }
    const [job] = await db().query<{ state: string; retryCount: number }>(
      'SELECT state, retry_count AS "retryCount" FROM pgboss.job WHERE id = $1',
      { bind: [jobId], type: QueryTypes.SELECT },
    );
    expect(job).to.deep.equal({ state: 'failed', retryCount: 2 });
    // The first try and both retries reached the server; each was refused.
    expect(tries).to.equal(3);
    const delivered = await db().query('SELECT 1 FROM public.mail_deliveries WHERE job_id = $1', {
      bind: [jobId],
      type: QueryTypes.SELECT,
    });
    expect(delivered).to.have.length(0);
    expect(mailbox.to(address)).to.have.length(0);
  });

  it('sends a mail job run twice (the same job id) once, with a Message-ID of the job', async () => {
    const address = unique('twice');
    const id = randomUUID();
    const mail = { to: address, subject: 'Once', template: 'reset', locals: { name: 'D', url: 'x' } };
    await withTenant(tenant.toRef(), async () => {
      const ctx = { id, retryCount: 0, tenant: tenant.toRef() };
      await mailJob.handler(mail, ctx);
      await mailJob.handler(mail, { ...ctx, retryCount: 1 });
    });
    const received = mailbox.to(address);
    expect(received).to.have.length(1);
    expect(received[0]?.messageId).to.equal(`<${id}@steward.mail>`);
    const rows = await db().query<{ recipient: string; tenantId: string }>(
      'SELECT recipient, tenant_id::text AS "tenantId" FROM public.mail_deliveries WHERE job_id = $1',
      { bind: [id], type: QueryTypes.SELECT },
    );
    expect(rows).to.deep.equal([{ recipient: address, tenantId: String(tenant.id) }]);
  });
});
