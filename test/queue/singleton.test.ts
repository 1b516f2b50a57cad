import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { inTransaction } from '../../app/db/transaction-context.ts';
import { mailJob } from '../../app/queue/jobs/mail.ts';
import { enqueue } from '../../app/queue/queue.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createTenant } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';

const mail = (to: string) => ({
  to,
  subject: 'Once',
  template: 'invite',
  locals: { name: 'X', inviter: 'Y', url: 'http://x' },
});

describe('job queue: singleton keys', () => {
  it('queues a key once while its job waits, also when 10 callers queue it at the same moment', async () => {
    const tenant = await createTenant();
    const key = `once-${Date.now()}`;
    const ids = await withTenant(tenant.toRef(), () =>
      Promise.all(
        Array.from({ length: 10 }, () =>
          enqueue(mailJob, mail('singleton@example.test'), { singletonKey: key, startAfter: 60 }),
        ),
      ),
    );
    expect(ids.filter(Boolean)).to.have.length(1);
    const [row] = await db().query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pgboss.job WHERE singleton_key = $1',
      { bind: [key], type: QueryTypes.SELECT },
    );
    expect(row.n).to.equal(1);
    // Not sent: the job waits a minute, and mailbox.settled() of the tests after must not wait for it.
    await db().query('DELETE FROM pgboss.job WHERE singleton_key = $1', { bind: [key] });
  });

  it('queues nothing when the transaction it was queued in rolls back', async () => {
    const tenant = await createTenant();
    const key = `rolled-${Date.now()}`;
    await withTenant(tenant.toRef(), () =>
      inTransaction(db(), async () => {
        await enqueue(mailJob, mail('rolled@example.test'), { singletonKey: key });
        throw new Error('roll back');
      }),
    ).catch(() => {});
    const [row] = await db().query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pgboss.job WHERE singleton_key = $1',
      { bind: [key], type: QueryTypes.SELECT },
    );
    expect(row.n).to.equal(0);
    await mailbox.settled();
    expect(mailbox.to('rolled@example.test')).to.have.length(0);
  });
});
