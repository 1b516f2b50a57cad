import { expect } from 'chai';
import type supertest from 'supertest';
import { Project, ProjectMember, Setting, Task, type Tenant, type User } from '../../app/models/index.ts';
import { dayBounds } from '../../app/services/task-queries.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';

// UTC+14: for ten hours of every UTC day, the local date is already the next one.
const ZONE = 'Pacific/Kiritimati';
const HOUR = 3_600_000;

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

/** The titles listed in one due group of the page ([] when the group is not shown). */
function group(html: string, bucket: string): string[] {
  const start = html.indexOf(`id="due-${bucket}"`);
  if (start < 0) return [];
  const section = html.slice(start, html.indexOf('</section>', start));
  return [...section.matchAll(/<a href="\/tasks\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);
}

describe('my tasks (/tasks/mine)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let me: User;
  let someone: User;
  let agent: supertest.Agent;
  let project: Project;
  const expected: Record<string, string[]> = { overdue: [], today: [], week: [], later: [], none: [] };

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    me = await createUser(tenant, { level: 5, name: 'Me Myself' });
    someone = await createUser(tenant, { level: 5, name: 'Someone Else' });
    const now = Date.now();
    const b = dayBounds({ now: new Date(now), timeZone: ZONE });
    await inTenant(tenant, async () => {
      await Setting.upsert({ key: 'time_zone', value: ZONE });
      project = await Project.create({ name: 'Easter services', ownerId: me.id, status: 'active' });
      await ProjectMember.bulkCreate([
        { projectId: project.id, userId: me.id, role: 'member' },
        { projectId: project.id, userId: someone.id, role: 'member' },
      ]);
      const add = (title: string, fields: Partial<Task>, bucket?: string) => {
        if (bucket) expected[bucket].push(title);
        return Task.create({ projectId: project.id, title, assigneeId: me.id, ...fields } as Task);
      };
      await add('Late flowers', { dueAt: new Date(now - 2 * HOUR), status: 'in_progress' }, 'overdue');
      // Later today in the tenant's zone, when enough of the local day is left to be sure of it.
      if (b.tomorrow.getTime() - now > 10 * 60_000)
        await add('Print programmes', { dueAt: new Date(b.tomorrow.getTime() - 60_000) }, 'today');
      // Tomorrow, which is this week unless today is Sunday.
      await add(
        'Rehearse choir',
        { dueAt: new Date(b.tomorrow.getTime() + HOUR) },
        b.tomorrow < b.nextWeek ? 'week' : 'later',
      );
      await add('Plan harvest', { dueAt: new Date(b.nextWeek.getTime() + 3 * 24 * HOUR) }, 'later');
      await add('Someday tidy', { dueAt: null, priority: 'low' }, 'none');
      await add('Already done', { status: 'done', completedAt: new Date(), dueAt: new Date(now - HOUR) });
      await add('Archived', { archivedAt: new Date(), dueAt: new Date(now - HOUR) });
      await add('Not mine', { assigneeId: someone.id, dueAt: new Date(now - HOUR) });
    });
    agent = await signedIn(tenant, me.email);
  });

  it('groups my open tasks into overdue, today, this week, later and no date, in the tenant time zone', async () => {
    const res = await agent.get('/tasks/mine').set('Host', host);
    expect(res.status).to.equal(200);
    for (const bucket of Object.keys(expected))
      expect(group(res.text, bucket), bucket).to.deep.equal(expected[bucket]);
    expect(res.text).to.include('Pacific/Kiritimati');
  });

  it('shows each task’s project and leaves out done, archived and other people’s tasks', async () => {
    const res = await agent.get('/tasks/mine').set('Host', host);
    expect(res.text).to.include('Easter services');
    expect(res.text).to.not.include('Already done').and.not.include('Archived').and.not.include('Not mine');
  });

  it('marks a task done from the page and comes back to it, the task gone from the groups', async () => {
    const task = await inTenant(tenant, () => Task.findOne({ where: { title: 'Someday tidy' } }));
    const res = await postForm(agent, host, `/tasks/${task?.id}/completion`, { next: '/tasks/mine' });
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/tasks/mine');
    const row = await inTenant(tenant, () => Task.findByPk(task?.id));
    expect(row?.status).to.equal('done');
    const page = await agent.get('/tasks/mine').set('Host', host);
    expect(group(page.text, 'none')).to.deep.equal([]);
  });

  it('says so when nothing is assigned, and the navigation links Projects and My tasks', async () => {
    const other = await createUser(tenant, { level: 5, name: 'New Comer' });
    const fresh = await signedIn(tenant, other.email);
    const res = await fresh.get('/tasks/mine').set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Nothing is assigned to you right now.');
    expect(res.text).to.include('href="/tasks/mine"').and.include('href="/projects"');
  });
});
