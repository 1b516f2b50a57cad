import { expect } from 'chai';
import { AuditLog, type Tenant } from '../../app/models/index.ts';
import { taskRemindersOn } from '../../app/services/people/task-reminders.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, uniqueSlug } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

const BOX = /<input[^>]*name="taskReminders"[^>]*>/;

describe('"E-mail me task reminders" on the profile page', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;

  before(async () => {
    tenant = await createTenant();
    host = hostOf(tenant);
  });

  it('is on by default, turns off and on again with the profile form, and each change is audited', async () => {
    const email = `${uniqueSlug('rem')}@example.test`;
    const user = await createUser(tenant, { email, name: 'Rita Reminded', level: 5 });
    const agent = await signedIn(tenant, email);
    const page = await agent.get('/profile').set('Host', host).expect(200);
    expect(BOX.exec(page.text)?.[0]).to.include('checked');
    expect(await inTenant(tenant, () => taskRemindersOn(String(user.id)))).to.equal(true);

    // An unticked box is not sent at all.
    const off = await postForm(agent, host, '/profile', { name: 'Rita Reminded', email }, '/profile');
    expect(off.status).to.equal(302);
    expect(await inTenant(tenant, () => taskRemindersOn(String(user.id)))).to.equal(false);
    const unticked = await agent.get('/profile').set('Host', host).expect(200);
    expect(BOX.exec(unticked.text)?.[0]).not.to.include('checked');

    const on = await postForm(
      agent,
      host,
      '/profile',
      { name: 'Rita Reminded', email, taskReminders: 'on' },
      '/profile',
    );
    expect(on.status).to.equal(302);
    expect(await inTenant(tenant, () => taskRemindersOn(String(user.id)))).to.equal(true);

    const entries = await inTenant(tenant, () =>
      AuditLog.findAll({
        where: { action: 'profile.updated', recordId: String(user.id) },
        order: [['id', 'ASC']],
      }),
    );
    expect(entries.map((e) => e.changes)).to.deep.equal([
      { taskReminders: { from: true, to: false } },
      { taskReminders: { from: false, to: true } },
    ]);
  });

  it('keeps the box as ticked when the rest of the form is refused', async () => {
    const email = `${uniqueSlug('rem')}@example.test`;
    const user = await createUser(tenant, { email, name: 'Ray Refused', level: 5 });
    const agent = await signedIn(tenant, email);
    const res = await postForm(agent, host, '/profile', { name: '', email, taskReminders: 'on' }, '/profile');
    expect(res.status).to.equal(422);
    expect(BOX.exec(res.text)?.[0]).to.include('checked');
    expect(await inTenant(tenant, () => taskRemindersOn(String(user.id)))).to.equal(true);
  });
});
