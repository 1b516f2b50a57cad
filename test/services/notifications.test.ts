import { expect } from 'chai';
import { db } from '../../app/db/database.ts';
import { Notification, type Tenant } from '../../app/models/index.ts';
import {
  type NotificationPayload,
  notify,
  setPublisher,
  userRoom,
} from '../../app/services/notifications.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

describe('notifications service', function () {
  this.timeout(30_000);
  let tenant: Tenant;
  let userId: string;
  const pushed: { room: string; payload: NotificationPayload }[] = [];

  before(async () => {
    tenant = await createTenant({ kind: 'company' });
    userId = (await createUser(tenant, { level: 5 })).id;
    setPublisher((room, payload) => pushed.push({ room, payload }));
  });
  after(() => setPublisher(null));
  beforeEach(() => {
    pushed.length = 0;
  });

  it("saves the notification in the tenant's table and pushes it to the user's room", async () => {
    const row = await withTenant(tenant.toRef(), () =>
      notify({ userId, kind: 'task.assigned', title: 'Fix the roof', url: '/tasks/1' }),
    );
    expect(row?.id).to.be.a('string');
    expect(pushed).to.have.length(1);
    expect(pushed[0].room).to.equal(`t:${tenant.id}:u:${userId}`);
    expect(pushed[0].room).to.equal(userRoom(tenant.id, userId));
    expect(pushed[0].payload).to.include({ id: row?.id, title: 'Fix the roof', url: '/tasks/1' });
    const stored = await withTenant(tenant.toRef(), () => Notification.findByPk(row?.id));
    expect(stored?.userId).to.equal(userId);
    expect(stored?.readAt).to.equal(null);
  });

  it('makes one notification per user and key, however often it is asked', async () => {
    const ref = tenant.toRef();
    const first = await withTenant(ref, () =>
      notify({ userId, kind: 'task.overdue', title: 'Overdue', dedupeKey: 'task:7:overdue' }),
    );
    const second = await withTenant(ref, () =>
      notify({ userId, kind: 'task.overdue', title: 'Overdue again', dedupeKey: 'task:7:overdue' }),
    );
    expect(first).to.not.equal(null);
    expect(second).to.equal(null);
    expect(pushed).to.have.length(1);
    const count = await withTenant(ref, () => Notification.count({ where: { dedupeKey: 'task:7:overdue' } }));
    expect(count).to.equal(1);
  });

  it('pushes only after the transaction commits, and never when it rolls back', async () => {
    const ref = tenant.toRef();
    await withTenant(ref, () =>
      db().transaction(async () => {
        await notify({ userId, kind: 'task.commented', title: 'Committed' });
        expect(pushed, 'not before the commit').to.have.length(0);
      }),
    );
    expect(pushed.map((p) => p.payload.title)).to.deep.equal(['Committed']);

    pushed.length = 0;
    await withTenant(ref, () =>
      db()
        .transaction(async () => {
          await notify({ userId, kind: 'task.commented', title: 'Rolled back' });
          throw new Error('undo');
        })
        .catch(() => {}),
    );
    expect(pushed).to.have.length(0);
    const kept = await withTenant(ref, () => Notification.count({ where: { title: 'Rolled back' } }));
    expect(kept).to.equal(0);
  });

  it('needs a tenant', async () => {
    let thrown: unknown;
    try {
      await notify({ userId, kind: 'task.assigned', title: 'Nowhere' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(Error);
  });
});
