import { expect } from 'chai';
import { currentTransaction } from '../../app/db/transaction-context.ts';
import { PlanLimitReached } from '../../app/errors.ts';
import { Project, Task, type Tenant, User } from '../../app/models/index.ts';
import { planLimitMessage, withinPlan } from '../../app/services/plan-limits.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

async function projectOf(tenant: Tenant): Promise<Project> {
  return inTenant(tenant, () =>
    Project.create({ name: 'Outreach', description: null, startsOn: null, endsOn: null, ownerId: null }),
  );
}

function newTask(projectId: string, title: string) {
  return Task.create({
    projectId,
    title,
    description: null,
    assigneeId: null,
    dueAt: null,
    completedAt: null,
    createdBy: null,
  });
}

async function tasksIn(tenant: Tenant, projectId: string, count: number): Promise<void> {
  await inTenant(tenant, async () => {
    for (let i = 1; i <= count; i += 1) await newTask(projectId, `Task ${i}`);
  });
}

describe('plan limits', function () {
  this.timeout(30_000);

  it('allows the 10th task on the Free plan and refuses the 11th with a message naming the plan', async () => {
    const tenant = await createTenant();
    const project = await projectOf(tenant);
    await tasksIn(tenant, project.id, 9);
    await inTenant(tenant, async () => {
      expect(await planLimitMessage('tasks')).to.equal(null);
      const tenth = await withinPlan('tasks', () => newTask(project.id, 'Tenth'));
      expect(tenth.title).to.equal('Tenth');
      const message = await planLimitMessage('tasks');
      expect(message).to.equal(
        'Your Free plan allows 10 tasks. Ask a super admin to choose a larger plan on the Billing page to add more.',
      );
      const refused = await withinPlan('tasks', () => newTask(project.id, 'Eleventh')).catch(
        (e: unknown) => e,
      );
      expect(refused).to.be.instanceOf(PlanLimitReached);
      expect((refused as PlanLimitReached).status).to.equal(422);
      expect((refused as PlanLimitReached).message).to.equal(message);
      expect(await Task.count()).to.equal(10);
    });
  });

  it('tells a super admin to upgrade on the Billing page themselves', async () => {
    const tenant = await createTenant();
    await projectOf(tenant);
    const admin = await inTenant(tenant, () =>
      User.findOne({
        where: { email: `admin@${tenant.slug}.test` },
        include: ['roles'],
        rejectOnEmpty: true,
      }),
    );
    const message = await inTenant(tenant, () => planLimitMessage('projects', admin));
    expect(message).to.equal(
      'Your Free plan allows 1 project. Choose a larger plan on the Billing page to add more.',
    );
  });

  it('does not count archived tasks, and counts only active staff accounts', async () => {
    const tenant = await createTenant();
    const project = await projectOf(tenant);
    await tasksIn(tenant, project.id, 10);
    await inTenant(tenant, async () => {
      expect(await planLimitMessage('tasks')).to.be.a('string');
      await Task.update({ archivedAt: new Date() }, { where: { title: 'Task 1' } });
      expect(await planLimitMessage('tasks')).to.equal(null);
    });
    await createUser(tenant);
    const third = await createUser(tenant);
    expect(await inTenant(tenant, () => planLimitMessage('users'))).to.match(
      /allows 3 active staff accounts/,
    );
    await inTenant(tenant, () => third.update({ active: false }));
    expect(await inTenant(tenant, () => planLimitMessage('users'))).to.equal(null);
  });

  it('puts no limit on the Enterprise plan, and reads a plan change at once', async () => {
    const tenant = await createTenant({ plan: 'enterprise' });
    const project = await projectOf(tenant);
    await tasksIn(tenant, project.id, 12);
    await projectOf(tenant);
    for (const r of ['projects', 'tasks', 'users'] as const)
      expect(await inTenant(tenant, () => planLimitMessage(r))).to.equal(null);
    await tenant.update({ plan: 'basic' });
    expect(await inTenant(tenant, () => planLimitMessage('tasks'))).to.equal(null);
    await tasksIn(tenant, project.id, 38);
    expect(await inTenant(tenant, () => planLimitMessage('tasks'))).to.match(
      /^Your Basic plan allows 50 tasks\./,
    );
  });

  it('lets only one of two simultaneous creates take the last place', async () => {
    const tenant = await createTenant();
    const project = await projectOf(tenant);
    await tasksIn(tenant, project.id, 9);
    const results = await inTenant(tenant, () =>
      Promise.allSettled([
        withinPlan('tasks', () => newTask(project.id, 'A')),
        withinPlan('tasks', () => newTask(project.id, 'B')),
      ]),
    );
    expect(results.map((r) => r.status).sort()).to.deep.equal(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).to.be.instanceOf(PlanLimitReached);
    expect(await inTenant(tenant, () => Task.count())).to.equal(10);
  });

  it('runs the plan check and the account change it guards in one transaction, not one inside another', async () => {
    const tenant = await createTenant();
    const [outer, inner] = await inTenant(tenant, () =>
      withinPlan('users', async () => [
        currentTransaction(),
        await User.withAccountsLock(async () => currentTransaction()),
      ]),
    );
    expect(outer).to.not.equal(undefined);
    expect(inner).to.equal(outer);
  });
});
