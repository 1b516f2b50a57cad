import { expect } from 'chai';
import { Project, Task, type Tenant, User } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http, uniqueSlug } from '../support/factories.ts';
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

type Agent = Awaited<ReturnType<typeof signedIn>>;

function invite(agent: Agent, tenant: Tenant, name: string) {
  const email = `${uniqueSlug('staff')}@example.test`;
  return postForm(agent, hostOf(tenant), '/users', { name, email }, '/users/new');
}

function activeStaff(tenant: Tenant): Promise<number> {
  return inTenant(tenant, () => User.count({ where: { active: true } }));
}

/** A project of the admin with `open` tasks to do and one done task in the archive. */
async function projectWithArchivedTask(tenant: Tenant, ownerId: string, open: number) {
  return inTenant(tenant, async () => {
    const project = await Project.create({ name: 'Roof', ownerId });
    await Task.bulkCreate(
      Array.from({ length: open }, (_, i) => ({ projectId: project.id, title: `Task ${i + 1}` })),
    );
    const archived = await Task.create({
      projectId: project.id,
      title: 'Old gutter job',
      description: null,
      assigneeId: null,
      dueAt: null,
      status: 'done',
      completedAt: new Date(Date.now() - 200 * 86_400_000),
      archivedAt: new Date(),
      createdBy: null,
    });
    return { project, archived };
  });
}

describe('plan limits on every path that adds to a count', function () {
  this.timeout(30_000);

  it('refuses to reactivate a staff account when the Free plan’s 3 places were taken meanwhile', async () => {
    const tenant = await createTenant();
    const { agent } = await adminOf(tenant);
    const host = hostOf(tenant);
    await createUser(tenant);
    const leaver = await createUser(tenant, { name: 'Lee Leaver' });
    const off = await postForm(
      agent,
      host,
      `/users/${leaver.id}/activation/delete`,
      {},
      `/users/${leaver.id}`,
    );
    expect(off.status).to.equal(302);
    expect((await invite(agent, tenant, 'New Hire')).status).to.equal(302);

    const back = await postForm(agent, host, `/users/${leaver.id}/activation`, {}, `/users/${leaver.id}`);
    expect(back.status).to.equal(422);
    expect(back.text).to.include('Your Free plan allows 3 active staff accounts.');
    expect(back.text).to.include('Lee Leaver');
    expect(await activeStaff(tenant)).to.equal(3);
    await inTenant(tenant, () => leaver.reload());
    expect(leaver.active).to.equal(false);
  });

  it('reactivates a staff account while the plan has a place for it', async () => {
    const tenant = await createTenant();
    const { agent } = await adminOf(tenant);
    const leaver = await createUser(tenant, { active: false });
    const back = await postForm(
      agent,
      hostOf(tenant),
      `/users/${leaver.id}/activation`,
      {},
      `/users/${leaver.id}`,
    );
    expect(back.status).to.equal(302);
    expect(await activeStaff(tenant)).to.equal(2);
  });

  it('gives the last staff place to one of three reactivations and three invitations sent at once', async () => {
    const tenant = await createTenant();
    const { agent } = await adminOf(tenant);
    const host = hostOf(tenant);
    await createUser(tenant);
    const leavers = [];
    for (let i = 0; i < 3; i += 1) leavers.push(await createUser(tenant, { active: false }));
    // The token lives in the session: one fetched token serves every form of this agent.
    const _csrf = await csrfToken(agent, host, '/users/new');
    const post = (path: string, body: Record<string, string> = {}) =>
      agent
        .post(path)
        .set('Host', host)
        .type('form')
        .send({ ...body, _csrf });
    const responses = await Promise.all([
      ...leavers.map((u) => post(`/users/${u.id}/activation`)),
      ...[1, 2, 3].map((i) =>
        post('/users', { name: `Hire ${i}`, email: `${uniqueSlug('hire')}@example.test` }),
      ),
    ]);
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.filter((s) => s === 302),
      `statuses: ${statuses.join(', ')}`,
    ).to.have.length(1);
    expect(statuses.filter((s) => s === 422)).to.have.length(5);
    expect(await activeStaff(tenant)).to.equal(3);
  });

  it('refuses to reopen an archived task while the Free plan’s 10 tasks are in use, and reopens it out of the archive when one is free', async () => {
    const tenant = await createTenant();
    const { agent, admin } = await adminOf(tenant);
    const host = hostOf(tenant);
    const { archived } = await projectWithArchivedTask(tenant, admin.id, 10);
    const reopen = () =>
      postForm(agent, host, `/tasks/${archived.id}/completion/delete`, {}, `/tasks/${archived.id}`);

    const refused = await reopen();
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('Your Free plan allows 10 tasks.');
    await inTenant(tenant, () => archived.reload());
    expect(archived.status).to.equal('done');
    expect(archived.archivedAt).to.be.instanceOf(Date);

    await inTenant(tenant, () => Task.destroy({ where: { title: 'Task 1' } }));
    expect((await reopen()).status).to.equal(302);
    await inTenant(tenant, () => archived.reload());
    expect(archived.status).to.equal('todo');
    expect(archived.archivedAt).to.equal(null);
    expect(await inTenant(tenant, () => Task.count({ where: { archivedAt: null } }))).to.equal(10);
  });

  it('refuses to move an archived task back to work through its form at the limit, and saves other changes to it', async () => {
    const tenant = await createTenant();
    const { agent, admin } = await adminOf(tenant);
    const host = hostOf(tenant);
    const { archived } = await projectWithArchivedTask(tenant, admin.id, 10);
    const save = (fields: Record<string, string>) =>
      postForm(
        agent,
        host,
        `/tasks/${archived.id}`,
        { title: 'Old gutter job', priority: 'medium', status: 'done', ...fields },
        `/tasks/${archived.id}/edit`,
      );

    const refused = await save({ status: 'in_progress', title: 'Gutters again' });
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('Your Free plan allows 10 tasks.');
    expect(refused.text).to.include('value="Gutters again"');
    await inTenant(tenant, () => archived.reload());
    expect([archived.title, archived.status]).to.deep.equal(['Old gutter job', 'done']);

    expect((await save({ title: 'Old gutter job (2019)' })).status).to.equal(302);
    await inTenant(tenant, () => archived.reload());
    expect(archived.title).to.equal('Old gutter job (2019)');
    expect(archived.archivedAt).to.be.instanceOf(Date);
    expect(await inTenant(tenant, () => Task.count({ where: { archivedAt: null } }))).to.equal(10);
  });
});

describe('a burst of invitations at the staff limit', function () {
  this.timeout(90_000);

  it('gives the 9 places left on the Basic plan to 9 of 50 invitations sent at once, refuses the other 41 with 422, and stays ready', async () => {
    // Each invitation that passes the check writes the account: that is where a second transaction
    // would wait for a second connection while the others hold the rest of the pool.
    const tenant = await createTenant({ plan: 'basic' });
    const { agent } = await adminOf(tenant);
    const host = hostOf(tenant);
    const _csrf = await csrfToken(agent, host, '/users/new');

    let bursting = true;
    const readiness: number[] = [];
    const probe = (async () => {
      const prober = http();
      while (bursting) readiness.push((await prober.get('/health/ready').set('Host', 'localhost')).status);
    })();
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        agent
          .post('/users')
          .set('Host', host)
          .type('form')
          .send({ name: `Person ${i + 1}`, email: `${uniqueSlug('burst')}@example.test`, _csrf }),
      ),
    );
    const elapsed = Date.now() - started;
    bursting = false;
    await probe;

    const statuses = responses.map((r) => r.status);
    expect(
      statuses.filter((s) => s === 302),
      `statuses: ${statuses.join(', ')}`,
    ).to.have.length(9);
    expect(statuses.filter((s) => s === 422)).to.have.length(41);
    for (const refused of responses.filter((r) => r.status === 422))
      expect(refused.text).to.include('Your Basic plan allows 10 active staff accounts.');
    expect(await activeStaff(tenant)).to.equal(10);
    expect(readiness.length).to.be.greaterThan(0);
    expect(
      readiness.every((s) => s === 200),
      `readiness answered ${readiness.join(', ')}`,
    ).to.equal(true);
    // Far below the pool's 30 s acquire timeout: a pool stalled by nested transactions shows here.
    expect(elapsed).to.be.below(15_000);
  });
});
