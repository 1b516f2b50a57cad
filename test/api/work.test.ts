import { expect } from 'chai';
import {
  AuditLog,
  Notification,
  Project,
  ProjectMember,
  Setting,
  Task,
  type Tenant,
  type User,
} from '../../app/models/index.ts';
import { attachFile } from '../../app/services/attachments.ts';
import { fileStore } from '../../app/services/storage.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { type ApiClient, apiClient } from '../support/api.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

type Client = ApiClient;

// UTC+1 in winter: a task due 2030-01-10 at 17:30 there is due at 16:30 UTC.
const ZONE = 'Europe/Berlin';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

function auditOf(tenant: Tenant, action: string, recordId?: string): Promise<AuditLog[]> {
  return inTenant(tenant, () =>
    AuditLog.findAll({ where: { action, ...(recordId ? { recordId } : {}) }, order: [['id', 'ASC']] }),
  );
}

function taskRow(tenant: Tenant, id: string): Promise<Task | null> {
  return inTenant(tenant, () => Task.findByPk(id));
}

function rolesIn(tenant: Tenant, projectId: string): Promise<Record<string, string>> {
  return inTenant(tenant, async () =>
    Object.fromEntries(
      (await ProjectMember.findAll({ where: { projectId } })).map((m) => [String(m.userId), m.role]),
    ),
  );
}

const titles = (res: { body: { data: { title: string }[] } }) => res.body.data.map((t) => t.title);

describe('the work API (/api/v1/projects, /api/v1/tasks)', function () {
  this.timeout(90_000);
  let tenant: Tenant;
  let manager: User;
  let owner: User;
  let member: User;
  let viewer: User;
  let outsider: User;
  let project: Project;
  let hidden: Project;
  const api: Record<string, Client> = {};
  const task: Record<string, Task> = {};

  before(async () => {
    tenant = await createTenant({ kind: 'company', plan: 'enterprise' });
    manager = await createUser(tenant, { level: 4, name: 'Mina Manager' });
    owner = await createUser(tenant, { level: 5, name: 'Olive Owner' });
    member = await createUser(tenant, { level: 5, name: 'Mark Member' });
    viewer = await createUser(tenant, { level: 5, name: 'Vera Viewer' });
    outsider = await createUser(tenant, { level: 5, name: 'Otto Outsider' });
    await inTenant(tenant, async () => {
      await Setting.upsert({ key: 'time_zone', value: ZONE });
      project = await Project.create({ name: 'Harvest festival', ownerId: owner.id, status: 'active' });
      hidden = await Project.create({ name: 'Board retreat', ownerId: outsider.id, status: 'planning' });
      await ProjectMember.bulkCreate([
        { projectId: project.id, userId: owner.id, role: 'member' },
        { projectId: project.id, userId: member.id, role: 'member' },
        { projectId: project.id, userId: viewer.id, role: 'viewer' },
        { projectId: hidden.id, userId: outsider.id, role: 'member' },
      ]);
      const add = (key: string, fields: Partial<Task>) =>
        Task.create({ projectId: project.id, ...fields } as Task).then((t) => {
          task[key] = t;
        });
      await add('hall', {
        title: 'Book the hall',
        assigneeId: member.id,
        priority: 'high',
        dueAt: new Date('2030-01-10T16:30:00Z'),
      });
      await add('posters', {
        title: 'Print posters',
        status: 'done',
        priority: 'low',
        completedAt: new Date('2026-11-01T10:00:00Z'),
      });
      await add('chairs', {
        title: 'Count chairs',
        status: 'in_progress',
        priority: 'urgent',
        assigneeId: owner.id,
        dueAt: new Date('2030-01-20T11:00:00Z'),
      });
      await add('late', {
        title: 'Send invitations',
        assigneeId: member.id,
        priority: 'medium',
        dueAt: new Date('2020-03-01T09:00:00Z'),
      });
      await add('old', {
        title: 'Last year’s leftovers',
        status: 'done',
        archivedAt: new Date('2026-01-01T00:00:00Z'),
        completedAt: new Date('2025-12-01T00:00:00Z'),
      });
      await Task.create({ projectId: hidden.id, title: 'Pick a venue', assigneeId: outsider.id } as Task);
    });
    for (const [key, user] of Object.entries({ manager, owner, member, viewer, outsider }))
      api[key] = await apiClient(tenant, user);
  });

  describe('projects', () => {
    it('lists every project for projects.manage and only their own projects for others', async () => {
      const all = await api.manager.get('/api/v1/projects');
      expect(all.status).to.equal(200);
      expect(all.body.data.map((p: { name: string }) => p.name)).to.include.members([
        'Harvest festival',
        'Board retreat',
      ]);
      const mine = await api.member.get('/api/v1/projects');
      expect(mine.body.data.map((p: { id: string }) => p.id)).to.deep.equal([String(project.id)]);
      expect(mine.body.total).to.equal(1);
      const filtered = await api.manager.get('/api/v1/projects?status=planning');
      expect(filtered.body.data.map((p: { name: string }) => p.name)).to.deep.equal(['Board retreat']);
      const bad = await api.manager.get('/api/v1/projects?status=paused');
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.property('status');
    });

    it('pages the list with limit and the cursor it gives out', async () => {
      const first = await api.manager.get('/api/v1/projects?limit=1');
      expect(first.body.data).to.have.length(1);
      expect(first.body.data[0].name).to.equal('Board retreat');
      expect(first.body.nextCursor).to.be.a('string');
      const second = await api.manager.get(`/api/v1/projects?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.body.data[0].name).to.equal('Harvest festival');
      const forged = await api.manager.get('/api/v1/projects?cursor=not-a-cursor');
      expect(forged.status).to.equal(400);
    });

    it('shows a project to its members, a 404 to anyone outside it and to ids that are not records', async () => {
      const res = await api.viewer.get(`/api/v1/projects/${project.id}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: String(project.id), name: 'Harvest festival', status: 'active' });
      expect(res.body.ownerId).to.equal(String(owner.id));
      expect(res.headers.etag).to.be.a('string');
      expect((await api.outsider.get(`/api/v1/projects/${project.id}`)).status).to.equal(404);
      expect((await api.member.get(`/api/v1/projects/${hidden.id}`)).status).to.equal(404);
      expect((await api.manager.get('/api/v1/projects/abc')).status).to.equal(404);
      expect((await api.manager.get('/api/v1/projects/999999999')).status).to.equal(404);
    });

    it('gives the figures of the project page: counts by status and priority, completion and overdue', async () => {
      const res = await api.member.get(`/api/v1/projects/${project.id}/statistics`);
      expect(res.status).to.equal(200);
      expect(res.body.byStatus).to.deep.equal({ todo: 2, in_progress: 1, review: 0, done: 2 });
      expect(res.body.byPriority).to.deep.equal({ low: 1, medium: 2, high: 1, urgent: 1 });
      expect(res.body).to.include({ total: 5, done: 2, completion: 40, overdue: 1 });
      expect(res.body.perWeek).to.have.length(8);
      expect((await api.outsider.get(`/api/v1/projects/${project.id}/statistics`)).status).to.equal(404);
    });

    it('creates a project for projects.manage, its owner a working member, audited', async () => {
      const res = await api.manager.post('/api/v1/projects', {
        name: 'Youth camp',
        description: 'Tents and food',
        status: 'planning',
        startsOn: '2026-07-01',
        endsOn: '2026-07-05',
        ownerId: String(member.id),
      });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ name: 'Youth camp', startsOn: '2026-07-01', endsOn: '2026-07-05' });
      expect(res.headers.location).to.equal(`/api/v1/projects/${res.body.id}`);
      expect(await rolesIn(tenant, res.body.id)).to.deep.equal({ [String(member.id)]: 'member' });
      const [entry] = await auditOf(tenant, 'project.created', res.body.id);
      expect(entry.actorName).to.equal('Mina Manager');
      expect(String(entry.projectId)).to.equal(res.body.id);
    });

    it('creates once for a retried Idempotency-Key', async () => {
      const body = {
        name: 'Once only',
        description: '',
        status: 'active',
        startsOn: '',
        endsOn: '',
        ownerId: String(owner.id),
      };
      const first = await api.manager.post('/api/v1/projects', body, { 'Idempotency-Key': 'work-once-1' });
      const again = await api.manager.post('/api/v1/projects', body, { 'Idempotency-Key': 'work-once-1' });
      expect(first.status).to.equal(201);
      expect(again.status).to.equal(201);
      expect(again.body.id).to.equal(first.body.id);
      expect(await inTenant(tenant, () => Project.count({ where: { name: 'Once only' } }))).to.equal(1);
    });

    it('answers 422 with a field map to bad input and unknown fields, creating nothing', async () => {
      const before = await inTenant(tenant, () => Project.count());
      const bad = await api.manager.post('/api/v1/projects', {
        name: '',
        status: 'paused',
        startsOn: '2026-02-31',
        ownerId: String(owner.id),
      });
      expect(bad.status).to.equal(422);
      expect(bad.headers['content-type']).to.match(/application\/problem\+json/);
      expect(bad.body.fields).to.include({
        name: 'is required',
        status: 'must be one of the listed statuses',
        startsOn: 'must be a date such as 2026-12-31',
      });
      const backwards = await api.manager.post('/api/v1/projects', {
        name: 'Backwards',
        status: 'active',
        startsOn: '2026-07-05',
        endsOn: '2026-07-01',
        ownerId: String(owner.id),
      });
      expect(backwards.body.fields).to.deep.equal({ endsOn: 'must be on or after the start date' });
      const ghost = await api.manager.post('/api/v1/projects', {
        name: 'Ghost',
        status: 'active',
        ownerId: '99999',
      });
      expect(ghost.status).to.equal(422);
      expect(ghost.body.fields).to.deep.equal({ ownerId: 'choose an active staff member' });
      const extra = await api.manager.post('/api/v1/projects', {
        name: 'Extra',
        status: 'active',
        ownerId: String(owner.id),
        budget: 100,
      });
      expect(extra.status).to.equal(422);
      expect(extra.body.fields).to.have.property('budget');
      expect(await inTenant(tenant, () => Project.count())).to.equal(before);
    });

    it('refuses project creation with 403 below projects.manage', async () => {
      const res = await api.owner.post('/api/v1/projects', {
        name: 'Mine',
        status: 'active',
        ownerId: String(owner.id),
      });
      expect(res.status).to.equal(403);
      expect(await inTenant(tenant, () => Project.count({ where: { name: 'Mine' } }))).to.equal(0);
    });

    it('lets the owner change only the fields sent, audited, and refuses a stale If-Match with 412', async () => {
      const shown = await api.owner.get(`/api/v1/projects/${project.id}`);
      const res = await api.owner.patch(
        `/api/v1/projects/${project.id}`,
        { description: 'In the big barn' },
        { 'If-Match': shown.headers.etag },
      );
      expect(res.status).to.equal(200);
      expect(res.body).to.include({
        name: 'Harvest festival',
        status: 'active',
        description: 'In the big barn',
      });
      const [entry] = await auditOf(tenant, 'project.updated', String(project.id));
      expect(entry.changes.description).to.deep.equal({ from: null, to: 'In the big barn' });
      const stale = await api.owner.patch(
        `/api/v1/projects/${project.id}`,
        { status: 'on_hold' },
        { 'If-Match': shown.headers.etag },
      );
      expect(stale.status).to.equal(412);
      expect((await inTenant(tenant, () => Project.findByPk(project.id)))?.status).to.equal('active');
      const wrong = await api.owner.patch(`/api/v1/projects/${project.id}`, {
        endsOn: '2020-01-01',
        startsOn: '2021-01-01',
      });
      expect(wrong.status).to.equal(422);
      expect(wrong.body.fields).to.have.property('endsOn');
    });

    it('refuses changes to a project with 403 to members and viewers who do not own it, 404 outside', async () => {
      for (const who of ['member', 'viewer']) {
        expect(
          (await api[who].patch(`/api/v1/projects/${project.id}`, { status: 'archived' })).status,
        ).to.equal(403);
        expect((await api[who].delete(`/api/v1/projects/${project.id}`)).status).to.equal(403);
      }
      expect(
        (await api.outsider.patch(`/api/v1/projects/${project.id}`, { status: 'archived' })).status,
      ).to.equal(404);
      expect((await api.outsider.delete(`/api/v1/projects/${project.id}`)).status).to.equal(404);
      expect((await inTenant(tenant, () => Project.findByPk(project.id)))?.status).to.equal('active');
    });

    it('deletes a project with its tasks, audited with the count', async () => {
      const doomed = await inTenant(tenant, async () => {
        const p = await Project.create({ name: 'Doomed', ownerId: manager.id, status: 'active' });
        await Task.create({ projectId: p.id, title: 'Gone too' } as Task);
        return p;
      });
      const res = await api.manager.delete(`/api/v1/projects/${doomed.id}`);
      expect(res.status).to.equal(204);
      expect(await inTenant(tenant, () => Project.findByPk(doomed.id))).to.equal(null);
      expect(await inTenant(tenant, () => Task.count({ where: { projectId: doomed.id } }))).to.equal(0);
      const [entry] = await auditOf(tenant, 'project.deleted', String(doomed.id));
      expect(entry.changes.tasks).to.deep.equal({ from: 1, to: 0 });
      expect((await api.manager.get(`/api/v1/projects/${doomed.id}`)).status).to.equal(404);
    });
  });

  describe('project members', () => {
    let helper: User;

    before(async () => {
      helper = await createUser(tenant, { level: 5, name: 'Hal Helper' });
    });

    it('lists the members with their roles to anyone in the project, 404 outside', async () => {
      const res = await api.viewer.get(`/api/v1/projects/${project.id}/members`);
      expect(res.status).to.equal(200);
      const roles = Object.fromEntries(
        res.body.data.map((m: { name: string; role: string }) => [m.name, m.role]),
      );
      expect(roles).to.include({ 'Olive Owner': 'member', 'Mark Member': 'member', 'Vera Viewer': 'viewer' });
      expect(res.body.data.find((m: { owner: boolean }) => m.owner).userId).to.equal(String(owner.id));
      const paged = await api.viewer.get(`/api/v1/projects/${project.id}/members?limit=2`);
      expect(paged.body.data).to.have.length(2);
      expect(paged.body.nextCursor).to.be.a('string');
      expect((await api.outsider.get(`/api/v1/projects/${project.id}/members`)).status).to.equal(404);
    });

    it('adds a member with a role, audited, and refuses a second add and an unknown person with 422', async () => {
      const res = await api.owner.post(`/api/v1/projects/${project.id}/members`, {
        userId: String(helper.id),
        role: 'member',
      });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({
        userId: String(helper.id),
        role: 'member',
        name: 'Hal Helper',
        owner: false,
      });
      expect(res.headers.location).to.equal(`/api/v1/projects/${project.id}/members/${helper.id}`);
      expect((await rolesIn(tenant, String(project.id)))[String(helper.id)]).to.equal('member');
      const [entry] = await auditOf(tenant, 'project.member_added', String(project.id));
      expect(entry.changes.role).to.deep.equal({ from: null, to: 'member' });
      const again = await api.owner.post(`/api/v1/projects/${project.id}/members`, {
        userId: String(helper.id),
        role: 'viewer',
      });
      expect(again.status).to.equal(422);
      expect(again.body.fields.userId).to.include('already a member');
      const nobody = await api.owner.post(`/api/v1/projects/${project.id}/members`, {
        userId: '99999',
        role: 'member',
      });
      expect(nobody.body.fields).to.deep.equal({ userId: 'choose an active staff member' });
      const badRole = await api.owner.post(`/api/v1/projects/${project.id}/members`, {
        userId: String(outsider.id),
        role: 'boss',
      });
      expect(badRole.body.fields).to.deep.equal({ role: 'must be member or viewer' });
    });

    it('refuses member changes with 403 to members and viewers, 404 outside', async () => {
      const add = { userId: String(outsider.id), role: 'viewer' };
      expect((await api.member.post(`/api/v1/projects/${project.id}/members`, add)).status).to.equal(403);
      expect((await api.viewer.post(`/api/v1/projects/${project.id}/members`, add)).status).to.equal(403);
      expect(
        (await api.member.patch(`/api/v1/projects/${project.id}/members/${viewer.id}`, { role: 'member' }))
          .status,
      ).to.equal(403);
      expect(
        (await api.viewer.delete(`/api/v1/projects/${project.id}/members/${member.id}`)).status,
      ).to.equal(403);
      expect((await api.outsider.post(`/api/v1/projects/${project.id}/members`, add)).status).to.equal(404);
      expect((await rolesIn(tenant, String(project.id)))[String(outsider.id)]).to.equal(undefined);
    });

    it('makes a member a viewer, unassigning their tasks, and keeps the owner working', async () => {
      const mine = await inTenant(tenant, () =>
        Task.create({ projectId: project.id, title: 'Helper’s job', assigneeId: helper.id } as Task),
      );
      const path = `/api/v1/projects/${project.id}/members/${helper.id}`;
      const shown = await api.owner.get(path);
      const res = await api.owner.patch(path, { role: 'viewer' }, { 'If-Match': shown.headers.etag });
      expect(res.status).to.equal(200);
      expect(res.body.role).to.equal('viewer');
      expect((await taskRow(tenant, mine.id))?.assigneeId).to.equal(null);
      const [entry] = await auditOf(tenant, 'project.member_role_changed', String(project.id));
      expect(entry.changes.unassignedTasks).to.deep.equal({ from: 1, to: 0 });
      expect(
        (await api.owner.patch(path, { role: 'member' }, { 'If-Match': shown.headers.etag })).status,
      ).to.equal(412);
      const ownerPath = `/api/v1/projects/${project.id}/members/${owner.id}`;
      const refused = await api.manager.patch(ownerPath, { role: 'viewer' });
      expect(refused.status).to.equal(422);
      expect(refused.body.fields.role).to.include('owns Harvest festival');
      expect((await rolesIn(tenant, String(project.id)))[String(owner.id)]).to.equal('member');
      expect((await api.owner.get(`/api/v1/projects/${project.id}/members/${outsider.id}`)).status).to.equal(
        404,
      );
    });

    it('removes a member, audited, but never the owner', async () => {
      const res = await api.manager.delete(`/api/v1/projects/${project.id}/members/${helper.id}`);
      expect(res.status).to.equal(204);
      expect((await rolesIn(tenant, String(project.id)))[String(helper.id)]).to.equal(undefined);
      expect(await auditOf(tenant, 'project.member_removed', String(project.id))).to.have.length(1);
      const ownerGone = await api.manager.delete(`/api/v1/projects/${project.id}/members/${owner.id}`);
      expect(ownerGone.status).to.equal(422);
      expect(ownerGone.body.fields.userId).to.include('stays a member');
      expect(
        (await api.manager.delete(`/api/v1/projects/${project.id}/members/${helper.id}`)).status,
      ).to.equal(404);
    });
  });

  describe('tasks', () => {
    it('lists the tasks of visible projects, open ones by due date, archived ones left out', async () => {
      const res = await api.member.get('/api/v1/tasks');
      expect(res.status).to.equal(200);
      expect(titles(res)).to.include.ordered.members(['Send invitations', 'Book the hall', 'Count chairs']);
      expect(titles(res)).to.not.include('Last year’s leftovers').and.not.include('Pick a venue');
      expect(titles(res).at(-1)).to.equal('Print posters');
      const hall = res.body.data.find((t: { title: string }) => t.title === 'Book the hall');
      expect(hall).to.include({ dueAt: '2030-01-10T16:30:00.000Z', dueDate: '2030-01-10', dueTime: '17:30' });
      const archived = await api.member.get(`/api/v1/tasks?archived=true&project=${project.id}`);
      expect(titles(archived)).to.include('Last year’s leftovers');
      const outside = await api.outsider.get('/api/v1/tasks');
      expect(titles(outside)).to.deep.equal(['Pick a venue']);
    });

    it('filters by project, status, priority, assignee and due range, sorts by priority, and pages', async () => {
      const byStatus = await api.member.get(`/api/v1/tasks?project=${project.id}&status=in_progress,done`);
      expect(titles(byStatus)).to.have.members(['Count chairs', 'Print posters']);
      const repeated = await api.member.get('/api/v1/tasks?status=in_progress&status=done');
      expect(titles(repeated)).to.have.members(['Count chairs', 'Print posters']);
      expect(titles(await api.member.get('/api/v1/tasks?priority=urgent'))).to.deep.equal(['Count chairs']);
      expect(titles(await api.member.get('/api/v1/tasks?assigned_to=me'))).to.deep.equal([
        'Send invitations',
        'Book the hall',
      ]);
      expect(titles(await api.manager.get(`/api/v1/tasks?assigned_to=${owner.id}`))).to.deep.equal([
        'Count chairs',
      ]);
      const range = await api.member.get('/api/v1/tasks?due_after=2030-01-10&due_before=2030-01-20');
      expect(titles(range)).to.deep.equal(['Book the hall']);
      const overdue = await api.member.get('/api/v1/tasks?due=overdue');
      expect(titles(overdue)).to.deep.equal(['Send invitations']);
      const byPriority = await api.member.get(`/api/v1/tasks?project=${project.id}&sort=priority`);
      expect(titles(byPriority).slice(0, 3)).to.deep.equal([
        'Count chairs',
        'Book the hall',
        'Send invitations',
      ]);
      // The project's five tasks that are not archived (one added with the members above), three a page.
      const first = await api.member.get(`/api/v1/tasks?project=${project.id}&limit=3`);
      expect(first.body.total).to.equal(5);
      expect(first.body.data).to.have.length(3);
      const second = await api.member.get(
        `/api/v1/tasks?project=${project.id}&limit=3&cursor=${first.body.nextCursor}`,
      );
      expect(second.body.nextCursor).to.equal(null);
      const both = [...titles(first), ...titles(second)];
      expect(new Set(both).size).to.equal(5);
      expect(both.at(-1)).to.equal('Print posters');
      const bad = await api.member.get(
        '/api/v1/tasks?status=finished&due_before=2030-02-31&assigned_to=someone',
      );
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.include.keys(['status.0', 'due_before', 'assigned_to']);
    });

    it('shows a task to the project’s viewers, a 404 outside the project and to another tenant’s id', async () => {
      const res = await api.viewer.get(`/api/v1/tasks/${task.hall.id}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({
        title: 'Book the hall',
        projectId: String(project.id),
        assigneeId: String(member.id),
      });
      expect((await api.outsider.get(`/api/v1/tasks/${task.hall.id}`)).status).to.equal(404);
      const other = await createTenant({ kind: 'company' });
      const stranger = await apiClient(other, await createUser(other, { level: 0 }));
      expect((await stranger.get(`/api/v1/tasks/${task.hall.id}`)).status).to.equal(404);
    });

    it('adds a task for a member, audited, and tells its assignee', async () => {
      const res = await api.member.post(`/api/v1/projects/${project.id}/tasks`, {
        title: 'Bake bread',
        description: 'Forty loaves',
        priority: 'high',
        status: 'todo',
        assigneeId: String(owner.id),
        dueDate: '2030-01-15',
        dueTime: '08:00',
      });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({
        title: 'Bake bread',
        dueAt: '2030-01-15T07:00:00.000Z',
        createdBy: String(member.id),
      });
      expect(res.headers.location).to.equal(`/api/v1/tasks/${res.body.id}`);
      const [entry] = await auditOf(tenant, 'task.created', res.body.id);
      expect(entry.actorName).to.equal('Mark Member');
      expect(String(entry.projectId)).to.equal(String(project.id));
      const told = await inTenant(tenant, () =>
        Notification.findAll({ where: { userId: owner.id, kind: 'task.assigned' } }),
      );
      expect(told.map((n) => n.url)).to.include(`/tasks/${res.body.id}`);
    });

    it('refuses a bad task with a field map, an assignee who only views, and unknown fields', async () => {
      const before = await inTenant(tenant, () => Task.count());
      const bad = await api.member.post(`/api/v1/projects/${project.id}/tasks`, {
        title: '',
        priority: 'someday',
        status: 'todo',
        dueTime: '25:00',
      });
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.include({
        title: 'is required',
        priority: 'must be one of the listed priorities',
      });
      expect(bad.body.fields.dueTime).to.equal('must be a time such as 17:30');
      const viewing = await api.member.post(`/api/v1/projects/${project.id}/tasks`, {
        title: 'For the viewer',
        priority: 'low',
        status: 'todo',
        assigneeId: String(viewer.id),
      });
      expect(viewing.body.fields).to.deep.equal({
        assigneeId: 'must be a member of this project who works on its tasks',
      });
      const extra = await api.member.post(`/api/v1/projects/${project.id}/tasks`, {
        title: 'Extra',
        priority: 'low',
        status: 'todo',
        projectId: String(hidden.id),
      });
      expect(extra.status).to.equal(422);
      expect(extra.body.fields).to.have.property('projectId');
      const list = await api.member.post(`/api/v1/projects/${project.id}/tasks`, [{ title: 'x' }]);
      expect(list.status).to.equal(422);
      expect(await inTenant(tenant, () => Task.count())).to.equal(before);
    });

    it('refuses new tasks with 403 to a viewer and 404 outside the project', async () => {
      const body = { title: 'Sneaky', priority: 'low', status: 'todo' };
      expect((await api.viewer.post(`/api/v1/projects/${project.id}/tasks`, body)).status).to.equal(403);
      expect((await api.outsider.post(`/api/v1/projects/${project.id}/tasks`, body)).status).to.equal(404);
      expect(await inTenant(tenant, () => Task.count({ where: { title: 'Sneaky' } }))).to.equal(0);
    });

    it('changes only the fields sent, keeping the due time, audited; a stale If-Match is a 412', async () => {
      const path = `/api/v1/tasks/${task.hall.id}`;
      const shown = await api.member.get(path);
      const res = await api.member.patch(path, { priority: 'urgent' }, { 'If-Match': shown.headers.etag });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({
        priority: 'urgent',
        title: 'Book the hall',
        dueAt: '2030-01-10T16:30:00.000Z',
      });
      expect(res.body.assigneeId).to.equal(String(member.id));
      const [entry] = await auditOf(tenant, 'task.updated', String(task.hall.id));
      expect(entry.changes).to.deep.equal({ priority: { from: 'high', to: 'urgent' } });
      const stale = await api.member.patch(path, { title: 'Renamed' }, { 'If-Match': shown.headers.etag });
      expect(stale.status).to.equal(412);
      expect((await taskRow(tenant, task.hall.id))?.title).to.equal('Book the hall');
      const noDate = await api.member.patch(path, { dueDate: '' });
      expect(noDate.body).to.include({ dueAt: null, dueTime: null });
      const wrong = await api.member.patch(path, { assigneeId: String(viewer.id) });
      expect(wrong.status).to.equal(422);
      expect(wrong.body.fields).to.have.property('assigneeId');
    });

    it('sets completedAt when a change moves a task to done', async () => {
      const res = await api.owner.patch(`/api/v1/tasks/${task.chairs.id}`, { status: 'done' });
      expect(res.status).to.equal(200);
      expect(res.body.completedAt).to.be.a('string');
      expect(await auditOf(tenant, 'task.completed', String(task.chairs.id))).to.have.length(1);
    });

    it('refuses task changes with 403 to a viewer and 404 outside the project', async () => {
      const path = `/api/v1/tasks/${task.late.id}`;
      expect((await api.viewer.patch(path, { title: 'Mine now' })).status).to.equal(403);
      expect((await api.viewer.delete(path)).status).to.equal(403);
      expect((await api.viewer.post(`${path}/completion`)).status).to.equal(403);
      expect((await api.outsider.patch(path, { title: 'Mine now' })).status).to.equal(404);
      expect((await api.outsider.delete(path)).status).to.equal(404);
      expect((await api.outsider.post(`${path}/completion`)).status).to.equal(404);
      const row = await taskRow(tenant, task.late.id);
      expect(row?.title).to.equal('Send invitations');
      expect(row?.status).to.equal('todo');
    });

    it('marks a task done and reopens it to the status it had, each audited', async () => {
      const path = `/api/v1/tasks/${task.late.id}`;
      await api.member.patch(path, { status: 'review' });
      const done = await api.member.post(`${path}/completion`);
      expect(done.status).to.equal(200);
      expect(done.body.status).to.equal('done');
      expect(done.body.completedAt).to.be.a('string');
      expect(await auditOf(tenant, 'task.completed', String(task.late.id))).to.have.length(1);
      const again = await api.member.post(`${path}/completion`);
      expect(again.body.completedAt).to.equal(done.body.completedAt);
      const reopened = await api.member.delete(`${path}/completion`);
      expect(reopened.status).to.equal(200);
      expect(reopened.body).to.include({ status: 'review', completedAt: null });
      expect(await auditOf(tenant, 'task.reopened', String(task.late.id))).to.have.length(1);
    });

    it('deletes a task, audited, for a member; it is gone afterwards', async () => {
      const doomed = await inTenant(tenant, () =>
        Task.create({ projectId: project.id, title: 'Spare task' } as Task),
      );
      const file = await inTenant(tenant, () =>
        attachFile(String(doomed.id), member.id, {
          name: 'list.txt',
          type: 'text/plain',
          data: Buffer.from('list'),
        }),
      );
      const path = `/api/v1/tasks/${doomed.id}`;
      const shown = await api.member.get(path);
      const stale = await api.member.delete(path, { 'If-Match': 'W/"not-this-one"' });
      expect(stale.status).to.equal(412);
      const res = await api.member.delete(path, { 'If-Match': shown.headers.etag });
      expect(res.status).to.equal(204);
      expect(await taskRow(tenant, doomed.id)).to.equal(null);
      const gone = await inTenant(tenant, () =>
        fileStore.open(file.fileKey).then(
          () => false,
          () => true,
        ),
      );
      expect(gone, 'the attached file is removed from the store').to.equal(true);
      expect(await auditOf(tenant, 'task.deleted', String(doomed.id))).to.have.length(1);
      expect((await api.member.get(path)).status).to.equal(404);
    });

    it('groups my open tasks as the My tasks page does, leaving out done ones and other people’s', async () => {
      await inTenant(tenant, async () => {
        await Task.create({ projectId: project.id, title: 'Sweep up', assigneeId: member.id } as Task);
        await Task.create({
          projectId: project.id,
          title: 'Far off',
          assigneeId: member.id,
          dueAt: new Date('2031-06-01T10:00:00Z'),
        } as Task);
        await Task.create({
          projectId: project.id,
          title: 'Already done',
          assigneeId: member.id,
          status: 'done',
          completedAt: new Date(),
        } as Task);
      });
      const res = await api.member.get('/api/v1/tasks/mine');
      expect(res.status).to.equal(200);
      expect(res.body.buckets.map((b: { key: string }) => b.key)).to.deep.equal([
        'overdue',
        'today',
        'week',
        'later',
        'none',
      ]);
      const bucket = (key: string) =>
        res.body.buckets
          .find((b: { key: string }) => b.key === key)
          .tasks.map((t: { title: string }) => t.title);
      // "Send invitations" was reopened to review above and is long overdue; "Book the hall" lost its date.
      expect(bucket('overdue')).to.deep.equal(['Send invitations']);
      expect(bucket('later')).to.deep.equal(['Far off']);
      expect(bucket('none')).to.deep.equal(['Book the hall', 'Sweep up']);
      expect(res.body.open).to.equal(4);
      const viewers = await api.viewer.get('/api/v1/tasks/mine');
      expect(viewers.body.open).to.equal(0);
    });
  });

  describe('plan limits', () => {
    it('refuses a task over the Free plan’s limit with 422 and the way to upgrade', async () => {
      const free = await createTenant({ kind: 'company' });
      const boss = await createUser(free, { level: 0, name: 'Bea Boss' });
      const full = await inTenant(free, async () => {
        const p = await Project.create({ name: 'Full', ownerId: boss.id, status: 'active' });
        await ProjectMember.create({ projectId: p.id, userId: boss.id, role: 'member' });
        for (let i = 0; i < 10; i += 1) await Task.create({ projectId: p.id, title: `Task ${i}` } as Task);
        return p;
      });
      const client = await apiClient(free, boss);
      const res = await client.post(`/api/v1/projects/${full.id}/tasks`, {
        title: 'One more',
        priority: 'low',
        status: 'todo',
      });
      expect(res.status).to.equal(422);
      expect(res.body.detail).to.include('Your Free plan allows 10 tasks.');
      expect(await inTenant(free, () => Task.count())).to.equal(10);
      // Reopening an archived task brings it back into the count: refused the same way, kept as it was.
      const archived = await inTenant(free, () =>
        Task.create({
          projectId: full.id,
          title: 'Archived work',
          status: 'done',
          completedAt: new Date('2026-01-01T00:00:00Z'),
          archivedAt: new Date('2026-02-01T00:00:00Z'),
        } as Task),
      );
      const reopen = await client.delete(`/api/v1/tasks/${archived.id}/completion`);
      expect(reopen.status).to.equal(422);
      expect(reopen.body.detail).to.include('Your Free plan allows 10 tasks.');
      expect((await inTenant(free, () => Task.findByPk(archived.id)))?.status).to.equal('done');
      const project2 = await client.post('/api/v1/projects', {
        name: 'Second',
        status: 'active',
        ownerId: String(boss.id),
      });
      expect(project2.status).to.equal(422);
      expect(project2.body.detail).to.include('Your Free plan allows 1 project.');
    });
  });
});
