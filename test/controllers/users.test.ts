import { expect } from 'chai';
import type { Request } from 'express';
import { QueryTypes } from 'sequelize';
import type supertest from 'supertest';
import { db } from '../../app/db/database.ts';
import { AuditLog, Role, type Tenant, User, UserRole } from '../../app/models/index.ts';
import { inviteUser } from '../../app/services/people/users.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http, TEST_PASSWORD, uniqueSlug } from '../support/factories.ts';
import { linkIn, mailbox } from '../support/mailbox.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

function roleId(tenant: Tenant, name: string): Promise<string> {
  return inTenant(tenant, async () => {
    const role = await Role.findOne({ where: { name } });
    if (!role) throw new Error(`no role ${name}`);
    return String(role.id);
  });
}

function reload(tenant: Tenant, id: string): Promise<User | null> {
  return inTenant(tenant, () => User.findWithRoles(id));
}

/** The tenant's first admin (created by provisioning), who holds its level-0 role. */
function adminEmail(tenant: Tenant): string {
  return `admin@${tenant.slug}.test`;
}

async function adminOf(tenant: Tenant): Promise<User> {
  const admin = await inTenant(tenant, () => User.findOne({ where: { email: adminEmail(tenant) } }));
  if (!admin) throw new Error('no admin');
  return admin;
}

describe('staff management (/users)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;

  before(async () => {
    // Premium: these tests invite more people than the Free plan's 3 staff accounts.
    tenant = await createTenant({ kind: 'church', plan: 'premium' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, adminEmail(tenant));
  });

  describe('access', () => {
    it('lets a super admin open the list, the invitation form, a show page and an edit page', async () => {
      const someone = await createUser(tenant, { name: 'Visible Person' });
      for (const path of ['/users', '/users/new', `/users/${someone.id}`, `/users/${someone.id}/edit`]) {
        const res = await admin.get(path).set('Host', host);
        expect(res.status, path).to.equal(200);
      }
    });

    it('answers 403 to levels 1 to 5 on every staff route', async () => {
      const target = await createUser(tenant);
      for (const level of [1, 2, 3, 4, 5]) {
        const email = `level${level}-${uniqueSlug('u')}@example.test`;
        await createUser(tenant, { level, email });
        const agent = await signedIn(tenant, email);
        const _csrf = await csrfToken(agent, host, '/');
        for (const path of ['/users', '/users/new', `/users/${target.id}`, `/users/${target.id}/edit`]) {
          expect((await agent.get(path).set('Host', host)).status, `GET ${path} at level ${level}`).to.equal(
            403,
          );
        }
        for (const path of [
          '/users',
          `/users/${target.id}`,
          `/users/${target.id}/activation`,
          `/users/${target.id}/activation/delete`,
          `/users/${target.id}/invitation`,
        ]) {
          const res = await agent.post(path).set('Host', host).type('form').send({ _csrf, name: 'Hacked' });
          expect(res.status, `POST ${path} at level ${level}`).to.equal(403);
        }
      }
      expect((await reload(tenant, target.id))?.name).to.equal('Test Person');
    });

    it('sends an anonymous visitor to sign in', async () => {
      for (const path of ['/users', '/users/new', '/users/1', '/users/1/edit']) {
        const res = await http().get(path).set('Host', host);
        expect(res.status, path).to.equal(302);
        expect(res.headers.location).to.equal(`/login?next=${encodeURIComponent(path)}`);
      }
    });

    it('refuses a form posted without its CSRF token with 403 and changes nothing', async () => {
      const target = await createUser(tenant, { name: 'Unchanged' });
      const res = await admin
        .post(`/users/${target.id}`)
        .set('Host', host)
        .type('form')
        .send({ name: 'Changed' });
      expect(res.status).to.equal(403);
      expect((await reload(tenant, target.id))?.name).to.equal('Unchanged');
    });
  });

  describe('the list', () => {
    let listed: Tenant;
    let agent: supertest.Agent;

    before(async () => {
      listed = await createTenant();
      agent = await signedIn(listed, adminEmail(listed));
      await createUser(listed, { name: 'Zoe Percent', email: 'zoe@list.test', department: '100% Sales' });
      await createUser(listed, { name: 'Yan Under', email: 'yan_under@list.test', department: 'Support' });
      await createUser(listed, { name: 'Xavier Gone', email: 'xavier@list.test', active: false });
      for (let i = 0; i < 30; i += 1) {
        await createUser(listed, {
          name: `Paged ${String(i).padStart(2, '0')}`,
          email: `paged${i}@list.test`,
        });
      }
    });

    it('shows name, e-mail, department, roles, status and last sign-in', async () => {
      const res = await agent.get('/users?q=zoe').set('Host', hostOf(listed)).expect(200);
      expect(res.text).to.include('Zoe Percent');
      expect(res.text).to.include('zoe@list.test');
      expect(res.text).to.include('100% Sales');
      expect(res.text).to.include('Member');
      expect(res.text).to.include('Active');
      expect(res.text).to.include('Never');
    });

    it('searches name, e-mail and department, case-insensitively', async () => {
      const byName = await agent.get('/users?q=ZOE').set('Host', hostOf(listed));
      expect(byName.text).to.include('Zoe Percent').and.not.include('Yan Under');
      const byEmail = await agent.get('/users?q=yan_under@').set('Host', hostOf(listed));
      expect(byEmail.text).to.include('Yan Under').and.not.include('Zoe Percent');
      const byDepartment = await agent.get('/users?q=support').set('Host', hostOf(listed));
      expect(byDepartment.text).to.include('Yan Under').and.not.include('Zoe Percent');
    });

    it('takes % _ and \\ in a search literally', async () => {
      const percent = await agent.get(`/users?q=${encodeURIComponent('%')}`).set('Host', hostOf(listed));
      expect(percent.text).to.include('Zoe Percent').and.not.include('Yan Under');
      const underscore = await agent.get('/users?q=_').set('Host', hostOf(listed));
      expect(underscore.text).to.include('Yan Under').and.not.include('Zoe Percent');
      const backslash = await agent.get(`/users?q=${encodeURIComponent('\\')}`).set('Host', hostOf(listed));
      expect(backslash.status).to.equal(200);
      expect(backslash.text).to.include('Nobody matches');
    });

    it('filters by status', async () => {
      const inactive = await agent.get('/users?status=inactive').set('Host', hostOf(listed));
      expect(inactive.text).to.include('Xavier Gone').and.not.include('Zoe Percent');
      expect(inactive.text).to.include('Deactivated');
      const active = await agent.get('/users?status=active&q=x').set('Host', hostOf(listed));
      expect(active.text).not.to.include('Xavier Gone');
      const everyone = await agent.get('/users?status=all&q=x').set('Host', hostOf(listed));
      expect(everyone.text).to.include('Xavier Gone');
    });

    it('pages 25 at a time and keeps the filters in the page links', async () => {
      const first = await agent.get('/users?q=paged&status=active').set('Host', hostOf(listed));
      expect(first.text).to.include('30 people');
      expect(first.text).to.include('Paged 24').and.not.include('Paged 25');
      expect(first.text).to.include('href="/users?q=paged&amp;status=active&amp;page=2"');
      const second = await agent.get('/users?q=paged&status=active&page=2').set('Host', hostOf(listed));
      expect(second.text).to.include('Paged 25').and.include('Paged 29').and.not.include('Paged 24');
    });

    it('treats a nonsense page, status or search as the defaults instead of failing', async () => {
      for (const query of [
        'page=abc',
        'page=-3',
        'page=99999999999999999999',
        'status=evil',
        'q=a&q=b',
        'q[]=a',
      ]) {
        const res = await agent.get(`/users?${query}`).set('Host', hostOf(listed));
        expect(res.status, query).to.equal(200);
      }
      const far = await agent.get('/users?page=500').set('Host', hostOf(listed));
      expect(far.text).to.include('There is no page 500');
    });
  });

  describe('invitations', () => {
    it('invites a person by e-mail, who chooses a password with the link and signs in', async () => {
      const email = `${uniqueSlug('new')}@example.test`;
      const res = await postForm(admin, host, '/users', {
        name: 'Nadia New',
        email,
        department: 'Choir',
        roleIds: await roleId(tenant, 'Treasurer'),
      });
      expect(res.status, res.text.slice(0, 400)).to.equal(302);
      const created = await inTenant(tenant, () =>
        User.scope('withPassword').findOne({ where: { email }, include: [{ association: 'roles' }] }),
      );
      expect(created?.passwordHash).to.equal(null);
      expect(created?.roles?.map((r) => r.name)).to.deep.equal(['Treasurer']);
      expect(res.headers.location).to.equal(`/users/${created?.id}`);

      const mail = await mailbox.waitFor(email);
      expect(mail.text).to.include('Nadia New');
      const link = linkIn(mail, '/invitations/');
      const invitee = http();
      await invitee.get(link).set('Host', host).expect(200);
      const _csrf = await csrfToken(invitee, host, link);
      const accepted = await invitee
        .post(link)
        .set('Host', host)
        .type('form')
        .send({ password: 'my own new password', confirm: 'my own new password', _csrf });
      expect(accepted.status).to.equal(302);
      const signedInInvitee = await signedIn(tenant, email, 'my own new password');
      const home = await signedInInvitee.get('/').set('Host', host).expect(200);
      expect(home.text).to.include('Nadia New');

      const again = await invitee
        .post(link)
        .set('Host', host)
        .type('form')
        .send({ password: 'another password!', confirm: 'another password!', _csrf });
      // The link is used up: a second press in the same browser goes on to sign-in, changing nothing.
      expect(again.status).to.equal(302);
      expect(again.headers.location).to.match(/^\/login/);
    });

    it('re-shows the form with a field message when the e-mail is already used in this tenant', async () => {
      const existing = await createUser(tenant, { email: `taken-${uniqueSlug('x')}@example.test` });
      const res = await postForm(admin, host, '/users', {
        name: 'Second Try',
        email: `  ${existing.email.toUpperCase()} `,
        department: 'Kept department',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('is already used by another account here');
      expect(res.text).to.include('value="Second Try"');
      expect(res.text).to.include('value="Kept department"');
      const count = await inTenant(tenant, () => User.count({ where: { email: existing.email } }));
      expect(count).to.equal(1);
    });

    it('lets the same e-mail be invited in another tenant, as a separate account', async () => {
      const other = await createTenant();
      const shared = `${uniqueSlug('shared')}@example.test`;
      await createUser(other, { email: shared });
      const res = await postForm(admin, host, '/users', { name: 'Shared Person', email: shared });
      expect(res.status).to.equal(302);
    });

    it('keeps the input and shows field messages when the form is wrong', async () => {
      const res = await postForm(admin, host, '/users', {
        name: '',
        email: 'not an e-mail',
        roleIds: ['abc', await roleId(tenant, 'Board')],
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('is required');
      expect(res.text).to.include('must be an e-mail address');
      expect(res.text).to.include('value="not an e-mail"');
    });

    it('refuses a role id that is not one of this tenant’s roles', async () => {
      const res = await postForm(admin, host, '/users', {
        name: 'Ghost Role',
        email: `${uniqueSlug('ghost')}@example.test`,
        roleIds: '987654321',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('contains a role that no longer exists');
    });

    it('sends the invitation again with a new link, and the old link stops working', async () => {
      const email = `${uniqueSlug('again')}@example.test`;
      await postForm(admin, host, '/users', { name: 'Ravi Resend', email });
      const first = linkIn(await mailbox.waitFor(email), '/invitations/');
      mailbox.clear();
      const user = await inTenant(tenant, () => User.findOne({ where: { email } }));
      const res = await postForm(admin, host, `/users/${user?.id}/invitation`, {});
      expect(res.status).to.equal(302);
      const second = linkIn(await mailbox.waitFor(email), '/invitations/');
      expect(second).not.to.equal(first);
      await http().get(first).set('Host', host).expect(410);
      await http().get(second).set('Host', host).expect(200);
    });

    it('queues the invitation in the transaction that makes the account, when given the request', async () => {
      const req = { tenant: tenant.toRef(), res: { locals: {} } } as unknown as Request;
      const undone = `${uniqueSlug('undone')}@example.test`;
      const made = `${uniqueSlug('made')}@example.test`;
      await withTenant(tenant.toRef(), async () => {
        // The account's transaction is undone after the invitation was queued in it.
        await db()
          .transaction(async () => {
            await inviteUser({ name: 'Undone', email: undone, department: null, roleIds: [] }, null, req);
            throw new Error('undo');
          })
          .catch((err: Error) => expect(err.message).to.equal('undo'));
        await inviteUser({ name: 'Made', email: made, department: null, roleIds: [] }, null, req);
      });
      await mailbox.settled();
      const queuedFor = await db().query(
        "SELECT 1 FROM pgboss.job WHERE name = 'mail' AND data->'payload'->>'to' = $1",
        { bind: [undone], type: QueryTypes.SELECT },
      );
      expect(queuedFor).to.have.length(0);
      expect(mailbox.to(undone)).to.have.length(0);
      expect(await withTenant(tenant.toRef(), () => User.count({ where: { email: undone } }))).to.equal(0);
      const [mail] = mailbox.to(made);
      expect(mail?.subject).to.equal(`You are invited to ${tenant.name}`);
      const res = await http().get(linkIn(mail, '/invitations/')).set('Host', host);
      expect(res.status).to.equal(200);
    });

    it('refuses to resend an invitation to someone who already chose a password', async () => {
      const user = await createUser(tenant);
      const res = await postForm(admin, host, `/users/${user.id}/invitation`, {});
      expect(res.status).to.equal(409);
      expect(res.text).to.include('has already chosen a password');
    });

    it('records the invitation in the audit log with the roles and no password hash', async () => {
      const email = `${uniqueSlug('audited')}@example.test`;
      await postForm(admin, host, '/users', {
        name: 'Audited',
        email,
        roleIds: await roleId(tenant, 'Staff'),
      });
      const entry = await inTenant(tenant, () =>
        AuditLog.findOne({ where: { action: 'user.invited', recordLabel: email } }),
      );
      expect(entry?.actorName).to.equal('Administrator');
      expect(entry?.changes.roles).to.deep.equal({ from: null, to: ['Staff'] });
      expect(entry?.changes.name).to.deep.equal({ from: null, to: 'Audited' });
      expect(JSON.stringify(entry?.changes)).not.to.match(/password/i);
    });
  });

  describe('editing', () => {
    it('changes name, department and roles, and records the roles before → after', async () => {
      const user = await createUser(tenant, { name: 'Old Name', level: 5 });
      const res = await postForm(admin, host, `/users/${user.id}`, {
        name: 'New Name',
        department: 'Youth',
        roleIds: [await roleId(tenant, 'Board'), await roleId(tenant, 'Staff')],
      });
      expect(res.status).to.equal(302);
      const after = await reload(tenant, user.id);
      expect(after?.name).to.equal('New Name');
      expect(after?.department).to.equal('Youth');
      expect(after?.roleNames).to.deep.equal(['Board', 'Staff']);
      const entry = await inTenant(tenant, () =>
        AuditLog.findOne({ where: { action: 'user.updated', recordId: user.id } }),
      );
      expect(entry?.changes).to.deep.include({
        name: { from: 'Old Name', to: 'New Name' },
        department: { from: null, to: 'Youth' },
        roles: { from: ['Member'], to: ['Board', 'Staff'] },
      });
    });

    it('takes away every role when no box is ticked', async () => {
      const user = await createUser(tenant, { level: 4 });
      await postForm(admin, host, `/users/${user.id}`, { name: 'No Roles' });
      expect((await reload(tenant, user.id))?.roles).to.have.length(0);
    });

    it('shows the edit form again, input kept, for a name that is too long', async () => {
      const user = await createUser(tenant, { name: 'Short' });
      const res = await postForm(admin, host, `/users/${user.id}`, {
        name: 'n'.repeat(121),
        department: 'Kept',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('must be at most 120 characters');
      expect(res.text).to.include('value="Kept"');
      expect((await reload(tenant, user.id))?.name).to.equal('Short');
    });
  });

  describe('the last active super admin', () => {
    let lone: Tenant;
    let loneHost: string;
    let agent: supertest.Agent;
    let me: User;

    beforeEach(async () => {
      lone = await createTenant();
      loneHost = hostOf(lone);
      agent = await signedIn(lone, adminEmail(lone));
      me = await adminOf(lone);
    });

    it('refuses to deactivate the last active super admin', async () => {
      const res = await postForm(agent, loneHost, `/users/${me.id}/activation/delete`, {});
      expect(res.status).to.equal(409);
      expect(res.text).to.include('no active super admin');
      expect((await reload(lone, me.id))?.active).to.equal(true);
      await agent.get('/users').set('Host', loneHost).expect(200);
    });

    it('refuses to take the level-0 role from the last active super admin', async () => {
      const res = await postForm(agent, loneHost, `/users/${me.id}`, {
        name: 'Renamed Too',
        roleIds: await roleId(lone, 'Member'),
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('no active super admin');
      const after = await reload(lone, me.id);
      expect(after?.roleNames).to.deep.equal(['Owner']);
      expect(after?.name).to.equal('Administrator');
    });

    it('does not count an invited person who has not chosen a password yet', async () => {
      await postForm(agent, loneHost, '/users', {
        name: 'Pending Owner',
        email: `${uniqueSlug('pending')}@example.test`,
        roleIds: await roleId(lone, 'Owner'),
      });
      const res = await postForm(agent, loneHost, `/users/${me.id}/activation/delete`, {});
      expect(res.status).to.equal(409);
    });

    it('allows both once another active super admin exists', async () => {
      const other = await createUser(lone, { level: 0 });
      const demoted = await postForm(agent, loneHost, `/users/${other.id}`, {
        name: 'Other',
        roleIds: await roleId(lone, 'Member'),
      });
      expect(demoted.status).to.equal(302);
      await inTenant(lone, async () => {
        await UserRole.create({ userId: other.id, roleId: await roleId(lone, 'Admin') });
      });
      const res = await postForm(agent, loneHost, `/users/${me.id}/activation/delete`, {});
      expect(res.status).to.equal(302);
      expect((await reload(lone, me.id))?.active).to.equal(false);
    });

    it('lets only one of two super admins deactivate the other when both try at once', async () => {
      const other = await createUser(lone, { level: 0 });
      const otherAgent = await signedIn(lone, other.email);
      const [a, b] = await Promise.all([
        postForm(agent, loneHost, `/users/${other.id}/activation/delete`, {}),
        postForm(otherAgent, loneHost, `/users/${me.id}/activation/delete`, {}),
      ]);
      // One wins; the other is refused by the rule, or finds its own session already ended.
      expect([a.status, b.status].filter((status) => status === 302)).to.have.length(1);
      const active = await inTenant(lone, () => User.countActiveSuperAdmins());
      expect(active).to.equal(1);
    });
  });

  describe('deactivation', () => {
    it('stops a deactivated user from signing in and ends the sessions they had open', async () => {
      const email = `${uniqueSlug('leaver')}@example.test`;
      const user = await createUser(tenant, { email, level: 4 });
      const theirSession = await signedIn(tenant, email);
      await theirSession.get('/profile').set('Host', host).expect(200);

      const res = await postForm(admin, host, `/users/${user.id}/activation/delete`, {});
      expect(res.status).to.equal(302);
      const page = await admin.get(`/users/${user.id}`).set('Host', host);
      expect(page.text).to.include('was deactivated').and.include('Deactivated');

      const after = await theirSession.get('/profile').set('Host', host);
      expect(after.status).to.equal(302);
      expect(after.headers.location).to.match(/^\/login/);
      const agent = http();
      const _csrf = await csrfToken(agent, host, '/login');
      const login = await agent
        .post('/login')
        .set('Host', host)
        .type('form')
        .send({ email, password: TEST_PASSWORD, _csrf });
      expect(login.status).to.equal(401);
    });

    it('lets a reactivated user sign in again, and records both changes', async () => {
      const email = `${uniqueSlug('back')}@example.test`;
      const user = await createUser(tenant, { email, active: false });
      const res = await postForm(admin, host, `/users/${user.id}/activation`, {});
      expect(res.status).to.equal(302);
      await signedIn(tenant, email);
      const entry = await inTenant(tenant, () =>
        AuditLog.findOne({ where: { action: 'user.reactivated', recordId: user.id } }),
      );
      expect(entry?.changes.active).to.deep.equal({ from: false, to: true });
    });
  });

  describe('bad input', () => {
    it('stores HTML and unicode as text and always shows it escaped', async () => {
      const email = `${uniqueSlug('html')}@example.test`;
      const name = '<script>alert(1)</script> Zoë 李 🙂';
      const res = await postForm(admin, host, '/users', { name, email, department: '<b>bold</b>' });
      expect(res.status).to.equal(302);
      const user = await inTenant(tenant, () => User.findOne({ where: { email } }));
      expect(user?.name).to.equal(name);
      for (const path of [
        `/users/${user?.id}`,
        `/users?q=${encodeURIComponent('Zoë 李')}`,
        `/users/${user?.id}/edit`,
      ]) {
        const page = await admin.get(path).set('Host', host).expect(200);
        expect(page.text, path).not.to.include('<script>alert(1)</script>');
        expect(page.text, path).to.include('&lt;script&gt;alert(1)&lt;/script&gt; Zoë 李 🙂');
        expect(page.text, path).not.to.include('<b>bold</b>');
      }
    });

    it('refuses over-long, multi-valued and control-character input with 422, never a 500', async () => {
      const user = await createUser(tenant, { name: 'Steady' });
      for (const body of <Record<string, string | string[]>[]>[
        { name: 'x'.repeat(5000) },
        { name: 'nul\u0000byte' },
        { name: ['two', 'names'] },
        { name: 'ok', department: 'd'.repeat(121) },
        { name: 'ok', roleIds: '99999999999999999999999' },
      ]) {
        const res = await postForm(admin, host, `/users/${user.id}`, body);
        expect(res.status, JSON.stringify(body).slice(0, 60)).to.equal(422);
      }
      const created = await postForm(admin, host, '/users', {
        name: 'x',
        email: `${'e'.repeat(300)}@x.test`,
      });
      expect(created.status).to.equal(422);
      expect((await reload(tenant, user.id))?.name).to.equal('Steady');
    });

    it('answers 404 for an id that is not a number, is too big, or does not exist', async () => {
      for (const id of ['abc', '1e3', '-1', '0', '99999999999999999999', '987654321', '%27']) {
        expect((await admin.get(`/users/${id}`).set('Host', host)).status, id).to.equal(404);
        expect((await admin.get(`/users/${id}/edit`).set('Host', host)).status, id).to.equal(404);
        expect((await postForm(admin, host, `/users/${id}/activation/delete`, {})).status, id).to.equal(404);
      }
    });
  });

  describe('tenant isolation', () => {
    it('answers 404 when an admin of tenant A asks for a user of tenant B by id', async () => {
      const other = await createTenant();
      // Each schema numbers its own users, so give B's user an id A has not reached.
      const stranger = await inTenant(other, () =>
        User.create({
          id: '900000001',
          email: 'stranger@b.test',
          name: 'Stranger In B',
          passwordHash: null,
          department: null,
        }),
      );
      for (const path of [`/users/${stranger.id}`, `/users/${stranger.id}/edit`]) {
        expect((await admin.get(path).set('Host', host)).status, path).to.equal(404);
      }
      const update = await postForm(admin, host, `/users/${stranger.id}`, { name: 'Taken over' });
      expect(update.status).to.equal(404);
      const deactivate = await postForm(admin, host, `/users/${stranger.id}/activation/delete`, {});
      expect(deactivate.status).to.equal(404);
      const list = await admin.get('/users?q=Stranger').set('Host', host);
      expect(list.text).not.to.include('Stranger In B');
      const untouched = await inTenant(other, () => User.findByPk(stranger.id));
      expect(untouched?.name).to.equal('Stranger In B');
      expect(untouched?.active).to.equal(true);
    });
  });
});
