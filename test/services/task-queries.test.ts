import { expect } from 'chai';
import { Project, ProjectMember, Setting, Task, type Tenant, User } from '../../app/models/index.ts';
import { instantOf } from '../../app/services/local-time.ts';
import {
  type Clock,
  dayBounds,
  dueBucket,
  myTasks,
  openTaskCounts,
  projectStats,
  searchTasks,
  TASKS_PER_PAGE,
  tenantClock,
} from '../../app/services/task-queries.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { type TaskFilter, taskFilterSchema } from '../../app/validators/task.validator.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

// Auckland is UTC+13 in December: its Monday 00:10 is still Sunday in UTC, so a UTC week would be wrong.
const ZONE = 'Pacific/Auckland';
const at = (date: string, time: string) => instantOf(date, time, ZONE);
const clockAt = (date: string, time: string): Clock => ({ now: at(date, time), timeZone: ZONE });
// 2026-12-06 is a Sunday; 2026-12-07 the Monday after.
const SAT_2300 = clockAt('2026-12-05', '23:00');
const SUN_2300 = clockAt('2026-12-06', '23:00');
const MON_0010 = clockAt('2026-12-07', '00:10');

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

function filter(query: Record<string, unknown> = {}): TaskFilter {
  return taskFilterSchema.parse(query);
}

async function withRoles(tenant: Tenant, level: number, name: string): Promise<User> {
  const created = await createUser(tenant, { level, name });
  const user = await inTenant(tenant, () => User.findWithRoles(created.id));
  if (!user) throw new Error('no user');
  return user;
}

describe('task queries (filters, due buckets, figures)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let manager: User;
  let worker: User;
  let colleague: User;
  let project: Project;
  let hidden: Project;
  const ids: Record<string, string> = {};

  const titles = async (query: Record<string, unknown>, clock: Clock, user = manager) =>
    inTenant(tenant, async () => (await searchTasks(user, filter(query), clock)).tasks.map((t) => t.title));

  before(async () => {
    tenant = await createTenant({ kind: 'company' });
    manager = await withRoles(tenant, 4, 'Manager');
    worker = await withRoles(tenant, 5, 'Worker');
    colleague = await withRoles(tenant, 5, 'Colleague');
    await inTenant(tenant, async () => {
      await Setting.upsert({ key: 'time_zone', value: ZONE });
      project = await Project.create({ name: 'Launch', ownerId: worker.id, status: 'active' });
      hidden = await Project.create({ name: 'Secret', ownerId: colleague.id, status: 'active' });
      await ProjectMember.bulkCreate([
        { projectId: project.id, userId: worker.id, role: 'member' },
        { projectId: project.id, userId: colleague.id, role: 'member' },
        { projectId: hidden.id, userId: colleague.id, role: 'member' },
      ]);
      const make = async (key: string, fields: Partial<Task>) => {
        const task = await Task.create({
          projectId: project.id,
          title: key,
          assigneeId: worker.id,
          dueAt: null,
          completedAt: null,
          createdBy: worker.id,
          ...fields,
        } as Task);
        ids[key] = task.id;
      };
      await make('Sunday late', { dueAt: at('2026-12-06', '23:30'), priority: 'low' });
      await make('Monday early', { dueAt: at('2026-12-07', '00:30'), priority: 'urgent' });
      await make('Next month', { dueAt: at('2027-01-15', '12:00'), priority: 'high', status: 'in_progress' });
      await make('Whenever', { priority: 'medium', status: 'review' });
      await make('Done early', {
        dueAt: at('2026-12-01', '09:00'),
        status: 'done',
        completedAt: at('2026-12-07', '00:05'),
      });
      await make('Old archived', {
        status: 'done',
        completedAt: at('2026-11-02', '10:00'),
        archivedAt: new Date(),
      });
      await make('Hers 100% done', { assigneeId: colleague.id, dueAt: at('2026-12-02', '09:00') });
      await make('Nobody yet', { assigneeId: null });
      const secret = await Task.create({
        projectId: hidden.id,
        title: 'Hidden one',
        assigneeId: colleague.id,
      } as Task);
      ids['Hidden one'] = secret.id;
    });
  });

  describe('day boundaries in the tenant time zone', () => {
    it('reads the tenant time zone from its settings', async () => {
      const clock = await inTenant(tenant, () => tenantClock(new Date('2026-12-06T10:00:00Z')));
      expect(clock.timeZone).to.equal(ZONE);
    });

    it('starts the week on the local Monday and today at local midnight', () => {
      const b = dayBounds(SUN_2300);
      expect(b.monday).to.equal('2026-11-30');
      expect(b.weekStart.toISOString()).to.equal('2026-11-29T11:00:00.000Z');
      expect(b.nextWeek.toISOString()).to.equal('2026-12-06T11:00:00.000Z');
      expect(b.today.toISOString()).to.equal('2026-12-05T11:00:00.000Z');
      expect(b.tomorrow.toISOString()).to.equal('2026-12-06T11:00:00.000Z');
      expect(dayBounds(MON_0010).monday).to.equal('2026-12-07');
    });

    it('puts a task due 23:30 on Sunday in this week on Saturday night, today on Sunday 23:00, overdue at Monday 00:10', () => {
      const task = { dueAt: at('2026-12-06', '23:30'), status: 'todo' as const };
      expect(dueBucket(task, SAT_2300)).to.equal('week');
      expect(dueBucket(task, SUN_2300)).to.equal('today');
      expect(dueBucket(task, MON_0010)).to.equal('overdue');
      expect(dueBucket({ ...task, status: 'done' }, MON_0010)).to.not.equal('overdue');
      expect(dueBucket({ dueAt: null, status: 'todo' }, MON_0010)).to.equal('none');
    });

    it('filters "this week" with the local week: Sunday 23:30 is in it on Sunday 23:00, not on Monday 00:10', async () => {
      expect(await titles({ due: 'week' }, SUN_2300))
        .to.include('Sunday late')
        .and.not.include('Monday early');
      expect(await titles({ due: 'week' }, MON_0010))
        .to.include('Monday early')
        .and.not.include('Sunday late');
    });

    it('filters "overdue" as due before now and not done', async () => {
      expect(await titles({ due: 'overdue' }, SUN_2300)).to.have.members(['Hers 100% done']);
      expect(await titles({ due: 'overdue' }, MON_0010)).to.have.members(['Hers 100% done', 'Sunday late']);
    });

    it('filters "today" with the local day', async () => {
      expect(await titles({ due: 'today' }, SUN_2300)).to.have.members(['Sunday late']);
      expect(await titles({ due: 'today' }, MON_0010)).to.have.members(['Monday early']);
    });

    it('filters tasks without a due date', async () => {
      expect(await titles({ due: 'none' }, SUN_2300)).to.have.members([
        'Whenever',
        'Nobody yet',
        'Hidden one',
      ]);
      expect(await titles({ due: 'none' }, SUN_2300, worker)).to.have.members(['Whenever', 'Nobody yet']);
    });
  });

  describe('my tasks', () => {
    const grouped = async (clock: Clock, user = worker) => {
      const groups = await inTenant(tenant, () => myTasks(user, clock));
      return Object.fromEntries([...groups].map(([bucket, list]) => [bucket, list.map((t) => t.title)]));
    };

    it('groups the open tasks of the user around the Sunday to Monday boundary', async () => {
      expect(await grouped(SAT_2300)).to.deep.equal({
        overdue: [],
        today: [],
        week: ['Sunday late'],
        later: ['Monday early', 'Next month'],
        none: ['Whenever'],
      });
      expect(await grouped(SUN_2300)).to.deep.equal({
        overdue: [],
        today: ['Sunday late'],
        week: [],
        later: ['Monday early', 'Next month'],
        none: ['Whenever'],
      });
      expect(await grouped(MON_0010)).to.deep.equal({
        overdue: ['Sunday late'],
        today: ['Monday early'],
        week: [],
        later: ['Next month'],
        none: ['Whenever'],
      });
    });

    it('leaves out done, archived and other people’s tasks, and gives each task its project', async () => {
      const groups = await inTenant(tenant, () => myTasks(worker, MON_0010));
      const all = [...groups.values()].flat();
      expect(all.map((t) => t.title)).to.not.include.members([
        'Done early',
        'Old archived',
        'Hers 100% done',
      ]);
      expect(all.every((t) => t.project?.name === 'Launch')).to.equal(true);
    });
  });

  describe('filters, sorting and paging', () => {
    it('shows only tasks of projects the user is in, and every task to projects.manage', async () => {
      expect(await titles({}, SUN_2300, worker)).to.not.include('Hidden one');
      expect(await titles({}, SUN_2300, colleague)).to.include('Hidden one');
      expect(await titles({}, SUN_2300, manager)).to.include('Hidden one');
    });

    it('narrows by project, several statuses and priority', async () => {
      expect(await titles({ project: hidden.id }, SUN_2300)).to.deep.equal(['Hidden one']);
      expect(await titles({ project: hidden.id }, SUN_2300, worker)).to.deep.equal([]);
      expect(await titles({ status: ['in_progress', 'review'] }, SUN_2300)).to.have.members([
        'Next month',
        'Whenever',
      ]);
      expect(await titles({ status: 'done' }, SUN_2300)).to.deep.equal(['Done early']);
      expect(await titles({ priority: 'urgent' }, SUN_2300)).to.deep.equal(['Monday early']);
    });

    it('narrows by assignee: me, nobody, or a person', async () => {
      expect(await titles({ assignee: 'me' }, SUN_2300, colleague)).to.have.members([
        'Hers 100% done',
        'Hidden one',
      ]);
      expect(await titles({ assignee: 'none' }, SUN_2300)).to.deep.equal(['Nobody yet']);
      expect(await titles({ assignee: colleague.id, project: project.id }, SUN_2300)).to.deep.equal([
        'Hers 100% done',
      ]);
    });

    it('searches titles, taking % and _ literally', async () => {
      expect(await titles({ q: 'monday' }, SUN_2300)).to.deep.equal(['Monday early']);
      expect(await titles({ q: '100%' }, SUN_2300)).to.deep.equal(['Hers 100% done']);
      expect(await titles({ q: '%' }, SUN_2300)).to.deep.equal(['Hers 100% done']);
    });

    it('hides archived tasks unless asked', async () => {
      expect(await titles({}, SUN_2300)).to.not.include('Old archived');
      expect(await titles({ archived: '1' }, SUN_2300)).to.include('Old archived');
    });

    it('sorts by due date (no date last, finished tasks after open ones), priority and title; an unknown sort falls back to due', async () => {
      const due = await titles({ project: project.id }, SUN_2300);
      expect(due.slice(0, 2)).to.deep.equal(['Hers 100% done', 'Sunday late']);
      expect(due.slice(-3, -1)).to.have.members(['Whenever', 'Nobody yet']);
      expect(due.at(-1)).to.equal('Done early');
      expect(await titles({ project: project.id, sort: 'drop table' }, SUN_2300)).to.deep.equal(due);
      const byPriority = await titles({ project: project.id, sort: 'priority' }, SUN_2300);
      expect(byPriority[0]).to.equal('Monday early');
      expect(byPriority[1]).to.equal('Next month');
      const byTitle = await titles({ project: project.id, sort: 'title' }, SUN_2300);
      expect(byTitle).to.deep.equal(
        [...byTitle].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
      );
    });

    it(`pages by ${TASKS_PER_PAGE}`, async () => {
      const bulk = await inTenant(tenant, async () => {
        const p = await Project.create({ name: 'Bulk', ownerId: manager.id });
        await Task.bulkCreate(
          Array.from({ length: TASKS_PER_PAGE + 5 }, (_, i) => ({
            projectId: p.id,
            title: `Bulk ${String(i).padStart(3, '0')}`,
            assigneeId: null,
            dueAt: null,
            completedAt: null,
            createdBy: null,
          })),
        );
        return p;
      });
      const page = (n: number) =>
        inTenant(tenant, () =>
          searchTasks(manager, filter({ project: bulk.id, sort: 'title', page: n }), SUN_2300),
        );
      const first = await page(1);
      const second = await page(2);
      expect(first.total).to.equal(TASKS_PER_PAGE + 5);
      expect(first.pages).to.equal(2);
      expect(first.tasks).to.have.length(TASKS_PER_PAGE);
      expect(second.tasks.map((t) => t.title)).to.deep.equal([
        'Bulk 050',
        'Bulk 051',
        'Bulk 052',
        'Bulk 053',
        'Bulk 054',
      ]);
    });
  });

  describe('project figures', () => {
    it('counts open tasks per project, done and archived ones left out', async () => {
      const counts = await inTenant(tenant, () => openTaskCounts([project.id, hidden.id]));
      expect(counts.get(String(project.id))).to.equal(6);
      expect(counts.get(String(hidden.id))).to.equal(1);
    });

    it('counts tasks by status, completion, overdue and done per local week', async () => {
      const stats = await inTenant(tenant, () => projectStats(project.id, MON_0010));
      expect(stats.byStatus).to.deep.equal({ todo: 4, in_progress: 1, review: 1, done: 2 });
      expect(stats.total).to.equal(8);
      expect(stats.completion).to.equal(25);
      expect(stats.overdue).to.equal(2);
      expect(stats.perWeek).to.have.length(8);
      expect(stats.perWeek[7]).to.deep.equal({ monday: '2026-12-07', done: 1 });
      expect(stats.perWeek[0].monday).to.equal('2026-10-19');
      // Completed at 10:00 on Monday 2 November: the week of 2 November.
      expect(stats.perWeek.find((w) => w.monday === '2026-11-02')?.done).to.equal(1);
      // Seen on Sunday 23:00, the Monday 00:05 completion is still in the future.
      const before = await inTenant(tenant, () => projectStats(project.id, SUN_2300));
      expect(before.perWeek[7]).to.deep.equal({ monday: '2026-11-30', done: 0 });
    });
  });
});
