import { expect } from 'chai';
import { Project, Task, type Tenant, User } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, uniqueSlug } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

async function adminOf(tenant: Tenant) {
  const agent = await signedIn(tenant, `admin@${tenant.slug}.test`);
  const admin = await inTenant(tenant, () =>
    User.findOne({ where: { email: `admin@${tenant.slug}.test` }, rejectOnEmpty: true }),
  );
  return { agent, admin };
}

function newProject(tenant: Tenant, ownerId: string, name: string) {
  return (agent: Awaited<ReturnType<typeof signedIn>>) =>
    postForm(agent, hostOf(tenant), '/projects', { name, status: 'planning', ownerId }, '/projects/new');
}

describe('plan limits on the create forms', function () {
  this.timeout(30_000);

  it('refuses the 2nd project on the Free plan with 422, the form kept and the way to upgrade', async () => {
    const tenant = await createTenant();
    const { agent, admin } = await adminOf(tenant);
    const first = await newProject(tenant, admin.id, 'Food bank')(agent);
    expect(first.status).to.equal(302);
    const second = await newProject(tenant, admin.id, 'Second <project>')(agent);
    expect(second.status).to.equal(422);
    expect(second.text).to.include(
      'Your Free plan allows 1 project. Choose a larger plan on the Billing page to add more.',
    );
    expect(second.text).to.include('value="Second &lt;project&gt;"');
    const names = await inTenant(tenant, async () => (await Project.findAll()).map((p) => p.name));
    expect(names).to.deep.equal(['Food bank']);
  });

  it('allows the 10th task on the Free plan through the form and refuses the 11th, keeping what was typed', async () => {
    const tenant = await createTenant();
    const { agent, admin } = await adminOf(tenant);
    const project = await inTenant(tenant, async () => {
      const p = await Project.create({ name: 'Roof', ownerId: admin.id });
      await Task.bulkCreate(
        Array.from({ length: 9 }, (_, i) => ({ projectId: p.id, title: `Task ${i + 1}` })),
      );
      return p;
    });
    const host = hostOf(tenant);
    const add = (title: string) =>
      postForm(
        agent,
        host,
        `/projects/${project.id}/tasks`,
        { title, priority: 'medium', status: 'todo' },
        `/projects/${project.id}/tasks/new`,
      );
    expect((await add('Tenth')).status).to.equal(302);
    const eleventh = await add('Eleventh <task>');
    expect(eleventh.status).to.equal(422);
    expect(eleventh.text).to.include('Your Free plan allows 10 tasks.');
    expect(eleventh.text).to.include('value="Eleventh &lt;task&gt;"');
    expect(await inTenant(tenant, () => Task.count())).to.equal(10);
  });

  it('lets an Enterprise tenant create projects without a limit', async () => {
    const tenant = await createTenant({ plan: 'enterprise' });
    const { agent, admin } = await adminOf(tenant);
    for (const name of ['One', 'Two', 'Three'])
      expect((await newProject(tenant, admin.id, name)(agent)).status).to.equal(302);
    expect(await inTenant(tenant, () => Project.count())).to.equal(3);
  });

  it('invites the 3rd staff account on the Free plan and refuses the 4th', async () => {
    const tenant = await createTenant();
    const { agent } = await adminOf(tenant);
    await createUser(tenant, { active: false });
    await createUser(tenant);
    const host = hostOf(tenant);
    const third = `${uniqueSlug('third')}@example.test`;
    const ok = await postForm(agent, host, '/users', { name: 'Third Person', email: third }, '/users/new');
    expect(ok.status).to.equal(302);
    const invite = await mailbox.waitFor(third);
    expect(invite.text).to.include(`Welcome to ${tenant.name}!`);
    const fourth = `${uniqueSlug('fourth')}@example.test`;
    const refused = await postForm(
      agent,
      host,
      '/users',
      { name: 'Fourth Person', email: fourth },
      '/users/new',
    );
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('Your Free plan allows 3 active staff accounts.');
    expect(refused.text).to.include('Billing page');
    expect(refused.text).to.include(`value="${fourth}"`);
    const emails = await inTenant(tenant, async () => (await User.findAll()).map((u) => u.email));
    expect(emails).to.include(third);
    expect(emails).to.not.include(fourth);
    expect(await inTenant(tenant, () => User.count({ where: { active: true } }))).to.equal(3);
  });
});
