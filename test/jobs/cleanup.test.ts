import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { cleanup } from '../../app/jobs/cleanup.ts';
import { runJob } from '../../app/jobs/run-job.ts';
import { Notification, Task } from '../../app/models/index.ts';
import { IMPORT_FILE_KIND } from '../../app/services/members-csv.ts';
import { fileStore } from '../../app/services/storage.ts';
import { config } from '../../config/index.ts';
import { addTask, DAY, freshTask, inTenant, taskWorld } from './task-support.ts';

async function run() {
  const outcome = await runJob(cleanup, { triggeredBy: 'test' });
  if (outcome.skipped) throw new Error('skipped');
  return outcome.run;
}

const ago = (days: number) => new Date(Date.now() - days * DAY);

describe('cleanup job', function () {
  this.timeout(60_000);

  it(`archives only done tasks completed over ${config.TASK_ARCHIVE_DAYS} days ago, and deletes none`, async () => {
    const { tenant, project } = await taskWorld();
    const old = await addTask(tenant, {
      projectId: project.id,
      title: 'Old done',
      status: 'done',
      completedAt: ago(config.TASK_ARCHIVE_DAYS + 1),
    });
    const recent = await addTask(tenant, {
      projectId: project.id,
      title: 'Recent done',
      status: 'done',
      completedAt: ago(config.TASK_ARCHIVE_DAYS - 1),
    });
    const open = await addTask(tenant, { projectId: project.id, title: 'Old open', dueAt: ago(400) });
    await inTenant(tenant, () => Task.update({ createdAt: ago(400) }, { where: { id: open.id } }));

    const result = await run();
    expect(result.status, JSON.stringify(result.failures)).to.equal('succeeded');
    expect((await freshTask(tenant, old)).archivedAt).to.be.instanceOf(Date);
    expect((await freshTask(tenant, recent)).archivedAt).to.equal(null);
    expect((await freshTask(tenant, open)).archivedAt).to.equal(null);
    expect(await inTenant(tenant, () => Task.count())).to.equal(3);
  });

  it('deletes read notifications older than 90 days and keeps unread and recent ones', async () => {
    const { tenant, assignee } = await taskWorld();
    const make = (title: string, createdDaysAgo: number, read: boolean) =>
      inTenant(tenant, async () => {
        const n = await Notification.create({
          userId: assignee.id,
          kind: 'task.assigned',
          title,
          body: null,
          url: null,
          dedupeKey: null,
          readAt: read ? ago(createdDaysAgo - 1) : null,
        });
        await Notification.update({ createdAt: ago(createdDaysAgo) }, { where: { id: n.id } });
        return n;
      });
    await make('old read', 91, true);
    await make('old unread', 200, false);
    await make('recent read', 10, true);

    await run();
    const left = await inTenant(tenant, () => Notification.findAll({ where: { userId: assignee.id } }));
    expect(left.map((n) => n.title).sort()).to.deep.equal(['old unread', 'recent read']);
  });

  it('deletes member-import files left unconfirmed for over a day, only the tenant’s own', async () => {
    const mine = (await taskWorld()).tenant;
    const theirs = (await taskWorld()).tenant;
    const store = (tenant: typeof mine, daysOld: number) =>
      inTenant(tenant, async () => {
        const key = await fileStore.put(IMPORT_FILE_KIND, Buffer.from('first_name,last_name\nAnn,Example\n'));
        const when = ago(daysOld);
        await utimes(path.join(config.storageDir, key), when, when);
        return key;
      });
    const exists = (tenant: typeof mine, key: string) =>
      inTenant(tenant, () =>
        fileStore.open(key).then(
          ({ stream }) => {
            stream.destroy();
            return true;
          },
          () => false,
        ),
      );
    const abandoned = await store(mine, 2);
    const fresh = await store(mine, 0);
    const othersAbandoned = await store(theirs, 2);

    // One tenant's pass touches its own folder only.
    expect(await inTenant(mine, () => fileStore.removeOlderThan(IMPORT_FILE_KIND, ago(1)))).to.equal(1);
    expect(await exists(mine, abandoned)).to.equal(false);
    expect(await exists(mine, fresh)).to.equal(true);
    expect(await exists(theirs, othersAbandoned)).to.equal(true);

    const result = await run();
    expect(result.status, JSON.stringify(result.failures)).to.equal('succeeded');
    expect(await exists(theirs, othersAbandoned)).to.equal(false);
    expect(await exists(mine, fresh)).to.equal(true);
  });

  it('purges expired sessions from the PostgreSQL store', async () => {
    await db().query(
      `INSERT INTO public.sessions (sid, sess, expire) VALUES
        ('expired-one', '{}', now() - interval '1 day'), ('live-one', '{}', now() + interval '1 day')`,
    );
    await run();
    const left = await db().query<{ sid: string }>(
      "SELECT sid FROM public.sessions WHERE sid IN ('expired-one', 'live-one')",
      { type: QueryTypes.SELECT },
    );
    expect(left.map((r) => r.sid)).to.deep.equal(['live-one']);
  });

  it('deletes notices delivered over 90 days ago, and keeps recent and undelivered ones', async () => {
    const { tenant } = await taskWorld();
    await db().query(
      `INSERT INTO public.notice_outbox (tenant_id, event, day, delivered_at) VALUES
        ($1, 'low_credit', '2040-01-01', now() - interval '91 days'),
        ($1, 'low_credit', '2040-01-02', now() - interval '89 days'),
        ($1, 'past_due', '2040-01-03', NULL)`,
      { bind: [tenant.id] },
    );
    await run();
    const left = await db().query<{ day: string }>(
      'SELECT day::text AS day FROM public.notice_outbox WHERE tenant_id = $1 ORDER BY day',
      { bind: [tenant.id], type: QueryTypes.SELECT },
    );
    expect(left.map((r) => r.day)).to.deep.equal(['2040-01-02', '2040-01-03']);
  });
  it('drops API idempotency keys after a day and ended API sign-ins after a month, and keeps live ones', async () => {
    const { tenant, owner } = await taskWorld();
    const q = (sql: string, bind: unknown[] = []) =>
      inTenant(tenant, () => db().query<{ n: string }>(sql, { bind, type: QueryTypes.SELECT }));
    await q(
      `INSERT INTO api_idempotency_keys (principal, idempotency_key, request_digest, status, response, created_at)
       VALUES ('u:1', 'old', 'd', 201, '{}', now() - interval '25 hours'), ('u:1', 'new', 'd', 201, '{}', now())`,
    );
    await q(
      `INSERT INTO api_token_families (user_id, created_at, last_used_at, expires_at, revoked_at)
       VALUES ($1, now() - interval '90 days', now(), now() - interval '31 days', NULL),
              ($1, now() - interval '90 days', now(), now() + interval '1 day', now() - interval '31 days'),
              ($1, now(), now(), now() + interval '30 days', NULL),
              ($1, now(), now(), now() + interval '30 days', now())`,
      [owner.id],
    );
    const result = await run();
    expect(result.status, JSON.stringify(result.failures)).to.equal('succeeded');
    const [keys] = await q('SELECT count(*) AS n FROM api_idempotency_keys');
    const [families] = await q('SELECT count(*) AS n FROM api_token_families');
    expect(Number(keys.n)).to.equal(1);
    expect(Number(families.n)).to.equal(2);
  });
});
