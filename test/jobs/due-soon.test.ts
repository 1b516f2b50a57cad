import { expect } from 'chai';
import { dueSoon } from '../../app/jobs/due-soon.ts';
import { runJob } from '../../app/jobs/run-job.ts';
import { setTaskReminders } from '../../app/services/people/task-reminders.ts';
import { linkIn, mailbox } from '../support/mailbox.ts';
import { addTask, DAY, freshTask, HOUR, inTenant, noticesOf, taskWorld } from './task-support.ts';

async function run() {
  const outcome = await runJob(dueSoon, { triggeredBy: 'test' });
  if (outcome.skipped) throw new Error('skipped');
  return outcome.run;
}

describe('due-soon job', function () {
  this.timeout(60_000);

  it('tells the assignee in the app about tasks due within 24 hours, once per task', async () => {
    const { tenant, owner, assignee, project } = await taskWorld();
    const soon = await addTask(tenant, {
      projectId: project.id,
      title: 'Book the hall',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() + 3 * HOUR),
    });
    const later = await addTask(tenant, {
      projectId: project.id,
      title: 'Plan Easter',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() + 2 * DAY),
    });
    const late = await addTask(tenant, {
      projectId: project.id,
      title: 'Already late',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() - HOUR),
    });
    const done = await addTask(tenant, {
      projectId: project.id,
      title: 'Done soon',
      assigneeId: assignee.id,
      status: 'done',
      completedAt: new Date(),
      dueAt: new Date(Date.now() + HOUR),
    });

    expect((await run()).status).to.equal('succeeded');
    const notices = await noticesOf(tenant, assignee, 'task.due_soon');
    expect(notices.map((n) => n.title)).to.deep.equal(['Due soon: Book the hall']);
    expect(notices[0].url).to.equal(`/tasks/${soon.id}`);
    expect(notices[0].body).to.include('Church roof');
    expect(await noticesOf(tenant, owner, 'task.due_soon')).to.have.length(0);
    expect((await freshTask(tenant, soon)).dueSoonNotifiedAt).to.be.instanceOf(Date);
    for (const t of [later, late, done])
      expect((await freshTask(tenant, t)).dueSoonNotifiedAt).to.equal(null);

    await run();
    expect(await noticesOf(tenant, assignee, 'task.due_soon')).to.have.length(1);
  });

  it('e-mails the assignee a day ahead, once per task and due date, with a link on the tenant host', async () => {
    const { tenant, owner, assignee, project } = await taskWorld();
    const soon = await addTask(tenant, {
      projectId: project.id,
      title: 'Print the hymn sheets',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() + 5 * HOUR),
    });
    mailbox.clear();

    expect((await run()).status).to.equal('succeeded');
    await mailbox.settled();
    const mails = mailbox.to(assignee.email);
    expect(mails).to.have.length(1);
    expect(mails[0].subject).to.equal(`${tenant.name}: "Print the hymn sheets" is due soon`);
    expect(mails[0].headers.get('x-steward-tenant')).to.equal(tenant.slug);
    expect(mails[0].text).to.include('Church roof');
    expect(linkIn(mails[0], '/tasks/')).to.equal(`/tasks/${soon.id}`);
    expect(mailbox.to(owner.email)).to.have.length(0);

    await run();
    await mailbox.settled();
    expect(mailbox.to(assignee.email)).to.have.length(1);
  });

  it('sends no e-mail to an assignee who turned reminders off, but still the notice in the app', async () => {
    const { tenant, assignee, project } = await taskWorld();
    await inTenant(tenant, () => setTaskReminders(assignee, false));
    const soon = await addTask(tenant, {
      projectId: project.id,
      title: 'Order the candles',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() + 2 * HOUR),
    });
    mailbox.clear();

    expect((await run()).status).to.equal('succeeded');
    await mailbox.settled();
    expect(mailbox.to(assignee.email)).to.have.length(0);
    const notices = await noticesOf(tenant, assignee, 'task.due_soon');
    expect(notices.map((n) => n.title)).to.deep.equal(['Due soon: Order the candles']);
    expect((await freshTask(tenant, soon)).dueSoonNotifiedAt).to.be.instanceOf(Date);
  });

  it('resets both flags when the due date changes, so the new date is announced', async () => {
    const { tenant, assignee, project } = await taskWorld();
    const task = await addTask(tenant, {
      projectId: project.id,
      title: 'Order chairs',
      assigneeId: assignee.id,
      dueAt: new Date(Date.now() + 2 * HOUR),
    });
    await run();
    const loaded = await freshTask(tenant, task);
    expect(loaded.dueSoonNotifiedAt).to.be.instanceOf(Date);
    await inTenant(tenant, () => loaded.update({ overdueNotifiedAt: new Date() }));
    await inTenant(tenant, () => loaded.update({ dueAt: new Date(loaded.dueAt?.getTime() ?? 0) }));
    expect((await freshTask(tenant, task)).dueSoonNotifiedAt, 'the same date is no change').to.be.instanceOf(
      Date,
    );

    await inTenant(tenant, () => loaded.update({ dueAt: new Date(Date.now() + 5 * HOUR) }));
    const moved = await freshTask(tenant, task);
    expect(moved.dueSoonNotifiedAt).to.equal(null);
    expect(moved.overdueNotifiedAt).to.equal(null);
    await run();
    expect(await noticesOf(tenant, assignee, 'task.due_soon')).to.have.length(2);
    expect((await freshTask(tenant, task)).dueSoonNotifiedAt).to.be.instanceOf(Date);
  });
});
