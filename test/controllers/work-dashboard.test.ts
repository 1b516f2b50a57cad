import { expect } from 'chai';
import type supertest from 'supertest';
import { db } from '../../app/db/database.ts';
import { redisClient } from '../../app/db/redis.ts';
import { AuditLog, Project, ProjectMember, Task, type Tenant, type User } from '../../app/models/index.ts';
import type { TaskStatus } from '../../app/models/task.ts';
import { type CacheBackend, tenantKey, useCacheBackend, versionOf } from '../../app/services/cache.ts';
import { WORK_CACHE_GROUP, weekOf } from '../../app/services/work-dashboard.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { createUser, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';

const HOUR = 3_600_000;

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

/** The number shown for `key` (data-figure) on the dashboard. */
function figure(html: string, key: string): number {
  const m = html.match(new RegExp(`data-figure="${key}">(\\d+)<`));
  if (!m) throw new Error(`no figure ${key} on the page`);
  return Number(m[1]);
}

function projectsWith(html: string, status: string): number {
  const m = html.match(new RegExp(`data-projects="${status}">(\\d+)<`));
  if (!m) throw new Error(`no project count for ${status}`);
  return Number(m[1]);
}

/** Instants that fall where the figures expect them whatever the day of the week the tests run. */
function moments() {
  const now = Date.now();
  const week = weekOf(new Date(now), 'UTC');
  return {
    // Before this week, so that it is overdue without being due this week as well.
    overdue: new Date(week.start.getTime() - 2 * HOUR),
    laterThisWeek: new Date((now + week.end.getTime()) / 2),
    nextWeek: new Date(week.end.getTime() + 24 * HOUR),
    earlierThisWeek: new Date((week.start.getTime() + now) / 2),
    lastWeek: new Date(week.start.getTime() - 24 * HOUR),
  };
}

interface TaskSpec {
  status?: TaskStatus;
  dueAt?: Date | null;
  completedAt?: Date | null;
  assigneeId?: string | null;
  archived?: boolean;
  title?: string;
}

async function project(
  tenant: Tenant,
  name: string,
  opts: { status?: 'planning' | 'active' | 'on_hold' | 'completed' | 'archived'; members?: User[] } = {},
  tasks: TaskSpec[] = [],
): Promise<{ project: Project; tasks: Task[] }> {
  return inTenant(tenant, async () => {
    const p = await Project.create({
      name,
      description: null,
      status: opts.status ?? 'active',
      startsOn: null,
      endsOn: null,
      ownerId: null,
    });
    for (const u of opts.members ?? []) await ProjectMember.create({ projectId: p.id, userId: u.id });
    const created = await Task.bulkCreate(
      tasks.map((t, i) => ({
        projectId: p.id,
        title: t.title ?? `${name} task ${i + 1}`,
        description: null,
        status: t.status ?? 'todo',
        assigneeId: t.assigneeId ?? null,
        dueAt: t.dueAt ?? null,
        completedAt: t.completedAt ?? (t.status === 'done' ? new Date() : null),
        archivedAt: t.archived ? new Date() : null,
        createdBy: null,
      })),
      { returning: true },
    );
    return { project: p, tasks: created };
  });
}

async function dashboard(agent: supertest.Agent, tenant: Tenant): Promise<string> {
  const res = await agent.get('/work').set('Host', hostOf(tenant));
  expect(res.status, res.text.slice(0, 300)).to.equal(200);
  return res.text;
}

describe('work dashboard (/work)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let admin: supertest.Agent;
  let worker: User;
  let workerAgent: supertest.Agent;
  let roof: { project: Project; tasks: Task[] };
  let hidden: { project: Project; tasks: Task[] };

  before(async () => {
    tenant = await createTenant({ kind: 'company' });
    admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
    worker = await createUser(tenant, { level: 5, name: 'Wanda Worker' });
    workerAgent = await signedIn(tenant, worker.email);
    const m = moments();
    roof = await project(tenant, 'Roof', { members: [worker] }, [
      { status: 'todo', dueAt: m.overdue, assigneeId: worker.id },
      { status: 'in_progress', dueAt: m.laterThisWeek, assigneeId: worker.id },
      { status: 'review', dueAt: m.nextWeek },
      { status: 'done', completedAt: m.earlierThisWeek, assigneeId: worker.id },
      { status: 'done', completedAt: m.lastWeek },
      { status: 'todo', archived: true, dueAt: m.overdue },
    ]);
    hidden = await project(tenant, 'Payroll', { status: 'planning' }, [
      { status: 'todo', dueAt: m.overdue },
      { status: 'todo', dueAt: m.laterThisWeek },
      { status: 'done', completedAt: m.earlierThisWeek },
    ]);
    await project(tenant, 'Old office', { status: 'completed' });
  });

  after(() => useCacheBackend('auto'));

  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const res = await http().get('/work').set('Host', hostOf(tenant));
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.match(/^\/login\?next=%2Fwork/);
  });

  it('shows a super admin every project: open, overdue, due this week, completed this week, projects by status', async () => {
    useCacheBackend('auto');
    const html = await dashboard(admin, tenant);
    expect(figure(html, 'openTasks')).to.equal(5);
    expect(figure(html, 'overdue')).to.equal(2);
    expect(figure(html, 'dueThisWeek')).to.equal(2);
    expect(figure(html, 'completedThisWeek')).to.equal(2);
    expect(figure(html, 'myOpenTasks')).to.equal(0);
    expect(projectsWith(html, 'active')).to.equal(1);
    expect(projectsWith(html, 'planning')).to.equal(1);
    expect(projectsWith(html, 'completed')).to.equal(1);
    expect(projectsWith(html, 'on_hold')).to.equal(0);
  });

  it('links each figure to its filtered list', async () => {
    const html = await dashboard(admin, tenant);
    for (const href of [
      '/tasks?status=todo&amp;status=in_progress&amp;status=review',
      '/tasks?due=overdue',
      '/tasks?due=week&amp;status=todo&amp;status=in_progress&amp;status=review',
      '/tasks?status=done&amp;sort=updated',
      '/tasks?assignee=me&amp;status=todo&amp;status=in_progress&amp;status=review',
      '/projects?status=active',
      '/projects?status=on_hold',
    ])
      expect(html, href).to.include(`href="${href}"`);
  });

  it('shows the same numbers as the lists the figures link to', async () => {
    for (const agent of [admin, workerAgent]) {
      const html = await dashboard(agent, tenant);
      for (const key of ['openTasks', 'overdue', 'dueThisWeek', 'myOpenTasks']) {
        const href = html.match(
          new RegExp(`href="([^"]+)">\\s*<div class="card-body">\\s*<div [^>]*data-figure="${key}"`),
        )?.[1];
        if (!href) throw new Error(`no link on ${key}`);
        const list = await agent.get(href.replace(/&amp;/g, '&')).set('Host', hostOf(tenant));
        expect(list.status, href).to.equal(200);
        const shown = Number(list.text.match(/(\d+) tasks?<\/p>/)?.[1]);
        expect(shown, `${key} → ${href}`).to.equal(figure(html, key));
      }
      for (const status of ['active', 'planning', 'completed']) {
        const list = await agent.get(`/projects?status=${status}`).set('Host', hostOf(tenant));
        const shown = Number(list.text.match(/(\d+) projects?<\/p>/)?.[1]);
        expect(shown, status).to.equal(projectsWith(html, status));
      }
    }
  });

  it('shows a level-5 member only the figures and the activity of their own project', async () => {
    await inTenant(tenant, async () => {
      await AuditLog.create({
        actorId: null,
        actorName: 'Ana Admin',
        action: 'task.created',
        recordType: 'task',
        recordId: roof.tasks[0].id,
        recordLabel: 'Patch the roof',
        projectId: roof.project.id,
        ip: null,
      });
      await AuditLog.create({
        actorId: null,
        actorName: 'Ana Admin',
        action: 'task.created',
        recordType: 'task',
        recordId: hidden.tasks[0].id,
        recordLabel: 'Secret payroll run',
        projectId: hidden.project.id,
        ip: null,
      });
    });
    const html = await dashboard(workerAgent, tenant);
    expect(figure(html, 'openTasks')).to.equal(3);
    expect(figure(html, 'overdue')).to.equal(1);
    expect(figure(html, 'dueThisWeek')).to.equal(1);
    expect(figure(html, 'completedThisWeek')).to.equal(1);
    expect(figure(html, 'myOpenTasks')).to.equal(2);
    expect(projectsWith(html, 'active')).to.equal(1);
    expect(projectsWith(html, 'planning')).to.equal(0);
    expect(html).to.include('Patch the roof');
    expect(html).not.to.include('Secret payroll run');
    // The admin's dashboard, cached under another scope, is not what the member gets, nor the reverse.
    expect(figure(await dashboard(admin, tenant), 'openTasks')).to.equal(5);
  });

  for (const backend of ['auto', 'memory'] as CacheBackend[]) {
    const name = backend === 'auto' ? 'Redis (as configured for tests)' : 'the in-process cache';
    describe(`cached in ${name}`, () => {
      let t: Tenant;
      let agent: supertest.Agent;
      let p: { project: Project; tasks: Task[] };

      before(async function () {
        if (backend === 'auto' && !(config.REDIS_URL && redisClient()?.isReady)) this.skip();
        useCacheBackend(backend);
        t = await createTenant({ kind: 'company' });
        agent = await signedIn(t, `admin@${t.slug}.test`);
        p = await project(t, 'Website', {}, [
          { status: 'todo' },
          { status: 'todo' },
          { status: 'in_progress' },
        ]);
      });

      after(() => useCacheBackend('auto'));

      it('keeps the figures while nothing is written through the models, so the cache is really used', async () => {
        expect(figure(await dashboard(agent, t), 'openTasks')).to.equal(3);
        // A write that bypasses the models (and so the invalidation) stays unseen until the entry expires.
        await inTenant(t, () =>
          db().query(`UPDATE tasks SET status = 'done' WHERE id = ${Number(p.tasks[2].id)}`),
        );
        expect(figure(await dashboard(agent, t), 'openTasks')).to.equal(3);
        if (backend === 'auto') {
          const key = await inTenant(t, async () => tenantKey('work:dashboard:all'));
          expect(key).to.equal(`${config.REDIS_PREFIX}t:${t.toRef().schema}:work:dashboard:all`);
          expect(await redisClient()?.exists(key)).to.equal(1);
        }
      });

      it('shows a task completed through the models on the very next load', async () => {
        const before = figure(await dashboard(agent, t), 'completedThisWeek');
        await inTenant(t, () => p.tasks[0].update({ status: 'done', completedAt: new Date() }));
        const html = await dashboard(agent, t);
        // The model write made the entry stale, so it was computed again: the earlier raw write shows too.
        expect(figure(html, 'openTasks')).to.equal(1);
        expect(figure(html, 'completedThisWeek')).to.equal(before + 1);
      });

      it('counts a task completed on its page (POST /tasks/:id/completion) on the next load, and tells it', async () => {
        const task = await inTenant(t, () =>
          Task.create({
            projectId: p.project.id,
            title: 'Ship the footer',
            description: null,
            assigneeId: null,
            dueAt: null,
            completedAt: null,
            createdBy: null,
          }),
        );
        const before = await dashboard(agent, t);
        const res = await postForm(agent, hostOf(t), `/tasks/${task.id}/completion`, {}, `/tasks/${task.id}`);
        expect(res.status, res.text.slice(0, 200)).to.equal(302);
        const after = await dashboard(agent, t);
        expect(figure(after, 'openTasks')).to.equal(figure(before, 'openTasks') - 1);
        expect(figure(after, 'completedThisWeek')).to.equal(figure(before, 'completedThisWeek') + 1);
        expect(after.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')).to.include('completed Ship the footer');
        expect(await inTenant(t, () => Task.count({ where: { id: task.id, status: 'done' } }))).to.equal(1);
      });

      it('never serves one tenant the figures cached for another', async () => {
        const other = await createTenant({ kind: 'company' });
        const otherAgent = await signedIn(other, `admin@${other.slug}.test`);
        await project(
          other,
          'Other site',
          {},
          Array.from({ length: 7 }, () => ({ status: 'todo' as const })),
        );
        const mine = figure(await dashboard(agent, t), 'openTasks');
        const theirs = figure(await dashboard(otherAgent, other), 'openTasks');
        expect(mine).to.equal(1);
        expect(theirs).to.equal(7);
        // Cached now on both sides, under keys that carry each tenant's schema.
        expect(figure(await dashboard(agent, t), 'openTasks')).to.equal(1);
        expect(figure(await dashboard(otherAgent, other), 'openTasks')).to.equal(7);
      });

      it('makes the figures stale only once the transaction that wrote commits', async () => {
        const task = p.tasks[1];
        const transaction = await inTenant(t, () => db().transaction());
        await inTenant(t, () => Task.update({ status: 'done' }, { where: { id: task.id }, transaction }));
        // Read while the write is uncommitted: the old figure, computed and cached now.
        expect(figure(await dashboard(agent, t), 'openTasks')).to.equal(1);
        await transaction.commit();
        expect(figure(await dashboard(agent, t), 'openTasks')).to.equal(0);
      });

      it('keeps the figures when the transaction that wrote rolls back', async () => {
        const transaction = await inTenant(t, () => db().transaction());
        await inTenant(t, () =>
          Task.create(
            {
              projectId: p.project.id,
              title: 'Rolled back',
              description: null,
              assigneeId: null,
              dueAt: null,
              completedAt: null,
              createdBy: null,
            },
            { transaction },
          ),
        );
        const before = await inTenant(t, () => versionOf(WORK_CACHE_GROUP));
        await transaction.rollback();
        expect(await inTenant(t, () => versionOf(WORK_CACHE_GROUP))).to.equal(before);
        expect(figure(await dashboard(agent, t), 'openTasks')).to.equal(0);
      });
    });
  }
});
