import { expect } from 'chai';
import type supertest from 'supertest';
import { AuditLog, Role, type Tenant, User } from '../../app/models/index.ts';
import * as audit from '../../app/services/audit.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http, TEST_PASSWORD } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

describe('the audit log (/audit)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;
  let clerk: User;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
    clerk = await createUser(tenant, { name: 'Clerk <em>Kent</em>', level: 5 });
    const board = await inTenant(tenant, () => Role.findOne({ where: { name: 'Board' } }));
    await postForm(admin, host, `/users/${clerk.id}`, { name: 'Clark Kent', roleIds: String(board?.id) });
    await postForm(admin, host, '/settings', { welcome_text: 'Audited welcome' });
  });

  it('answers 403 to levels 1 to 5 and sends an anonymous visitor to sign in', async () => {
    for (const level of [1, 2, 3, 4, 5]) {
      const email = `audit-level${level}@example.test`;
      await createUser(tenant, { level, email });
      const agent = await signedIn(tenant, email);
      expect((await agent.get('/audit').set('Host', host)).status).to.equal(403);
    }
    const anonymous = await http().get('/audit').set('Host', host);
    expect(anonymous.status).to.equal(302);
    expect(anonymous.headers.location).to.equal('/login?next=%2Faudit');
  });

  it('lists entries newest first with the changed fields before → after, escaped', async () => {
    const res = await admin.get('/audit').set('Host', host).expect(200);
    const settings = res.text.indexOf('settings.updated');
    const user = res.text.indexOf('user.updated');
    expect(settings).to.be.greaterThan(-1);
    expect(user).to.be.greaterThan(settings);
    expect(res.text).to.include('Clerk &lt;em&gt;Kent&lt;/em&gt;');
    expect(res.text).not.to.include('<em>Kent</em>');
    expect(res.text).to.include('Clark Kent');
    expect(res.text).to.include('Audited welcome');
    expect(res.text).to.match(/>Member<\/span>\s*<span aria-label="changed to">→<\/span>\s*<span>Board</);
  });

  it('filters by action, record type, actor and dates', async () => {
    const byAction = await admin.get('/audit?action=settings.updated').set('Host', host);
    expect(byAction.text).to.include('Audited welcome').and.not.include('Clark Kent');
    const byType = await admin.get('/audit?recordType=user').set('Host', host);
    expect(byType.text).to.include('Clark Kent').and.not.include('Audited welcome');
    const adminUser = await inTenant(tenant, () =>
      User.findOne({ where: { email: `admin@${tenant.slug}.test` } }),
    );
    const byActor = await admin.get(`/audit?actor=${adminUser?.id}`).set('Host', host);
    expect(byActor.text).to.include('Clark Kent');
    const bySystem = await admin.get('/audit?actor=system').set('Host', host);
    expect(bySystem.text).not.to.include('Clark Kent');
    const today = new Date().toISOString().slice(0, 10);
    const inRange = await admin.get(`/audit?from=${today}&to=${today}`).set('Host', host);
    expect(inRange.text).to.include('Clark Kent');
    const past = await admin.get('/audit?from=2000-01-01&to=2000-01-31').set('Host', host);
    expect(past.text).to.include('0 entries');
  });

  it('ignores nonsense filters instead of failing', async () => {
    for (const query of [
      'from=2024-02-30',
      'to=yesterday',
      'actor=abc',
      'page=-1',
      "action='; drop table users",
      'action=a&action=b',
    ]) {
      const res = await admin.get(`/audit?${query}`).set('Host', host);
      expect(res.status, query).to.equal(200);
    }
  });

  it('pages the entries and keeps the filters in the page links', async () => {
    await inTenant(tenant, async () => {
      for (let i = 0; i < 55; i += 1)
        await audit.record({ action: 'test.bulk', recordType: 'note', recordLabel: `bulk ${i}` });
    });
    const first = await admin.get('/audit?action=test.bulk').set('Host', host);
    expect(first.text).to.include('55 entries');
    expect(first.text)
      .to.include('bulk 54')
      .and.not.match(/bulk 4\s*</);
    expect(first.text).to.include(
      'href="/audit?action=test.bulk&amp;recordType=&amp;actor=&amp;from=&amp;to=&amp;page=2"',
    );
    const second = await admin.get('/audit?action=test.bulk&page=2').set('Host', host);
    expect(second.text)
      .to.match(/bulk 4\s*</)
      .and.not.include('bulk 54');
  });

  it('never stores a password hash, even when a change touches the password', async () => {
    const email = `${clerk.email}`;
    const agent = await signedIn(tenant, email);
    await postForm(agent, host, '/profile/password', {
      currentPassword: TEST_PASSWORD,
      password: 'new secret words',
      confirm: 'new secret words',
    });
    const entries = await inTenant(tenant, () => AuditLog.findAll());
    const all = JSON.stringify(entries.map((e) => e.get({ plain: true })));
    expect(all).not.to.include('$argon2');
    expect(all).not.to.match(/passwordHash|password_hash/);
    expect(entries.some((e) => e.action === 'password.changed' && e.recordId === String(clerk.id))).to.equal(
      true,
    );
  });

  it('shows only the entries of its own tenant', async () => {
    const other = await createTenant();
    await inTenant(other, () =>
      audit.record({ action: 'other.secret', recordType: 'note', recordLabel: 'Other tenant secret' }),
    );
    const res = await admin.get('/audit').set('Host', host);
    expect(res.text).not.to.include('Other tenant secret');
  });
});
