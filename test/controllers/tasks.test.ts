import { expect } from 'chai';
import type supertest from 'supertest';
import {
  Attachment,
  AuditLog,
  Project,
  ProjectMember,
  Setting,
  Task,
  type Tenant,
  type User,
} from '../../app/models/index.ts';
import { attachFile } from '../../app/services/attachments.ts';
import { instantOf } from '../../app/services/local-time.ts';
import { fileStore } from '../../app/services/storage.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';

const ZONE = 'America/Los_Angeles';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

function taskRow(tenant: Tenant, id: string): Promise<Task | null> {
  return inTenant(tenant, () => Task.findByPk(id));
}

function entriesFor(tenant: Tenant, taskId: string): Promise<AuditLog[]> {
  return inTenant(tenant, () =>
    AuditLog.findAll({ where: { recordType: 'task', recordId: String(taskId) }, order: [['id', 'ASC']] }),
  );
}

const validTask = (fields: Record<string, string> = {}) => ({
  title: 'Order chairs',
  description: '',
  status: 'todo',
  priority: 'medium',
  assigneeId: '',
  dueDate: '',
  dueTime: '',
  ...fields,
});

describe('tasks (/tasks, /projects/:id/tasks)', function () {
  this.timeout(90_000);
  let tenant: Tenant;
  let other: Tenant;
  let host: string;
  let owner: User;
  let member: User;
  let viewer: User;
  let outsider: User;
  let project: Project;
  let foreignTaskId: string;
  const agents: Record<string, supertest.Agent> = {};

  async function newTask(fields: Partial<Task> = {}): Promise<Task> {
    return inTenant(tenant, () =>
      Task.create({ projectId: project.id, title: 'Existing task', createdBy: owner.id, ...fields } as Task),
    );
  }

  before(async () => {
    tenant = await createTenant({ kind: 'company' });
    other = await createTenant({ kind: 'company' });
    host = hostOf(tenant);
    owner = await createUser(tenant, { level: 5, name: 'Olive Owner' });
    member = await createUser(tenant, { level: 5, name: 'Mark Member' });
    viewer = await createUser(tenant, { level: 5, name: 'Vera Viewer' });
    outsider = await createUser(tenant, { level: 5, name: 'Otto Outsider' });
    await inTenant(tenant, async () => {
      await Setting.upsert({ key: 'time_zone', value: ZONE });
      project = await Project.create({ name: 'Office move', ownerId: owner.id, status: 'active' });
      await ProjectMember.bulkCreate([
        { projectId: project.id, userId: owner.id, role: 'member' },
        { projectId: project.id, userId: member.id, role: 'member' },
        { projectId: project.id, userId: viewer.id, role: 'viewer' },
      ]);
    });
    foreignTaskId = await inTenant(other, async () => {
      const p = await Project.create({ name: 'Their project', ownerId: null });
      // Far above this tenant's ids: a 404 can only come from the tenant boundary.
      const t = await Task.create({ id: '800000001', projectId: p.id, title: 'Their task' } as Task);
      return String(t.id);
    });
    for (const [name, user] of Object.entries({ owner, member, viewer, outsider }))
      agents[name] = await signedIn(tenant, user.email);
    agents.admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
  });

  describe('creating', () => {
    it('creates a task with its due time read in the tenant time zone, audited with the project id', async () => {
      const form = await agents.member.get(`/projects/${project.id}/tasks/new`).set('Host', host);
      expect(form.status).to.equal(200);
      expect(form.text).to.include('Mark Member').and.not.include('Vera Viewer');
      const res = await postForm(
        agents.member,
        host,
        `/projects/${project.id}/tasks`,
        validTask({
          title: 'Pack boxes',
          priority: 'high',
          assigneeId: String(member.id),
          dueDate: '2026-12-06',
          dueTime: '23:30',
        }),
      );
      expect(res.status).to.equal(302);
      const id = res.headers.location.split('/').pop() ?? '';
      const task = await taskRow(tenant, id);
      expect(task?.title).to.equal('Pack boxes');
      expect(String(task?.assigneeId)).to.equal(String(member.id));
      expect(String(task?.createdBy)).to.equal(String(member.id));
      expect(task?.dueAt?.toISOString()).to.equal(instantOf('2026-12-06', '23:30', ZONE).toISOString());
      expect(task?.dueAt?.toISOString()).to.equal('2026-12-07T07:30:00.000Z');
      expect(task?.completedAt).to.equal(null);
      const [entry] = await entriesFor(tenant, id);
      expect(entry.action).to.equal('task.created');
      expect(String(entry.projectId)).to.equal(String(project.id));
      const page = await agents.member.get(`/tasks/${id}`).set('Host', host);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('Pack boxes').and.include('6 Dec 2026, 23:30').and.include('High');
    });

    it('takes a due date without a time as the end of that day', async () => {
      const res = await postForm(
        agents.member,
        host,
        `/projects/${project.id}/tasks`,
        validTask({ title: 'Date only', dueDate: '2026-03-01' }),
      );
      const task = await taskRow(tenant, res.headers.location.split('/').pop() ?? '');
      expect(task?.dueAt?.toISOString()).to.equal(instantOf('2026-03-01', '23:59', ZONE).toISOString());
    });

    it('answers 422 with a message per field, keeping the input, and creates nothing', async () => {
      const before = await inTenant(tenant, () => Task.count());
      const cases: [Record<string, string>, string, string][] = [
        [{ title: 'x'.repeat(201) }, 'title', 'must be at most 200 characters'],
        [{ title: '' }, 'title', 'is required'],
        [{ status: 'blocked' }, 'status', 'must be one of the listed statuses'],
        [{ priority: 'asap' }, 'priority', 'must be one of the listed priorities'],
        [{ dueDate: '2026-02-30' }, 'dueDate', 'must be a date such as 2026-12-31'],
        [{ dueDate: '2026-02-10', dueTime: '25:00' }, 'dueTime', 'must be a time such as 17:30'],
        [{ dueTime: '10:00' }, 'dueDate', 'is required when a time is given'],
        [
          { assigneeId: String(outsider.id) },
          'assigneeId',
          'must be a member of this project who works on its tasks',
        ],
        [
          { assigneeId: String(viewer.id) },
          'assigneeId',
          'must be a member of this project who works on its tasks',
        ],
        [{ assigneeId: 'me' }, 'assigneeId', 'choose a person'],
      ];
      for (const [fields, field, message] of cases) {
        const res = await postForm(
          agents.member,
          host,
          `/projects/${project.id}/tasks`,
          validTask({ title: 'Kept title', ...fields }),
        );
        expect(res.status, JSON.stringify(fields)).to.equal(422);
        expect(res.text, field).to.include(`id="f-${field}"`).and.include(message);
        expect(res.text).to.match(new RegExp(`class="form-(control|select) is-invalid" id="f-${field}"`));
        if (fields.title === undefined) expect(res.text).to.include('value="Kept title"');
      }
      expect(await inTenant(tenant, () => Task.count())).to.equal(before);
    });
  });

  describe('editing, completing and reopening', () => {
    it('sets completed_at when an edit moves the task to done, and clears it when it leaves done', async () => {
      const task = await newTask({ status: 'in_progress' });
      const edit = await agents.member.get(`/tasks/${task.id}/edit`).set('Host', host);
      expect(edit.status).to.equal(200);
      expect(edit.text).to.include('value="Existing task"');
      const done = await postForm(
        agents.member,
        host,
        `/tasks/${task.id}`,
        validTask({ title: 'Existing task', status: 'done' }),
      );
      expect(done.status).to.equal(302);
      const completed = await taskRow(tenant, task.id);
      expect(completed?.status).to.equal('done');
      expect(completed?.completedAt).to.be.instanceOf(Date);
      expect(Date.now() - (completed?.completedAt?.getTime() ?? 0)).to.be.lessThan(60_000);
      const back = await postForm(
        agents.member,
        host,
        `/tasks/${task.id}`,
        validTask({ title: 'Existing task', status: 'review' }),
      );
      expect(back.status).to.equal(302);
      const reopened = await taskRow(tenant, task.id);
      expect([reopened?.status, reopened?.completedAt]).to.deep.equal(['review', null]);
      const actions = (await entriesFor(tenant, task.id)).map((e) => e.action);
      expect(actions).to.deep.equal(['task.completed', 'task.reopened']);
    });

    it('audits a change of assignee alone as task.assigned, with the project id', async () => {
      const task = await newTask();
      const res = await postForm(
        agents.owner,
        host,
        `/tasks/${task.id}`,
        validTask({ title: 'Existing task', assigneeId: String(member.id) }),
      );
      expect(res.status).to.equal(302);
      const [entry] = await entriesFor(tenant, task.id);
      expect(entry.action).to.equal('task.assigned');
      expect(String(entry.projectId)).to.equal(String(project.id));
      expect(entry.changes.assignee).to.deep.equal({ from: null, to: 'Mark Member' });
    });

    it('refuses a bad edit with 422 and leaves the task unchanged', async () => {
      const task = await newTask({ title: 'Stays' });
      const res = await postForm(
        agents.member,
        host,
        `/tasks/${task.id}`,
        validTask({ title: 'y'.repeat(250), status: 'nope' }),
      );
      expect(res.status).to.equal(422);
      expect(res.text)
        .to.include('must be at most 200 characters')
        .and.include('must be one of the listed statuses');
      expect((await taskRow(tenant, task.id))?.title).to.equal('Stays');
      expect(await entriesFor(tenant, task.id)).to.have.length(0);
    });

    it('marks a task complete, then reopens it to the status it had before', async () => {
      const task = await newTask({ status: 'review' });
      const done = await postForm(agents.member, host, `/tasks/${task.id}/completion`, {});
      expect(done.status).to.equal(302);
      expect(done.headers.location).to.equal(`/tasks/${task.id}`);
      const completed = await taskRow(tenant, task.id);
      expect(completed?.status).to.equal('done');
      expect(completed?.completedAt).to.be.instanceOf(Date);
      const page = await agents.member.get(`/tasks/${task.id}`).set('Host', host);
      expect(page.text).to.include(`/tasks/${task.id}/completion/delete`).and.include('Completed');
      const reopened = await postForm(agents.member, host, `/tasks/${task.id}/completion/delete`, {});
      expect(reopened.status).to.equal(302);
      const row = await taskRow(tenant, task.id);
      expect([row?.status, row?.completedAt]).to.deep.equal(['review', null]);
      const entries = await entriesFor(tenant, task.id);
      expect(entries.map((e) => e.action)).to.deep.equal(['task.completed', 'task.reopened']);
      expect(entries.every((e) => String(e.projectId) === String(project.id))).to.equal(true);
    });

    it('reopens a task created as done to "todo"', async () => {
      const task = await newTask({ status: 'done', completedAt: new Date() });
      await postForm(agents.member, host, `/tasks/${task.id}/completion/delete`, {});
      const row = await taskRow(tenant, task.id);
      expect([row?.status, row?.completedAt]).to.deep.equal(['todo', null]);
    });

    it('goes back to a page of this site after completing, never to another site', async () => {
      const task = await newTask();
      const local = await postForm(agents.member, host, `/tasks/${task.id}/completion`, {
        next: '/tasks/mine',
      });
      expect(local.headers.location).to.equal('/tasks/mine');
      const task2 = await newTask();
      const away = await postForm(agents.member, host, `/tasks/${task2.id}/completion`, {
        next: '//evil.test/x',
      });
      expect(away.headers.location).to.equal(`/tasks/${task2.id}`);
    });

    it('deletes a task, audited with the project id', async () => {
      const task = await newTask({ title: 'Throw away' });
      const file = await inTenant(tenant, () =>
        attachFile(task.id, member.id, { name: 'notes.txt', type: 'text/plain', data: Buffer.from('notes') }),
      );
      expect(await inTenant(tenant, () => fileStore.open(file.fileKey).then(() => true))).to.equal(true);
      const res = await postForm(agents.member, host, `/tasks/${task.id}/delete`, {});
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(`/projects/${project.id}`);
      expect(await taskRow(tenant, task.id)).to.equal(null);
      expect(await inTenant(tenant, () => Attachment.count({ where: { taskId: task.id } }))).to.equal(0);
      const gone = await inTenant(tenant, () =>
        fileStore.open(file.fileKey).then(
          () => false,
          () => true,
        ),
      );
      expect(gone, 'the attached file is removed from the store').to.equal(true);
      const [entry] = await entriesFor(tenant, task.id);
      expect(entry.action).to.equal('task.deleted');
      expect(entry.recordLabel).to.equal('Throw away');
      expect(String(entry.projectId)).to.equal(String(project.id));
    });
  });

  describe('access', () => {
    let task: Task;

    beforeEach(async () => {
      task = await newTask({ title: 'Guarded', status: 'in_progress', assigneeId: member.id });
    });

    const getPaths = (id: string) => [`/tasks/${id}`, `/tasks/${id}/edit`];
    const postPaths = (id: string) => [
      `/tasks/${id}`,
      `/tasks/${id}/delete`,
      `/tasks/${id}/completion`,
      `/tasks/${id}/completion/delete`,
    ];

    async function postAll(agent: supertest.Agent, paths: string[]): Promise<Record<string, number>> {
      const _csrf = await csrfToken(agent, host, '/');
      const statuses: Record<string, number> = {};
      for (const path of paths) {
        const res = await agent
          .post(path)
          .set('Host', host)
          .type('form')
          .send({ _csrf, ...validTask({ title: 'Changed', status: 'done' }) });
        statuses[path] = res.status;
      }
      return statuses;
    }

    async function unchanged(): Promise<void> {
      const row = await taskRow(tenant, task.id);
      expect([row?.title, row?.status, row?.completedAt]).to.deep.equal(['Guarded', 'in_progress', null]);
      expect(await entriesFor(tenant, task.id)).to.have.length(0);
    }

    it('answers 404 to an outsider on every task route, and changes nothing', async () => {
      for (const path of [...getPaths(task.id), `/projects/${project.id}/tasks/new`])
        expect((await agents.outsider.get(path).set('Host', host)).status, path).to.equal(404);
      const statuses = await postAll(agents.outsider, [
        ...postPaths(task.id),
        `/projects/${project.id}/tasks`,
      ]);
      expect(Object.values(statuses)).to.deep.equal([404, 404, 404, 404, 404]);
      await unchanged();
      const list = await agents.outsider.get('/tasks').set('Host', host);
      expect(list.status).to.equal(200);
      expect(list.text).to.not.include('Guarded');
    });

    it('lets a viewer read the task without change buttons, and answers 403 to every change', async () => {
      const page = await agents.viewer.get(`/tasks/${task.id}`).set('Host', host);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('Guarded');
      for (const path of postPaths(task.id)) expect(page.text, path).to.not.include(`action="${path}"`);
      expect(page.text).to.not.include(`/tasks/${task.id}/edit`);
      expect((await agents.viewer.get(`/tasks/${task.id}/edit`).set('Host', host)).status).to.equal(403);
      const statuses = await postAll(agents.viewer, postPaths(task.id));
      expect(Object.values(statuses)).to.deep.equal([403, 403, 403, 403]);
      await unchanged();
      const member = await agents.member.get(`/tasks/${task.id}`).set('Host', host);
      expect(member.text)
        .to.include(`action="/tasks/${task.id}/completion"`)
        .and.include(`/tasks/${task.id}/edit`);
    });

    it('answers 404 from every task route to another tenant’s task id, even for a super admin', async () => {
      expect(await taskRow(tenant, foreignTaskId)).to.equal(null);
      for (const path of getPaths(foreignTaskId))
        expect((await agents.admin.get(path).set('Host', host)).status, path).to.equal(404);
      const statuses = await postAll(agents.admin, postPaths(foreignTaskId));
      expect(Object.values(statuses)).to.deep.equal([404, 404, 404, 404]);
      const theirs = await inTenant(other, () => Task.findByPk(foreignTaskId));
      expect([theirs?.title, theirs?.status]).to.deep.equal(['Their task', 'todo']);
    });

    it('answers 404 to malformed and missing task ids', async () => {
      for (const id of ['abc', '0', '99999999999999999999', '12abc', '987654321']) {
        for (const path of getPaths(id))
          expect((await agents.admin.get(path).set('Host', host)).status, path).to.equal(404);
        const statuses = await postAll(agents.admin, postPaths(id));
        expect(Object.values(statuses), id).to.deep.equal([404, 404, 404, 404]);
      }
    });
  });

  describe('the task list', () => {
    before(async () => {
      const tasks: Partial<Task>[] = [
        { title: 'Alpha urgent', priority: 'urgent', status: 'todo', assigneeId: owner.id },
        { title: 'Beta review', priority: 'low', status: 'review', assigneeId: member.id },
        { title: 'Gamma unassigned', priority: 'high', status: 'in_progress', assigneeId: null },
        { title: 'Delta archived', status: 'done', completedAt: new Date(), archivedAt: new Date() },
        {
          title: 'Epsilon overdue',
          status: 'todo',
          dueAt: new Date(Date.now() - 86_400_000),
          assigneeId: member.id,
        },
      ];
      for (const t of tasks) await newTask(t);
    });

    const listed = async (agent: supertest.Agent, query: string) => {
      const res = await agent.get(`/tasks?${query}`).set('Host', host);
      expect(res.status, query).to.equal(200);
      return res.text;
    };

    it('filters by several statuses, priority, assignee, due and title', async () => {
      const statuses = await listed(agents.member, 'status=review&status=in_progress');
      expect(statuses)
        .to.include('Beta review')
        .and.include('Gamma unassigned')
        .and.not.include('Alpha urgent');
      expect(await listed(agents.member, 'priority=urgent'))
        .to.include('Alpha urgent')
        .and.not.include('Beta review');
      const mine = await listed(agents.member, 'assignee=me');
      expect(mine).to.include('Beta review').and.include('Epsilon overdue').and.not.include('Alpha urgent');
      expect(await listed(agents.member, 'assignee=none'))
        .to.include('Gamma unassigned')
        .and.not.include('Beta review');
      expect(await listed(agents.member, `assignee=${owner.id}`))
        .to.include('Alpha urgent')
        .and.not.include('Beta review');
      const overdue = await listed(agents.member, 'due=overdue');
      expect(overdue).to.include('Epsilon overdue').and.include('Overdue').and.not.include('Alpha urgent');
      expect(await listed(agents.member, 'q=gamma'))
        .to.include('Gamma unassigned')
        .and.not.include('Beta review');
    });

    it("shows each row's project, assignee (or none), status, priority and due mark", async () => {
      const text = await listed(agents.member, '');
      const rowOf = (title: string) => text.split('<tr data-task=').find((row) => row.includes(title)) ?? '';
      const alpha = rowOf('Alpha urgent');
      expect(alpha).to.include('Office move').and.include('Olive Owner').and.include('Urgent');
      expect(alpha).to.match(/badge text-bg-secondary">To do</);
      const gamma = rowOf('Gamma unassigned');
      expect(gamma).to.include('Unassigned').and.include('>—<');
      expect(gamma).to.match(/badge text-bg-primary">In progress</);
      expect(rowOf('Epsilon overdue')).to.include('Overdue').and.include('Mark Member');
      const archived = await listed(agents.member, 'archived=1');
      expect(archived.split('<tr data-task=').find((row) => row.includes('Delta archived'))).to.include(
        'Archived',
      );
    });

    it('hides archived tasks unless ?archived=1', async () => {
      expect(await listed(agents.member, '')).to.not.include('Delta archived');
      expect(await listed(agents.member, 'archived=1')).to.include('Delta archived');
    });

    it('shows a list for nonsense filters instead of an error', async () => {
      const text = await listed(
        agents.member,
        'status=zzz&sort=1;drop&page=-4&assignee=abc&due=yesterday&project=x',
      );
      expect(text).to.include('Alpha urgent');
    });

    it('sorts by priority when asked', async () => {
      const text = await listed(
        agents.member,
        `project=${project.id}&sort=priority&status=todo&status=in_progress`,
      );
      expect(text.indexOf('Alpha urgent')).to.be.lessThan(text.indexOf('Gamma unassigned'));
      expect(text.indexOf('Gamma unassigned')).to.be.lessThan(text.indexOf('Epsilon overdue'));
    });

    it('lists finished tasks after the open ones by default and by priority, however old their due date', async () => {
      await newTask({
        title: 'Zeta done long ago',
        priority: 'urgent',
        status: 'done',
        completedAt: new Date(),
        dueAt: new Date(Date.now() - 30 * 86_400_000),
      });
      for (const query of [`project=${project.id}`, `project=${project.id}&sort=priority`]) {
        const text = await listed(agents.member, query);
        expect(text.indexOf('Zeta done long ago'), query).to.be.greaterThan(text.indexOf('Beta review'));
        expect(text.indexOf('Epsilon overdue'), query).to.be.lessThan(text.indexOf('Zeta done long ago'));
      }
    });
  });
});
