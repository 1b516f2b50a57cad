import { expect } from 'chai';
import { Forbidden, NotFound } from '../../app/errors.ts';
import { Project, ProjectMember, Task, type Tenant, User } from '../../app/models/index.ts';
import {
  loadProject,
  loadTask,
  requireManage,
  requireWork,
  visibleProjectsWhere,
  visibleTasksWhere,
} from '../../app/policies/project.policy.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

async function withRoles(tenant: Tenant, level: number): Promise<User> {
  const created = await createUser(tenant, { level });
  const user = await inTenant(tenant, () => User.findWithRoles(created.id));
  if (!user) throw new Error('no user');
  return user;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (err: unknown) => err,
  );
}

describe('project policy', () => {
  let tenant: Tenant;
  let other: Tenant;
  let owner: User;
  let member: User;
  let viewer: User;
  let outsider: User;
  let admin: User;
  let manager: User;
  let project: Project;
  let task: Task;
  let foreignTask: Task;

  before(async () => {
    tenant = await createTenant();
    other = await createTenant();
    [owner, member, viewer, outsider, admin, manager] = await Promise.all(
      [5, 5, 5, 5, 0, 4].map((level) => withRoles(tenant, level)),
    );
    await inTenant(tenant, async () => {
      project = await Project.create({ name: 'Roof repair', ownerId: owner.id });
      await ProjectMember.bulkCreate([
        { projectId: project.id, userId: owner.id, role: 'member' },
        { projectId: project.id, userId: member.id, role: 'member' },
        { projectId: project.id, userId: viewer.id, role: 'viewer' },
      ]);
      task = await Task.create({ projectId: project.id, title: 'Buy tiles' } as Task);
    });
    foreignTask = await inTenant(other, async () => {
      const p = await Project.create({ name: 'Elsewhere', ownerId: null });
      // An id this tenant's tasks do not reach, so a 404 can only come from the tenant boundary.
      return Task.create({ id: '900000001', projectId: p.id, title: 'Not yours' } as Task);
    });
  });

  it('lets members work, viewers only read, and the owner and projects.manage manage', async () => {
    const seen = async (user: User) => inTenant(tenant, () => loadProject(user, String(project.id)));
    const o = await seen(owner);
    expect([o.access, o.canWork, o.canManage]).to.deep.equal(['member', true, true]);
    const m = await seen(member);
    expect([m.access, m.canWork, m.canManage]).to.deep.equal(['member', true, false]);
    const v = await seen(viewer);
    expect([v.access, v.canWork, v.canManage]).to.deep.equal(['viewer', false, false]);
    for (const u of [admin, manager]) {
      const x = await seen(u);
      expect([x.access, x.canWork, x.canManage]).to.deep.equal(['manage', true, true]);
    }
    expect(() => requireWork(v)).to.throw(Forbidden);
    expect(() => requireManage(m)).to.throw(Forbidden);
    expect(() => requireManage(o)).to.not.throw();
    expect(() => requireWork(m)).to.not.throw();
  });

  it('answers 404 to an outsider, for the project and its task', async () => {
    expect(
      await rejection(inTenant(tenant, () => loadProject(outsider, String(project.id)))),
    ).to.be.instanceOf(NotFound);
    expect(await rejection(inTenant(tenant, () => loadTask(outsider, String(task.id))))).to.be.instanceOf(
      NotFound,
    );
    const v = await inTenant(tenant, () => loadTask(viewer, String(task.id)));
    expect(v.record.project?.name).to.equal('Roof repair');
  });

  it('answers 404 for malformed ids and for another tenant’s task, even to a super admin', async () => {
    for (const raw of ['abc', '0', '-1', '99999999999999999999', '1.5', undefined]) {
      expect(await rejection(inTenant(tenant, () => loadProject(admin, raw))), String(raw)).to.be.instanceOf(
        NotFound,
      );
      expect(await rejection(inTenant(tenant, () => loadTask(admin, raw))), String(raw)).to.be.instanceOf(
        NotFound,
      );
    }
    expect(await rejection(inTenant(tenant, () => loadTask(admin, foreignTask.id)))).to.be.instanceOf(
      NotFound,
    );
  });

  it('lists only the projects and tasks of the user’s projects, everything for projects.manage', async () => {
    const names = (user: User) =>
      inTenant(tenant, async () =>
        (await Project.findAll({ where: visibleProjectsWhere(user) })).map((p) => p.name),
      );
    const tasks = (user: User) =>
      inTenant(tenant, async () =>
        (await Task.findAll({ where: visibleTasksWhere(user) })).map((t) => t.title),
      );
    expect(await names(viewer)).to.deep.equal(['Roof repair']);
    expect(await names(outsider)).to.deep.equal([]);
    expect(await tasks(outsider)).to.deep.equal([]);
    expect(await tasks(member)).to.deep.equal(['Buy tiles']);
    expect(await names(manager)).to.include('Roof repair');
  });
});
