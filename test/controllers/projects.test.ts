import { expect } from 'chai';
import type supertest from 'supertest';
import {
  Attachment,
  AuditLog,
  Project,
  ProjectMember,
  Task,
  type Tenant,
  type User,
} from '../../app/models/index.ts';
import { attachFile } from '../../app/services/attachments.ts';
import { fileStore } from '../../app/services/storage.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

interface Cast {
  owner: User;
  member: User;
  viewer: User;
  outsider: User;
}

/** A project owned by `cast.owner`, with a working member and a viewer, and two tasks. */
async function projectFor(tenant: Tenant, cast: Cast, name = 'Harvest festival'): Promise<Project> {
  return inTenant(tenant, async () => {
    const project = await Project.create({ name, ownerId: cast.owner.id, status: 'active' });
    await ProjectMember.bulkCreate([
      { projectId: project.id, userId: cast.owner.id, role: 'member' },
      { projectId: project.id, userId: cast.member.id, role: 'member' },
      { projectId: project.id, userId: cast.viewer.id, role: 'viewer' },
    ]);
    await Task.create({ projectId: project.id, title: 'Book the hall', assigneeId: cast.member.id } as Task);
    await Task.create({
      projectId: project.id,
      title: 'Print posters',
      status: 'done',
      completedAt: new Date(),
    } as Task);
    return project;
  });
}

function rowOf(tenant: Tenant, id: string): Promise<Project | null> {
  return inTenant(tenant, () => Project.findByPk(id));
}

function membersOf(tenant: Tenant, id: string): Promise<Record<string, string>> {
  return inTenant(tenant, async () =>
    Object.fromEntries(
      (await ProjectMember.findAll({ where: { projectId: id } })).map((m) => [String(m.userId), m.role]),
    ),
  );
}

function auditOf(tenant: Tenant, action: string): Promise<AuditLog[]> {
  return inTenant(tenant, () => AuditLog.findAll({ where: { action }, order: [['id', 'ASC']] }));
}

describe('projects and their members (/projects)', function () {
  this.timeout(90_000);
  let tenant: Tenant;
  let host: string;
  let cast: Cast;
  let manager: User;
  const agents: Record<string, supertest.Agent> = {};

  before(async () => {
    tenant = await createTenant({ kind: 'company' });
    host = hostOf(tenant);
    manager = await createUser(tenant, { level: 4, name: 'Mina Manager' });
    cast = {
      owner: await createUser(tenant, { level: 5, name: 'Olive Owner' }),
      member: await createUser(tenant, { level: 5, name: 'Mark Member' }),
      viewer: await createUser(tenant, { level: 5, name: 'Vera Viewer' }),
      outsider: await createUser(tenant, { level: 5, name: 'Otto Outsider' }),
    };
    agents.manager = await signedIn(tenant, manager.email);
    for (const [role, user] of Object.entries(cast)) agents[role] = await signedIn(tenant, user.email);
  });

  describe('creating', () => {
    it('lets projects.manage create a project whose owner becomes a working member, audited with its id', async () => {
      const res = await postForm(agents.manager, host, '/projects', {
        name: 'Youth camp',
        description: 'Tents and **food**',
        status: 'planning',
        startsOn: '2026-07-01',
        endsOn: '2026-07-05',
        ownerId: String(cast.owner.id),
      });
      expect(res.status).to.equal(302);
      const id = res.headers.location.split('/').pop() ?? '';
      const project = await rowOf(tenant, id);
      expect(project?.name).to.equal('Youth camp');
      expect(project?.endsOn).to.equal('2026-07-05');
      expect(String(project?.ownerId)).to.equal(String(cast.owner.id));
      expect(await membersOf(tenant, id)).to.deep.equal({ [String(cast.owner.id)]: 'member' });
      const [entry] = (await auditOf(tenant, 'project.created')).filter((e) => e.recordId === id);
      expect(String(entry.projectId)).to.equal(id);
      expect(entry.recordLabel).to.equal('Youth camp');
      const page = await agents.owner.get(`/projects/${id}`).set('Host', host);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('Youth camp').and.include('<strong>food</strong>');
      expect(page.text).to.include(`/projects/${id}/activity`).and.include(`/projects/${id}/report`);
    });

    it('refuses an end date before the start date with 422, keeping the input and creating nothing', async () => {
      const before = await inTenant(tenant, () => Project.count());
      const res = await postForm(agents.manager, host, '/projects', {
        name: 'Backwards',
        status: 'active',
        startsOn: '2026-07-05',
        endsOn: '2026-07-01',
        ownerId: String(cast.owner.id),
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('must be on or after the start date').and.include('value="Backwards"');
      expect(await inTenant(tenant, () => Project.count())).to.equal(before);
    });

    it('answers 422 to impossible dates, an unknown status, a missing name and an unknown owner', async () => {
      const res = await postForm(agents.manager, host, '/projects', {
        name: '',
        status: 'paused',
        startsOn: '2026-02-31',
        ownerId: '99999',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('is required').and.include('must be a date such as 2026-12-31');
      expect(res.text).to.include('must be one of the listed statuses');
      const owner = await postForm(agents.manager, host, '/projects', {
        name: 'Ghost owner',
        status: 'active',
        ownerId: '99999',
      });
      expect(owner.status).to.equal(422);
      expect(owner.text).to.include('choose an active staff member');
      expect(await inTenant(tenant, () => Project.count({ where: { name: 'Ghost owner' } }))).to.equal(0);
    });

    it('answers 403 to a level-5 user on the new-project form and on create', async () => {
      expect((await agents.owner.get('/projects/new').set('Host', host)).status).to.equal(403);
      const res = await postForm(agents.owner, host, '/projects', {
        name: 'Mine',
        status: 'active',
        ownerId: String(cast.owner.id),
      });
      expect(res.status).to.equal(403);
      expect(await inTenant(tenant, () => Project.count({ where: { name: 'Mine' } }))).to.equal(0);
    });
  });

  describe('the list and the project page', () => {
    let project: Project;
    let secret: Project;

    before(async () => {
      project = await projectFor(tenant, cast, 'Listed project');
      secret = await inTenant(tenant, () =>
        Project.create({ name: 'Board secret', ownerId: manager.id, status: 'on_hold' }),
      );
    });

    it('lists only the projects a member is in, with their open tasks', async () => {
      const res = await agents.member.get('/projects').set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Listed project').and.not.include('Board secret');
      expect(res.text).to.match(new RegExp(`data-open-tasks="${project.id}">1<`));
      expect(res.text).to.not.include('href="/projects/new"');
    });

    it('lists every project for projects.manage and filters by status', async () => {
      const all = await agents.manager.get('/projects').set('Host', host);
      expect(all.text).to.include('Listed project').and.include('Board secret');
      const onHold = await agents.manager.get('/projects?status=on_hold').set('Host', host);
      expect(onHold.text).to.include('Board secret').and.not.include('Listed project');
    });

    it('shows its tasks, members and figures on the project page', async () => {
      const res = await agents.viewer.get(`/projects/${project.id}`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Book the hall').and.include('Print posters');
      expect(res.text).to.include('Olive Owner').and.include('Mark Member').and.include('Vera Viewer');
      expect(res.text).to.match(/data-completion>50%</);
      expect(res.text).to.match(/data-status-count="done">1</);
      const filtered = await agents.viewer.get(`/projects/${project.id}?status=done`).set('Host', host);
      expect(filtered.text).to.include('Print posters').and.not.include('Book the hall');
    });

    it('hides every change button from a viewer', async () => {
      const res = await agents.viewer.get(`/projects/${project.id}`).set('Host', host);
      expect(res.text).to.not.include(`/projects/${project.id}/tasks/new`);
      expect(res.text).to.not.include(`/projects/${project.id}/edit`);
      expect(res.text).to.not.include(`/projects/${project.id}/delete`);
      expect(res.text).to.not.include(`/projects/${project.id}/members`);
      const owner = await agents.owner.get(`/projects/${project.id}`).set('Host', host);
      expect(owner.text)
        .to.include(`/projects/${project.id}/edit`)
        .and.include(`/projects/${project.id}/members`);
      const member = await agents.member.get(`/projects/${project.id}`).set('Host', host);
      expect(member.text)
        .to.include(`/projects/${project.id}/tasks/new`)
        .and.not.include(`/projects/${project.id}/edit`);
    });

    it('answers 404 to an outsider on every project route, and changes nothing', async () => {
      const p = project.id;
      for (const path of [
        `/projects/${p}`,
        `/projects/${p}/edit`,
        `/projects/${p}/tasks/new`,
        `/projects/${secret.id}`,
      ]) {
        expect((await agents.outsider.get(path).set('Host', host)).status, path).to.equal(404);
      }
      const _csrf = await csrfToken(agents.outsider, host, '/');
      for (const path of [
        `/projects/${p}`,
        `/projects/${p}/delete`,
        `/projects/${p}/members`,
        `/projects/${p}/members/${cast.member.id}/delete`,
        `/projects/${p}/members/${cast.member.id}/role`,
        `/projects/${p}/tasks`,
      ]) {
        const res = await agents.outsider
          .post(path)
          .set('Host', host)
          .type('form')
          .send({
            _csrf,
            name: 'Taken',
            status: 'active',
            ownerId: String(cast.outsider.id),
            userId: String(cast.outsider.id),
            role: 'viewer',
            title: 'x',
            priority: 'low',
          });
        expect(res.status, path).to.equal(404);
      }
      expect((await rowOf(tenant, p))?.name).to.equal('Listed project');
      expect(await membersOf(tenant, p)).to.not.have.property(String(cast.outsider.id));
    });

    it('answers 404 for malformed and missing ids', async () => {
      for (const path of [
        '/projects/abc',
        '/projects/99999999999999999999',
        '/projects/0',
        '/projects/987654321/edit',
      ]) {
        expect((await agents.manager.get(path).set('Host', host)).status, path).to.equal(404);
      }
    });

    it('answers 403 to a viewer and to a plain member on every change of the project, and changes nothing', async () => {
      const p = project.id;
      for (const who of ['viewer', 'member'] as const) {
        expect((await agents[who].get(`/projects/${p}/edit`).set('Host', host)).status).to.equal(403);
        const _csrf = await csrfToken(agents[who], host, '/');
        for (const path of [
          `/projects/${p}`,
          `/projects/${p}/delete`,
          `/projects/${p}/members`,
          `/projects/${p}/members/${cast.member.id}/delete`,
          `/projects/${p}/members/${cast.viewer.id}/role`,
        ]) {
          const res = await agents[who]
            .post(path)
            .set('Host', host)
            .type('form')
            .send({
              _csrf,
              name: 'Taken',
              status: 'active',
              ownerId: String(cast.outsider.id),
              userId: String(cast.outsider.id),
              role: 'member',
            });
          expect(res.status, `${who} ${path}`).to.equal(403);
        }
      }
      expect((await rowOf(tenant, p))?.name).to.equal('Listed project');
      expect(await membersOf(tenant, p)).to.deep.equal({
        [String(cast.owner.id)]: 'member',
        [String(cast.member.id)]: 'member',
        [String(cast.viewer.id)]: 'viewer',
      });
    });

    it('answers 403 to a viewer creating a task in the project', async () => {
      expect(
        (await agents.viewer.get(`/projects/${project.id}/tasks/new`).set('Host', host)).status,
      ).to.equal(403);
      const res = await postForm(agents.viewer, host, `/projects/${project.id}/tasks`, {
        title: 'Sneaky',
        status: 'todo',
        priority: 'low',
      });
      expect(res.status).to.equal(403);
      expect(await inTenant(tenant, () => Task.count({ where: { title: 'Sneaky' } }))).to.equal(0);
    });
  });

  describe('editing and deleting', () => {
    it('lets the owner edit; a new owner becomes a working member; audited with the project id', async () => {
      const project = await projectFor(tenant, cast, 'To rename');
      const form = await agents.owner.get(`/projects/${project.id}/edit`).set('Host', host);
      expect(form.status).to.equal(200);
      expect(form.text).to.include('value="To rename"');
      const res = await postForm(agents.owner, host, `/projects/${project.id}`, {
        name: 'Renamed',
        status: 'on_hold',
        startsOn: '',
        endsOn: '2026-09-01',
        ownerId: String(cast.viewer.id),
      });
      expect(res.status).to.equal(302);
      const row = await rowOf(tenant, project.id);
      expect([row?.name, row?.status, String(row?.ownerId)]).to.deep.equal([
        'Renamed',
        'on_hold',
        String(cast.viewer.id),
      ]);
      expect((await membersOf(tenant, project.id))[String(cast.viewer.id)]).to.equal('member');
      const entry = (await auditOf(tenant, 'project.updated')).find((e) => e.recordId === String(project.id));
      expect(String(entry?.projectId)).to.equal(String(project.id));
      expect(entry?.changes.name).to.deep.equal({ from: 'To rename', to: 'Renamed' });
      expect(entry?.changes.ownerMembership).to.deep.equal({ from: 'viewer', to: 'member' });
    });

    it('refuses a bad edit with 422 and leaves the project as it was', async () => {
      const project = await projectFor(tenant, cast, 'Keep me');
      const res = await postForm(agents.manager, host, `/projects/${project.id}`, {
        name: 'Keep me',
        status: 'active',
        startsOn: '2026-05-10',
        endsOn: '2026-05-09',
        ownerId: String(cast.owner.id),
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('must be on or after the start date');
      expect((await rowOf(tenant, project.id))?.endsOn).to.equal(null);
    });

    it('deletes a project with its tasks for projects.manage, audited with the project id', async () => {
      const project = await projectFor(tenant, cast, 'Short lived');
      const file = await inTenant(tenant, async () => {
        const task = await Task.findOne({ where: { projectId: project.id } });
        const data = Buffer.from('plan');
        return attachFile(String(task?.id), cast.member.id, { name: 'plan.txt', type: 'text/plain', data });
      });
      const res = await postForm(agents.manager, host, `/projects/${project.id}/delete`, {});
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/projects');
      expect(await rowOf(tenant, project.id)).to.equal(null);
      expect(await inTenant(tenant, () => Task.count({ where: { projectId: project.id } }))).to.equal(0);
      expect(await inTenant(tenant, () => Attachment.count({ where: { id: file.id } }))).to.equal(0);
      const gone = await inTenant(tenant, () =>
        fileStore.open(file.fileKey).then(
          () => false,
          () => true,
        ),
      );
      expect(gone, 'the attached file is removed from the store').to.equal(true);
      const entry = (await auditOf(tenant, 'project.deleted')).find((e) => e.recordId === String(project.id));
      expect(String(entry?.projectId)).to.equal(String(project.id));
      expect(entry?.changes.tasks).to.deep.equal({ from: 2, to: 0 });
    });
  });

  describe('members', () => {
    let project: Project;

    beforeEach(async () => {
      project = await projectFor(tenant, cast, `Team ${Date.now()}`);
    });

    it('adds a viewer, refuses a duplicate with 422, and audits with the project id', async () => {
      const res = await postForm(agents.owner, host, `/projects/${project.id}/members`, {
        userId: String(cast.outsider.id),
        role: 'viewer',
      });
      expect(res.status).to.equal(302);
      expect((await membersOf(tenant, project.id))[String(cast.outsider.id)]).to.equal('viewer');
      const again = await postForm(agents.owner, host, `/projects/${project.id}/members`, {
        userId: String(cast.outsider.id),
        role: 'member',
      });
      expect(again.status).to.equal(422);
      expect(again.text).to.include('Otto Outsider is already a member');
      expect((await membersOf(tenant, project.id))[String(cast.outsider.id)]).to.equal('viewer');
      const entry = (await auditOf(tenant, 'project.member_added')).find(
        (e) => e.projectId === String(project.id),
      );
      expect(entry?.changes.role).to.deep.equal({ from: null, to: 'viewer' });
      const seen = await agents.outsider.get(`/projects/${project.id}`).set('Host', host);
      expect(seen.status).to.equal(200);
    });

    it('answers 422 to an unknown role or person', async () => {
      const res = await postForm(agents.owner, host, `/projects/${project.id}/members`, {
        userId: String(cast.outsider.id),
        role: 'boss',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('must be member or viewer');
      const nobody = await postForm(agents.owner, host, `/projects/${project.id}/members`, {
        userId: '99999',
        role: 'member',
      });
      expect(nobody.status).to.equal(422);
      expect(await membersOf(tenant, project.id)).to.not.have.property('99999');
    });

    it('unassigns the tasks of a removed member, one audited entry per task with the project id', async () => {
      const res = await postForm(
        agents.owner,
        host,
        `/projects/${project.id}/members/${cast.member.id}/delete`,
        {},
      );
      expect(res.status).to.equal(302);
      expect(await membersOf(tenant, project.id)).to.not.have.property(String(cast.member.id));
      const task = await inTenant(tenant, () =>
        Task.findOne({ where: { projectId: project.id, title: 'Book the hall' } }),
      );
      expect(task?.assigneeId).to.equal(null);
      const unassigned = (await auditOf(tenant, 'task.assigned')).filter(
        (e) => e.recordId === String(task?.id),
      );
      expect(unassigned).to.have.length(1);
      expect(String(unassigned[0].projectId)).to.equal(String(project.id));
      expect(unassigned[0].changes.assignee).to.deep.equal({ from: 'Mark Member', to: null });
      const removed = (await auditOf(tenant, 'project.member_removed')).find(
        (e) => e.projectId === String(project.id),
      );
      expect(removed?.changes.unassignedTasks).to.deep.equal({ from: 1, to: 0 });
      expect((await agents.member.get(`/projects/${project.id}`).set('Host', host)).status).to.equal(404);
    });

    it('keeps the owner a member: removing them or making them a viewer is refused with 422', async () => {
      const remove = await postForm(
        agents.manager,
        host,
        `/projects/${project.id}/members/${cast.owner.id}/delete`,
        {},
      );
      expect(remove.status).to.equal(422);
      expect(remove.text).to.include('stays a member');
      const demote = await postForm(
        agents.manager,
        host,
        `/projects/${project.id}/members/${cast.owner.id}/role`,
        {
          role: 'viewer',
        },
      );
      expect(demote.status).to.equal(422);
      expect((await membersOf(tenant, project.id))[String(cast.owner.id)]).to.equal('member');
    });

    it('changes a role; a member made viewer loses their assignments; audited with the project id', async () => {
      const res = await postForm(
        agents.owner,
        host,
        `/projects/${project.id}/members/${cast.member.id}/role`,
        {
          role: 'viewer',
        },
      );
      expect(res.status).to.equal(302);
      expect((await membersOf(tenant, project.id))[String(cast.member.id)]).to.equal('viewer');
      const task = await inTenant(tenant, () =>
        Task.findOne({ where: { projectId: project.id, title: 'Book the hall' } }),
      );
      expect(task?.assigneeId).to.equal(null);
      const entry = (await auditOf(tenant, 'project.member_role_changed')).find(
        (e) => e.projectId === String(project.id),
      );
      expect(entry?.changes.role).to.deep.equal({ from: 'member', to: 'viewer' });
    });

    it('answers 404 for a person who is not a member', async () => {
      const res = await postForm(
        agents.owner,
        host,
        `/projects/${project.id}/members/${cast.outsider.id}/delete`,
        {},
      );
      expect(res.status).to.equal(404);
      const bad = await postForm(agents.owner, host, `/projects/${project.id}/members/abc/role`, {
        role: 'member',
      });
      expect(bad.status).to.equal(404);
    });
  });
});
