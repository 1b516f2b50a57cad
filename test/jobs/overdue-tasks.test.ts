import { expect } from 'chai';
import { db } from '../../app/db/database.ts';
import { overdueTasks } from '../../app/jobs/overdue-tasks.ts';
import { runJob } from '../../app/jobs/run-job.ts';
import { JobRun, PlatformAdmin } from '../../app/models/index.ts';
import { setTaskReminders } from '../../app/services/people/task-reminders.ts';
import { quoteIdent } from '../../app/tenancy/schema-name.ts';
import { testPasswordHash, uniqueSlug } from '../support/factories.ts';
import { linkIn, mailbox } from '../support/mailbox.ts';
import { addTask, DAY, freshTask, HOUR, inTenant, noticesOf, taskWorld } from './task-support.ts';

async function run() {
  const outcome = await runJob(overdueTasks, { triggeredBy: 'test' });
  if (outcome.skipped) throw new Error('skipped');
  return outcome.run;
}

describe('overdue tasks job', function () {
  this.timeout(60_000);

  it('tells the assignee and the project owner once, in the app and by e-mail, with a link on the tenant host', async () => {
    const { tenant, owner, assignee, project } = await taskWorld();
    const late = await addTask(tenant, {
      projectId: project.id,
      title: 'Fix the gutter',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() - 2 * HOUR),
    });
    const done = await addTask(tenant, {
      projectId: project.id,
      title: 'Done already',
      assigneeId: assignee.id,
      status: 'done',
      completedAt: new Date(),
      dueAt: new Date(Date.now() - DAY),
    });
    const future = await addTask(tenant, {
      projectId: project.id,
      title: 'Next month',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() + 30 * DAY),
    });
    mailbox.clear();

    const first = await run();
    expect(first.status, JSON.stringify(first.failures)).to.equal('succeeded');
    for (const person of [assignee, owner]) {
      const mail = await mailbox.waitFor(person.email);
      expect(mail.subject).to.equal(`${tenant.name}: "Fix the gutter" is overdue`);
      expect(mail.headers.get('x-steward-tenant')).to.equal(tenant.slug);
      expect(mail.text).to.include('Church roof');
      expect(mail.text).to.include(`${tenant.name} on Steward`);
      expect(linkIn(mail, '/tasks/')).to.equal(`/tasks/${late.id}`);
      expect(mail.text).to.include(`http://${tenant.slug}.localhost:3000/tasks/${late.id}`);
    }
    expect(mailbox.to(assignee.email)[0].text).to.include('It is assigned to you.');
    expect(mailbox.to(owner.email)[0].text).to.include('You own this project.');
    expect(mailbox.messages.filter((m) => m.subject?.includes('Done already'))).to.have.length(0);
    expect(mailbox.messages.filter((m) => m.subject?.includes('Next month'))).to.have.length(0);

    const [notice] = await noticesOf(tenant, assignee, 'task.overdue');
    expect(notice.title).to.equal('Overdue: Fix the gutter');
    expect(notice.url).to.equal(`/tasks/${late.id}`);
    expect(notice.dedupeKey).to.match(new RegExp(`^task:${late.id}:overdue`));
    expect(await noticesOf(tenant, owner, 'task.overdue')).to.have.length(1);
    expect((await freshTask(tenant, late)).overdueNotifiedAt).to.be.instanceOf(Date);
    expect((await freshTask(tenant, done)).overdueNotifiedAt).to.equal(null);
    expect((await freshTask(tenant, future)).overdueNotifiedAt).to.equal(null);

    await run();
    expect(mailbox.to(assignee.email)).to.have.length(1);
    expect(mailbox.to(owner.email)).to.have.length(1);
    expect(await noticesOf(tenant, assignee, 'task.overdue')).to.have.length(1);
  });

  it('e-mails only the people who keep reminders on; everyone still gets the notice in the app', async () => {
    const { tenant, owner, assignee, project } = await taskWorld();
    await inTenant(tenant, () => setTaskReminders(assignee, false));
    await addTask(tenant, {
      projectId: project.id,
      title: 'Mend the fence',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() - HOUR),
    });
    mailbox.clear();

    expect((await run()).status).to.equal('succeeded');
    await mailbox.settled();
    expect(mailbox.to(assignee.email)).to.have.length(0);
    expect(mailbox.to(owner.email).map((m) => m.subject)).to.deep.equal([
      `${tenant.name}: "Mend the fence" is overdue`,
    ]);
    expect((await noticesOf(tenant, assignee, 'task.overdue')).map((n) => n.title)).to.deep.equal([
      'Overdue: Mend the fence',
    ]);
    expect(await noticesOf(tenant, owner, 'task.overdue')).to.have.length(1);

    await inTenant(tenant, () => setTaskReminders(assignee, true));
    const again = await addTask(tenant, {
      projectId: project.id,
      title: 'Sweep the porch',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() - HOUR),
    });
    await run();
    await mailbox.settled();
    expect(mailbox.to(assignee.email).map((m) => linkIn(m, '/tasks/'))).to.deep.equal([`/tasks/${again.id}`]);
  });

  it('chases a task again after its due date moves', async () => {
    const { tenant, assignee, project } = await taskWorld();
    const task = await addTask(tenant, {
      projectId: project.id,
      title: 'Paint the hall',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() - HOUR),
    });
    mailbox.clear();
    await run();
    await mailbox.waitFor(assignee.email);

    const loaded = await freshTask(tenant, task);
    await inTenant(tenant, () => loaded.update({ title: 'Paint the hall white' }));
    expect(
      (await freshTask(tenant, task)).overdueNotifiedAt,
      'a title change keeps the flag',
    ).to.be.instanceOf(Date);
    await inTenant(tenant, () => loaded.update({ dueAt: new Date(Date.now() - 30 * 60_000) }));
    const moved = await freshTask(tenant, task);
    expect(moved.overdueNotifiedAt).to.equal(null);
    expect(moved.dueSoonNotifiedAt).to.equal(null);

    await run();
    const until = Date.now() + 3000;
    while (mailbox.to(assignee.email).length < 2 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    expect(mailbox.to(assignee.email)).to.have.length(2);
    expect(await noticesOf(tenant, assignee, 'task.overdue')).to.have.length(2);
  });

  it('records a failing tenant in job_runs, goes on with the others and e-mails the platform admins', async () => {
    const broken = await taskWorld();
    const fine = await taskWorld();
    for (const w of [broken, fine])
      await addTask(w.tenant, {
        projectId: w.project.id,
        title: 'Late',
        assigneeId: w.assignee.id,
        dueAt: new Date(Date.now() - HOUR),
      });
    const admin = await PlatformAdmin.create({
      email: `${uniqueSlug('ops')}@example.test`,
      name: 'Ops',
      passwordHash: await testPasswordHash(),
      lastLoginAt: null,
    });
    mailbox.clear();
    await db().query(`DROP SCHEMA ${quoteIdent(broken.tenant.schemaName)} CASCADE`);
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run();
    } finally {
      await broken.tenant.destroy();
      await admin.update({ active: false });
    }
    expect(result.status).to.equal('partial');
    expect(result.failures.map((f) => f.tenant)).to.include(broken.tenant.slug);
    const stored = await JobRun.findByPk(result.id, { rejectOnEmpty: true });
    expect(stored.failures.find((f) => f.tenant === broken.tenant.slug)?.message).to.match(/does not exist/);
    await mailbox.waitFor(fine.assignee.email);
    const alert = await mailbox.waitFor(admin.email);
    expect(alert.subject).to.equal('Steward job overdue-tasks ended with failures');
    expect(alert.text).to.include(broken.tenant.slug);
    expect(alert.text).to.include('http://localhost:3000/admin/jobs');
  });
});
