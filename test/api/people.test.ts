import { expect } from 'chai';
import { AuditLog, Household, Member, Role, type Tenant, User, UserRole } from '../../app/models/index.ts';
import { type ApiClient, anonymousClient, apiClient, patClient } from '../support/api.ts';
import { createUser } from '../support/auth.ts';
import { adminEmail, createTenant, uniqueSlug } from '../support/factories.ts';
import { createContribution, fundNamed } from '../support/finance.ts';
import { addToGroup, createGroup, createMember, inTenant } from '../support/groups.ts';
import { mailbox } from '../support/mailbox.ts';

type Api = ApiClient;

async function adminOf(tenant: Tenant): Promise<User> {
  const admin = await inTenant(tenant, () =>
    User.findOne({ where: { email: adminEmail(tenant) }, include: [{ association: 'roles' }] }),
  );
  if (!admin) throw new Error('no admin');
  return admin;
}

/** A client acting as a new user of `level`. */
async function clientAt(tenant: Tenant, level: number): Promise<Api> {
  return apiClient(tenant, await createUser(tenant, { level }));
}

function auditOf(tenant: Tenant, action: string, recordId: string): Promise<AuditLog[]> {
  return inTenant(tenant, () => AuditLog.findAll({ where: { action, recordId }, order: [['id', 'ASC']] }));
}

function roleIdAt(tenant: Tenant, level: number): Promise<string> {
  return inTenant(tenant, async () => {
    const role = await Role.findOne({ where: { permissionLevel: level }, order: [['id', 'ASC']] });
    if (!role) throw new Error(`no role at level ${level}`);
    return String(role.id);
  });
}

let farIds = 0;
/** An id the tenant under test has not given out, so only the tenant boundary can answer for it. */
function farId(): string {
  farIds += 1;
  return String(900_000 + farIds);
}

function addHousehold(tenant: Tenant, name: string): Promise<Household> {
  return inTenant(tenant, () => Household.create({ name, address: null, phone: null }));
}

describe('People API (/api/v1)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let other: Tenant;
  let admin: User;
  let api: Api;

  before(async () => {
    // Premium: these tests invite more people than the Free plan's 3 staff accounts.
    tenant = await createTenant({ kind: 'church', plan: 'premium' });
    other = await createTenant({ kind: 'church', plan: 'premium' });
    admin = await adminOf(tenant);
    api = await apiClient(tenant, admin);
  });

  describe('the signed-in person (/users/me)', () => {
    it('tells a super admin who they are, their roles, their level and what they may do', async () => {
      const res = await api.get('/api/v1/users/me');
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: String(admin.id), email: adminEmail(tenant), permissionLevel: 0 });
      expect(res.body.roles.map((r: { permissionLevel: number }) => r.permissionLevel)).to.include(0);
      expect(res.body.capabilities).to.include.members(['users.manage', 'members.edit', 'finance.view']);
    });

    it('answers 401 without a token, and lets a read-only token read but not change', async () => {
      expect((await anonymousClient(tenant).get('/api/v1/users/me')).status).to.equal(401);
      const user = await createUser(tenant, { level: 4, name: 'Read Only' });
      const reader = await patClient(tenant, user, 'read');
      expect((await reader.get('/api/v1/users/me')).body.name).to.equal('Read Only');
      const refused = await reader.patch('/api/v1/users/me', { name: 'Written' });
      expect(refused.status).to.equal(403);
      expect((await inTenant(tenant, () => User.findByPk(user.id)))?.name).to.equal('Read Only');
    });

    it('answers a plain member too, with no capabilities', async () => {
      const member = await clientAt(tenant, 5);
      const res = await member.get('/api/v1/users/me');
      expect(res.status).to.equal(200);
      expect(res.body.permissionLevel).to.equal(5);
      expect(res.body.capabilities).to.deep.equal([]);
    });

    it('changes only the name when only the name is sent, and audits it as a profile change', async () => {
      const user = await createUser(tenant, { level: 4, name: 'Old Name' });
      const own = await apiClient(tenant, user);
      const res = await own.patch('/api/v1/users/me', { name: 'New Name' });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ name: 'New Name', email: user.email });
      const saved = await inTenant(tenant, () => User.findByPk(user.id));
      expect(saved?.name).to.equal('New Name');
      const [entry] = await auditOf(tenant, 'profile.updated', String(user.id));
      expect(entry.changes).to.deep.equal({ name: { from: 'Old Name', to: 'New Name' } });
    });

    it('refuses an e-mail another account uses, an unknown field and a stale If-Match', async () => {
      const user = await createUser(tenant, { level: 5 });
      const own = await apiClient(tenant, user);
      const taken = await own.patch('/api/v1/users/me', { email: adminEmail(tenant).toUpperCase() });
      expect(taken.status).to.equal(422);
      expect(taken.body.fields).to.have.property('email', 'is already used by another account here');
      const unknown = await own.patch('/api/v1/users/me', { permissionLevel: 0 });
      expect(unknown.status).to.equal(422);
      expect(unknown.body.fields).to.have.property('permissionLevel');
      const stale = await own.patch('/api/v1/users/me', { name: 'X' }, { 'If-Match': 'W/"not-this-one"' });
      expect(stale.status).to.equal(412);
      const saved = await inTenant(tenant, () => User.findByPk(user.id));
      expect(saved?.email).to.equal(user.email);
      expect(saved?.name).to.equal(user.name);
    });
  });

  describe('staff accounts (/users)', () => {
    it('lists with the search and status filters, and pages with limit and cursor', async () => {
      const tag = uniqueSlug('staff');
      await createUser(tenant, { name: `${tag} Alpha` });
      await createUser(tenant, { name: `${tag} Beta` });
      await createUser(tenant, { name: `${tag} Gamma`, active: false });
      const first = await api.get(`/api/v1/users?q=${tag}&limit=2`);
      expect(first.status).to.equal(200);
      expect(first.body.total).to.equal(3);
      expect(first.body.data.map((u: { name: string }) => u.name)).to.deep.equal([
        `${tag} Alpha`,
        `${tag} Beta`,
      ]);
      expect(first.body.nextCursor).to.be.a('string');
      const second = await api.get(`/api/v1/users?q=${tag}&limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.data.map((u: { name: string }) => u.name)).to.deep.equal([`${tag} Gamma`]);
      expect(second.body.nextCursor).to.equal(null);
      const inactive = await api.get(`/api/v1/users?q=${tag}&status=inactive`);
      expect(inactive.body.data.map((u: { name: string }) => u.name)).to.deep.equal([`${tag} Gamma`]);
      expect((await api.get('/api/v1/users?status=gone')).status).to.equal(422);
      expect((await api.get('/api/v1/users?cursor=forged')).status).to.equal(400);
    });

    it('shows an account, and answers 404 for an unknown id or one of another tenant', async () => {
      const someone = await createUser(tenant, { name: 'Shown Person', department: 'Choir' });
      const res = await api.get(`/api/v1/users/${someone.id}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({
        name: 'Shown Person',
        department: 'Choir',
        active: true,
        invitationPending: false,
      });
      const foreign = await inTenant(other, () =>
        User.create({
          id: farId(),
          email: `${uniqueSlug('far')}@example.test`,
          name: 'Far',
          passwordHash: null,
        }),
      );
      expect((await api.get(`/api/v1/users/${foreign.id}`)).status).to.equal(404);
      expect((await api.patch(`/api/v1/users/${foreign.id}`, { name: 'Hacked' })).status).to.equal(404);
      expect((await api.delete(`/api/v1/users/${foreign.id}/activation`)).status).to.equal(404);
      const untouched = await inTenant(other, () => User.findByPk(foreign.id));
      expect(untouched?.name).to.equal('Far');
      expect(untouched?.active).to.equal(true);
      expect((await api.get('/api/v1/users/99999999')).status).to.equal(404);
      expect((await api.get('/api/v1/users/abc')).status).to.equal(404);
    });

    it('invites a person: 201 with the account, the e-mail sent and the invitation audited', async () => {
      const email = `${uniqueSlug('invitee')}@example.test`;
      const roleId = await roleIdAt(tenant, 4);
      const res = await api.post('/api/v1/users', {
        name: 'New Staff',
        email,
        department: 'Office',
        roleIds: [roleId],
      });
      expect(res.status).to.equal(201);
      expect(res.headers.location).to.equal(`/api/v1/users/${res.body.id}`);
      expect(res.body).to.include({
        email,
        invitationPending: true,
        invitationSent: true,
        permissionLevel: 4,
      });
      expect(res.body.roles.map((r: { id: string }) => r.id)).to.deep.equal([roleId]);
      const mail = await mailbox.waitFor(email);
      expect(mail.text).to.match(/\/invitations\//);
      const [entry] = await auditOf(tenant, 'user.invited', res.body.id);
      expect(entry.actorId).to.equal(String(admin.id));
      expect(entry.changes.email).to.deep.equal({ from: null, to: email });
    });

    it('refuses a taken e-mail, bad fields, an unknown field and roles given as text, with a field map', async () => {
      const taken = await api.post('/api/v1/users', { name: 'Copy', email: adminEmail(tenant), roleIds: [] });
      expect(taken.status).to.equal(422);
      expect(taken.body.fields).to.deep.equal({ email: 'is already used by another account here' });
      const bad = await api.post('/api/v1/users', { name: '', email: 'not-an-email' });
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.keys(['name', 'email']);
      const unknown = await api.post('/api/v1/users', { name: 'A', email: 'a@example.test', password: 'x' });
      expect(unknown.status).to.equal(422);
      expect(unknown.body.fields).to.have.property('password', 'is not a field of this request');
      const text = await api.post('/api/v1/users', { name: 'A', email: 'b@example.test', roleIds: '1' });
      expect(text.status).to.equal(422);
      expect(text.body.fields).to.have.property('roleIds');
      const gone = await api.post('/api/v1/users', {
        name: 'A',
        email: 'c@example.test',
        roleIds: ['99999999'],
      });
      expect(gone.status).to.equal(422);
      expect(gone.body.fields).to.deep.equal({ roleIds: 'contains a role that no longer exists' });
      const count = await inTenant(tenant, () =>
        User.count({ where: { email: ['a@example.test', 'b@example.test', 'c@example.test'] } }),
      );
      expect(count).to.equal(0);
    });

    it('refuses an invitation past the plan with the plan-limit problem, and creates nothing', async () => {
      const small = await createTenant({ kind: 'church', plan: 'free' });
      const smallAdmin = await apiClient(small, await adminOf(small));
      await createUser(small);
      await createUser(small);
      const email = `${uniqueSlug('over')}@example.test`;
      const res = await smallAdmin.post('/api/v1/users', { name: 'One Too Many', email });
      expect(res.status).to.equal(422);
      expect(res.body.type).to.match(/plan-limit$/);
      expect(res.body.detail).to.match(/plan allows 3/);
      expect(await inTenant(small, () => User.count({ where: { email } }))).to.equal(0);
    });

    it('runs an invitation once per Idempotency-Key, and replays the first answer', async () => {
      const email = `${uniqueSlug('once')}@example.test`;
      const key = uniqueSlug('key');
      const first = await api.post('/api/v1/users', { name: 'Once', email }, { 'Idempotency-Key': key });
      const again = await api.post('/api/v1/users', { name: 'Once', email }, { 'Idempotency-Key': key });
      expect(first.status).to.equal(201);
      expect(again.status).to.equal(201);
      expect(again.body.id).to.equal(first.body.id);
      expect(await inTenant(tenant, () => User.count({ where: { email } }))).to.equal(1);
    });

    it('changes the fields sent and keeps the others; roleIds replaces the roles', async () => {
      const someone = await createUser(tenant, { level: 5, name: 'Before Patch', department: 'Youth' });
      const renamed = await api.patch(`/api/v1/users/${someone.id}`, { name: 'After Patch' });
      expect(renamed.status).to.equal(200);
      expect(renamed.body).to.include({ name: 'After Patch', department: 'Youth', permissionLevel: 5 });
      const financeRole = await roleIdAt(tenant, 2);
      const promoted = await api.patch(`/api/v1/users/${someone.id}`, { roleIds: [financeRole] });
      expect(promoted.body.permissionLevel).to.equal(2);
      expect(promoted.body.name).to.equal('After Patch');
      const holdings = await inTenant(tenant, () => UserRole.findAll({ where: { userId: someone.id } }));
      expect(holdings.map((h) => String(h.roleId))).to.deep.equal([financeRole]);
      const entries = await auditOf(tenant, 'user.updated', String(someone.id));
      expect(entries).to.have.length(2);
      expect(entries[0].changes.name).to.deep.equal({ from: 'Before Patch', to: 'After Patch' });
    });

    it('refuses a stale If-Match with 412 and changes nothing', async () => {
      const someone = await createUser(tenant, { name: 'Read Once' });
      const read = await api.get(`/api/v1/users/${someone.id}`);
      await api.patch(
        `/api/v1/users/${someone.id}`,
        { name: 'Changed Meanwhile' },
        { 'If-Match': read.headers.etag },
      );
      const stale = await api.patch(
        `/api/v1/users/${someone.id}`,
        { name: 'Lost Update' },
        { 'If-Match': read.headers.etag },
      );
      expect(stale.status).to.equal(412);
      expect((await inTenant(tenant, () => User.findByPk(someone.id)))?.name).to.equal('Changed Meanwhile');
    });

    it('refuses to take the last super admin role away, on roleIds', async () => {
      const solo = await createTenant({ kind: 'church', plan: 'premium' });
      const soloAdmin = await adminOf(solo);
      const soloApi = await apiClient(solo, soloAdmin);
      const res = await soloApi.patch(`/api/v1/users/${soloAdmin.id}`, {
        roleIds: [await roleIdAt(solo, 5)],
      });
      expect(res.status).to.equal(422);
      expect(res.body.fields.roleIds).to.match(/no active super admin/);
      const still = await inTenant(solo, () => User.findWithRoles(String(soloAdmin.id)));
      expect(still?.permissionLevel).to.equal(0);
    });

    it('deactivates and reactivates an account, audits both, and answers 409 when already so', async () => {
      const someone = await createUser(tenant, { name: 'On And Off' });
      const off = await api.delete(`/api/v1/users/${someone.id}/activation`);
      expect(off.status).to.equal(200);
      expect(off.body.active).to.equal(false);
      expect((await api.delete(`/api/v1/users/${someone.id}/activation`)).status).to.equal(409);
      const on = await api.post(`/api/v1/users/${someone.id}/activation`, {});
      expect(on.status).to.equal(200);
      expect(on.body.active).to.equal(true);
      const again = await api.post(`/api/v1/users/${someone.id}/activation`, {});
      expect(again.status).to.equal(409);
      expect(again.body.detail).to.match(/already active/);
      expect(await auditOf(tenant, 'user.deactivated', String(someone.id))).to.have.length(1);
      expect(await auditOf(tenant, 'user.reactivated', String(someone.id))).to.have.length(1);
    });

    it('refuses to deactivate the last active super admin with 409', async () => {
      const solo = await createTenant({ kind: 'church', plan: 'premium' });
      const soloAdmin = await adminOf(solo);
      const res = await (await apiClient(solo, soloAdmin)).delete(`/api/v1/users/${soloAdmin.id}/activation`);
      expect(res.status).to.equal(409);
      expect((await inTenant(solo, () => User.findByPk(soloAdmin.id)))?.active).to.equal(true);
    });

    it('sends the invitation again while it is pending, and 409 once a password is chosen', async () => {
      const email = `${uniqueSlug('again')}@example.test`;
      const invited = await api.post('/api/v1/users', { name: 'Pending Person', email });
      mailbox.clear();
      const res = await api.post(`/api/v1/users/${invited.body.id}/invitation`, {});
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ invitationSent: true });
      await mailbox.waitFor(email);
      expect(await auditOf(tenant, 'invitation.resent', invited.body.id)).to.have.length(1);
      const withPassword = await createUser(tenant);
      const refused = await api.post(`/api/v1/users/${withPassword.id}/invitation`, {});
      expect(refused.status).to.equal(409);
    });

    it('answers 403 to levels 1 to 5 on the staff endpoints', async () => {
      const target = await createUser(tenant);
      for (const level of [1, 2, 3, 4, 5]) {
        const client = await clientAt(tenant, level);
        expect((await client.get('/api/v1/users')).status, `list at ${level}`).to.equal(403);
        expect((await client.get(`/api/v1/users/${target.id}`)).status, `show at ${level}`).to.equal(403);
        const post = await client.post('/api/v1/users', {
          name: 'X',
          email: `${uniqueSlug('x')}@example.test`,
        });
        expect(post.status, `create at ${level}`).to.equal(403);
        expect((await client.patch(`/api/v1/users/${target.id}`, { name: 'Hacked' })).status).to.equal(403);
        expect((await client.delete(`/api/v1/users/${target.id}/activation`)).status).to.equal(403);
      }
      expect((await inTenant(tenant, () => User.findByPk(target.id)))?.active).to.equal(true);
    });
  });

  describe('roles (/roles)', () => {
    it('lists the roles most powerful first with their holders, and shows one', async () => {
      const res = await api.get('/api/v1/roles');
      expect(res.status).to.equal(200);
      const levels = res.body.data.map((r: { permissionLevel: number }) => r.permissionLevel);
      expect(levels).to.deep.equal([...levels].sort((a: number, b: number) => a - b));
      const top = res.body.data.find((r: { permissionLevel: number }) => r.permissionLevel === 0);
      expect(top.holders).to.be.at.least(1);
      const one = await api.get(`/api/v1/roles/${top.id}`);
      expect(one.status).to.equal(200);
      expect(one.body).to.deep.equal(top);
    });

    it('adds a role with a numeric level and audits it; refuses a taken name and a level that does not exist', async () => {
      const name = uniqueSlug('Ushers ');
      const res = await api.post('/api/v1/roles', { name, description: 'Door team', permissionLevel: 5 });
      expect(res.status).to.equal(201);
      expect(res.body).to.include({ name, description: 'Door team', permissionLevel: 5, holders: 0 });
      expect(res.headers.location).to.equal(`/api/v1/roles/${res.body.id}`);
      expect(await auditOf(tenant, 'role.created', res.body.id)).to.have.length(1);
      const taken = await api.post('/api/v1/roles', { name: name.toUpperCase(), permissionLevel: 4 });
      expect(taken.status).to.equal(422);
      expect(taken.body.fields).to.deep.equal({ name: 'is already the name of another role' });
      const level = await api.post('/api/v1/roles', { name: uniqueSlug('Odd '), permissionLevel: 7 });
      expect(level.status).to.equal(422);
      expect(level.body.fields).to.have.property('permissionLevel', 'must be one of the permission levels');
      const unknown = await api.post('/api/v1/roles', {
        name: uniqueSlug('Odd '),
        permissionLevel: 5,
        holders: 3,
      });
      expect(unknown.status).to.equal(422);
      expect(unknown.body.fields).to.have.property('holders');
    });

    it('renames a role keeping its level, refuses a stale If-Match, and keeps a super admin', async () => {
      const created = await api.post('/api/v1/roles', { name: uniqueSlug('Greeters '), permissionLevel: 4 });
      const renamed = await api.patch(`/api/v1/roles/${created.body.id}`, {
        name: `${created.body.name} Team`,
      });
      expect(renamed.status).to.equal(200);
      expect(renamed.body).to.include({ name: `${created.body.name} Team`, permissionLevel: 4 });
      const stale = await api.patch(
        `/api/v1/roles/${created.body.id}`,
        { description: 'x' },
        { 'If-Match': created.headers.etag },
      );
      expect(stale.status).to.equal(412);
      const solo = await createTenant({ kind: 'church', plan: 'premium' });
      const soloApi = await apiClient(solo, await adminOf(solo));
      const top = await roleIdAt(solo, 0);
      const demoted = await soloApi.patch(`/api/v1/roles/${top}`, { permissionLevel: 4 });
      expect(demoted.status).to.equal(422);
      expect(demoted.body.fields.permissionLevel).to.match(/no active super admin/);
      expect((await inTenant(solo, () => Role.findByPk(top)))?.permissionLevel).to.equal(0);
    });

    it('deletes a role nobody holds (audited) and refuses with 409 while somebody does', async () => {
      const unused = await api.post('/api/v1/roles', { name: uniqueSlug('Spare '), permissionLevel: 5 });
      expect((await api.delete(`/api/v1/roles/${unused.body.id}`)).status).to.equal(204);
      expect(await inTenant(tenant, () => Role.findByPk(unused.body.id))).to.equal(null);
      expect(await auditOf(tenant, 'role.deleted', unused.body.id)).to.have.length(1);
      const held = await roleIdAt(tenant, 0);
      const refused = await api.delete(`/api/v1/roles/${held}`);
      expect(refused.status).to.equal(409);
      expect(refused.body.detail).to.match(/is held by/);
      expect(await inTenant(tenant, () => Role.findByPk(held))).to.not.equal(null);
    });

    it('answers 403 below level 0 and 404 for a role of another tenant', async () => {
      const finance = await clientAt(tenant, 1);
      expect((await finance.get('/api/v1/roles')).status).to.equal(403);
      expect((await finance.post('/api/v1/roles', { name: 'Mine', permissionLevel: 0 })).status).to.equal(
        403,
      );
      expect((await api.get('/api/v1/roles/99999999')).status).to.equal(404);
      const foreign = await inTenant(other, () =>
        Role.create({ id: farId(), name: uniqueSlug('Far '), permissionLevel: 5, description: null }),
      );
      expect((await api.get(`/api/v1/roles/${foreign.id}`)).status).to.equal(404);
      expect((await api.delete(`/api/v1/roles/${foreign.id}`)).status).to.equal(404);
      expect(await inTenant(other, () => Role.findByPk(foreign.id))).to.not.equal(null);
    });
  });

  describe('the directory (/members)', () => {
    let directory: Tenant;
    let directoryApi: Api;

    before(async () => {
      directory = await createTenant({ kind: 'church', plan: 'premium' });
      directoryApi = await apiClient(directory, await adminOf(directory));
    });

    it('lists with the search, status and group filters and the sort, and pages with limit and cursor', async () => {
      const tag = uniqueSlug('fam');
      const [a, , c] = await Promise.all([
        createMember(directory, { firstName: 'Ada', lastName: `${tag}a`, status: 'member' }),
        createMember(directory, { firstName: 'Ben', lastName: `${tag}b`, status: 'visitor' }),
        createMember(directory, { firstName: 'Cy', lastName: `${tag}c`, status: 'member' }),
      ]);
      const group = await createGroup(directory);
      await addToGroup(directory, group, a);
      await addToGroup(directory, group, c);
      const names = (res: { body: { data: { firstName: string }[] } }) =>
        res.body.data.map((m) => m.firstName);
      const page1 = await directoryApi.get(`/api/v1/members?q=${tag}&limit=2`);
      expect(page1.status).to.equal(200);
      expect(names(page1)).to.deep.equal(['Ada', 'Ben']);
      expect(page1.body.total).to.equal(3);
      const page2 = await directoryApi.get(
        `/api/v1/members?q=${tag}&limit=2&cursor=${page1.body.nextCursor}`,
      );
      expect(names(page2)).to.deep.equal(['Cy']);
      expect(page2.body.nextCursor).to.equal(null);
      expect(names(await directoryApi.get(`/api/v1/members?q=${tag}&status=visitor`))).to.deep.equal(['Ben']);
      expect(names(await directoryApi.get(`/api/v1/members?group=${group.id}`))).to.deep.equal(['Ada', 'Cy']);
      expect(names(await directoryApi.get(`/api/v1/members?q=${tag}&sort=name&dir=desc`))).to.deep.equal([
        'Cy',
        'Ben',
        'Ada',
      ]);
      expect(page1.body.data[0]).to.deep.include({ id: String(a.id), status: 'member', household: null });
      expect((await directoryApi.get('/api/v1/members?sort=age')).status).to.equal(422);
    });

    it('shows notes to levels 0 to 4, giving only to finance viewers, and refuses level 5', async () => {
      const person = await createMember(directory, { firstName: 'Noted' });
      await inTenant(directory, () =>
        Member.update({ notes: 'Pastoral note' }, { where: { id: person.id } }),
      );
      const fundId = await fundNamed(directory, 'Tithe');
      const year = new Date().getUTCFullYear();
      await createContribution(directory, {
        fundId,
        amountCents: '12345',
        receivedOn: `${year}-01-02`,
        memberId: person.id,
      });
      const asAdmin = await directoryApi.get(`/api/v1/members/${person.id}`);
      expect(asAdmin.status).to.equal(200);
      expect(asAdmin.body.notes).to.equal('Pastoral note');
      expect(asAdmin.body.giving.totalCents).to.equal(12345);
      expect(asAdmin.body.giving.latest[0]).to.deep.include({
        amountCents: 12345,
        fund: { id: fundId, name: 'Tithe' },
      });
      const financeViewer = await (await clientAt(directory, 2)).get(`/api/v1/members/${person.id}`);
      expect(financeViewer.body.giving.totalCents).to.equal(12345);
      const stats = await (await clientAt(directory, 3)).get(`/api/v1/members/${person.id}`);
      expect(stats.status).to.equal(200);
      expect(stats.body).to.not.have.property('giving');
      expect(stats.body.notes).to.equal('Pastoral note');
      const viewer = await (await clientAt(directory, 4)).get(`/api/v1/members/${person.id}`);
      expect(viewer.body).to.not.have.property('giving');
      expect(viewer.body.notes).to.equal('Pastoral note');
      const plain = await clientAt(directory, 5);
      expect((await plain.get(`/api/v1/members/${person.id}`)).status).to.equal(403);
      expect((await plain.get('/api/v1/members')).status).to.equal(403);
    });

    it('shows the household, its other people and the groups with their roles', async () => {
      const household = await addHousehold(directory, uniqueSlug('House '));
      const [one, two] = await Promise.all([
        createMember(directory, { firstName: 'One' }),
        createMember(directory, { firstName: 'Two' }),
      ]);
      await inTenant(directory, () =>
        Member.update({ householdId: household.id }, { where: { id: [one.id, two.id] } }),
      );
      const group = await createGroup(directory, { name: uniqueSlug('Choir ') });
      await addToGroup(directory, group, one, 'leader');
      const res = await directoryApi.get(`/api/v1/members/${one.id}`);
      expect(res.body.household).to.deep.equal({ id: String(household.id), name: household.name });
      expect(res.body.householdMates.map((m: { id: string }) => m.id)).to.deep.equal([String(two.id)]);
      expect(res.body.groups).to.deep.equal([{ id: String(group.id), name: group.name, role: 'leader' }]);
    });

    it('adds a person: 201, lower-cased e-mail, household linked, audited', async () => {
      const household = await addHousehold(directory, uniqueSlug('Home '));
      const email = `${uniqueSlug('Grace')}@Example.TEST`;
      const res = await directoryApi.post('/api/v1/members', {
        firstName: 'Grace',
        lastName: 'Hopper',
        email,
        status: 'member',
        birthDate: '1906-12-09',
        householdId: String(household.id),
      });
      expect(res.status).to.equal(201);
      expect(res.headers.location).to.equal(`/api/v1/members/${res.body.id}`);
      expect(res.body).to.deep.include({
        email: email.toLowerCase(),
        birthDate: '1906-12-09',
        household: { id: String(household.id), name: household.name },
      });
      const saved = await inTenant(directory, () => Member.findByPk(res.body.id));
      expect(saved?.householdId).to.equal(String(household.id));
      const [entry] = await auditOf(directory, 'member.created', res.body.id);
      expect(entry.changes.lastName).to.deep.equal({ from: null, to: 'Hopper' });
    });

    it('refuses bad input with a field map, an unknown field, and an e-mail already in the directory', async () => {
      const bad = await directoryApi.post('/api/v1/members', {
        firstName: '',
        lastName: 'X',
        status: 'boss',
        birthDate: '2999-01-01',
      });
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.keys(['firstName', 'status', 'birthDate']);
      const unknown = await directoryApi.post('/api/v1/members', {
        firstName: 'A',
        lastName: 'B',
        status: 'member',
        shoeSize: '9',
      });
      expect(unknown.status).to.equal(422);
      expect(unknown.body.fields).to.deep.equal({ shoeSize: 'is not a field of this request' });
      const array = await directoryApi.post('/api/v1/members', [{ firstName: 'A' }]);
      expect(array.status).to.equal(422);
      const email = `${uniqueSlug('dup')}@example.test`;
      await createMember(directory, { email });
      const dup = await directoryApi.post('/api/v1/members', {
        firstName: 'A',
        lastName: 'B',
        status: 'member',
        email: email.toUpperCase(),
      });
      expect(dup.status).to.equal(422);
      expect(dup.body.fields).to.deep.equal({ email: 'is already used by someone in the directory' });
      const gone = await directoryApi.post('/api/v1/members', {
        firstName: 'A',
        lastName: 'B',
        status: 'member',
        householdId: '99999999',
      });
      expect(gone.body.fields).to.deep.equal({ householdId: 'no longer exists' });
    });

    it('adds one person when several requests race with one e-mail, the others get the field message', async () => {
      const email = `${uniqueSlug('race')}@example.test`;
      const body = { firstName: 'Race', lastName: 'Twin', status: 'member', email };
      // Distinct keys: each request runs in its own transaction, where a refused insert must not
      // leave the transaction unusable for the message that explains it.
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          directoryApi.post('/api/v1/members', body, { 'Idempotency-Key': uniqueSlug('k') }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).to.deep.equal([201, 422, 422, 422, 422, 422]);
      for (const refused of results.filter((r) => r.status === 422))
        expect(refused.body.fields).to.deep.equal({ email: 'is already used by someone in the directory' });
      expect(await inTenant(directory, () => Member.count({ where: { email } }))).to.equal(1);
    });

    it('changes only the fields sent, empties a field sent as "", audits before and after', async () => {
      const household = await addHousehold(directory, uniqueSlug('Patch '));
      const created = await directoryApi.post('/api/v1/members', {
        firstName: 'Pat',
        lastName: 'Partial',
        status: 'visitor',
        phone: '555 0100',
        householdId: String(household.id),
      });
      const res = await directoryApi.patch(`/api/v1/members/${created.body.id}`, {
        status: 'member',
        householdId: '',
      });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({
        firstName: 'Pat',
        lastName: 'Partial',
        phone: '555 0100',
        status: 'member',
      });
      expect(res.body.household).to.equal(null);
      const [entry] = await auditOf(directory, 'member.updated', created.body.id);
      expect(entry.changes).to.deep.equal({
        status: { from: 'visitor', to: 'member' },
        householdId: { from: String(household.id), to: null },
      });
      const bad = await directoryApi.patch(`/api/v1/members/${created.body.id}`, { lastName: '' });
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.property('lastName', 'is required');
    });

    it('refuses a stale If-Match with 412 and keeps the change made meanwhile', async () => {
      const person = await createMember(directory, { firstName: 'Etag' });
      const read = await directoryApi.get(`/api/v1/members/${person.id}`);
      const fresh = await directoryApi.patch(
        `/api/v1/members/${person.id}`,
        { phone: '1' },
        { 'If-Match': read.headers.etag },
      );
      expect(fresh.status).to.equal(200);
      const stale = await directoryApi.patch(
        `/api/v1/members/${person.id}`,
        { phone: '2' },
        { 'If-Match': read.headers.etag },
      );
      expect(stale.status).to.equal(412);
      const staleDelete = await directoryApi.delete(`/api/v1/members/${person.id}`, {
        'If-Match': read.headers.etag,
      });
      expect(staleDelete.status).to.equal(412);
      expect((await inTenant(directory, () => Member.findByPk(person.id)))?.phone).to.equal('1');
    });

    it('deletes a person with their group places, audits it, then answers 404', async () => {
      const person = await createMember(directory, { firstName: 'Leaving' });
      await addToGroup(directory, await createGroup(directory), person);
      const res = await directoryApi.delete(`/api/v1/members/${person.id}`);
      expect(res.status).to.equal(204);
      expect(await inTenant(directory, () => Member.findByPk(person.id))).to.equal(null);
      expect(await auditOf(directory, 'member.deleted', String(person.id))).to.have.length(1);
      expect((await directoryApi.get(`/api/v1/members/${person.id}`)).status).to.equal(404);
    });

    it('refuses changes below level 0 and answers 404 for a person of another tenant', async () => {
      const person = await createMember(directory, { firstName: 'Guarded' });
      const viewer = await clientAt(directory, 4);
      expect(
        (await viewer.post('/api/v1/members', { firstName: 'A', lastName: 'B', status: 'member' })).status,
      ).to.equal(403);
      expect((await viewer.patch(`/api/v1/members/${person.id}`, { firstName: 'Hacked' })).status).to.equal(
        403,
      );
      expect((await viewer.delete(`/api/v1/members/${person.id}`)).status).to.equal(403);
      const foreign = await inTenant(other, () =>
        Member.create({
          id: farId(),
          firstName: 'Elsewhere',
          lastName: 'Person',
          email: null,
          phone: null,
          address: null,
          birthDate: null,
          joinedOn: null,
          notes: null,
          householdId: null,
          userId: null,
        }),
      );
      expect((await directoryApi.get(`/api/v1/members/${foreign.id}`)).status).to.equal(404);
      expect(
        (await directoryApi.patch(`/api/v1/members/${foreign.id}`, { firstName: 'Hacked' })).status,
      ).to.equal(404);
      expect((await directoryApi.delete(`/api/v1/members/${foreign.id}`)).status).to.equal(404);
      expect((await inTenant(other, () => Member.findByPk(foreign.id)))?.firstName).to.equal('Elsewhere');
      expect((await inTenant(directory, () => Member.findByPk(person.id)))?.firstName).to.equal('Guarded');
    });
  });

  describe('households (/households)', () => {
    let homes: Tenant;
    let homesApi: Api;

    before(async () => {
      homes = await createTenant({ kind: 'church', plan: 'premium' });
      homesApi = await apiClient(homes, await adminOf(homes));
    });

    it('lists by name with their sizes, searches and pages', async () => {
      const tag = uniqueSlug('clan');
      const [a] = await Promise.all([
        addHousehold(homes, `${tag} A`),
        addHousehold(homes, `${tag} B`),
        addHousehold(homes, `${tag} C`),
      ]);
      const person = await createMember(homes);
      await inTenant(homes, () => Member.update({ householdId: a.id }, { where: { id: person.id } }));
      const first = await homesApi.get(`/api/v1/households?q=${tag}&limit=2`);
      expect(first.status).to.equal(200);
      expect(first.body.total).to.equal(3);
      expect(first.body.data.map((h: { name: string; size: number }) => [h.name, h.size])).to.deep.equal([
        [`${tag} A`, 1],
        [`${tag} B`, 0],
      ]);
      const second = await homesApi.get(
        `/api/v1/households?q=${tag}&limit=2&cursor=${first.body.nextCursor}`,
      );
      expect(second.body.data.map((h: { name: string }) => h.name)).to.deep.equal([`${tag} C`]);
    });

    it('shows a household with its people; 404 for another tenant', async () => {
      const household = await addHousehold(homes, uniqueSlug('Shown '));
      const person = await createMember(homes, { firstName: 'Resident' });
      await inTenant(homes, () => Member.update({ householdId: household.id }, { where: { id: person.id } }));
      const res = await homesApi.get(`/api/v1/households/${household.id}`);
      expect(res.status).to.equal(200);
      expect(res.body.people).to.deep.equal([
        { id: String(person.id), firstName: 'Resident', lastName: person.lastName, status: 'member' },
      ]);
      const foreign = await inTenant(other, () =>
        Household.create({ id: farId(), name: 'Foreign House', address: null, phone: null }),
      );
      expect((await homesApi.get(`/api/v1/households/${foreign.id}`)).status).to.equal(404);
      expect((await homesApi.delete(`/api/v1/households/${foreign.id}`)).status).to.equal(404);
      expect(await inTenant(other, () => Household.findByPk(foreign.id))).to.not.equal(null);
    });

    it('adds, changes and deletes a household, auditing each, and keeps its people', async () => {
      const created = await homesApi.post('/api/v1/households', { name: 'The Smiths', phone: '555 0199' });
      expect(created.status).to.equal(201);
      expect(created.body).to.include({ name: 'The Smiths', phone: '555 0199', address: null, size: 0 });
      expect(await auditOf(homes, 'household.created', created.body.id)).to.have.length(1);
      const changed = await homesApi.patch(`/api/v1/households/${created.body.id}`, { address: '1 Main St' });
      expect(changed.status).to.equal(200);
      expect(changed.body).to.include({ name: 'The Smiths', phone: '555 0199', address: '1 Main St' });
      const [entry] = await auditOf(homes, 'household.updated', created.body.id);
      expect(entry.changes).to.deep.equal({ address: { from: null, to: '1 Main St' } });
      const person = await createMember(homes);
      await inTenant(homes, () =>
        Member.update({ householdId: created.body.id }, { where: { id: person.id } }),
      );
      const stale = await homesApi.delete(`/api/v1/households/${created.body.id}`, {
        'If-Match': changed.headers.etag,
      });
      expect(stale.status).to.equal(412);
      expect((await homesApi.delete(`/api/v1/households/${created.body.id}`)).status).to.equal(204);
      expect(await inTenant(homes, () => Household.findByPk(created.body.id))).to.equal(null);
      expect((await inTenant(homes, () => Member.findByPk(person.id)))?.householdId).to.equal(null);
      expect(await auditOf(homes, 'household.deleted', created.body.id)).to.have.length(1);
    });

    it('refuses a missing name and an unknown field with 422, and changes below level 0 with 403', async () => {
      const missing = await homesApi.post('/api/v1/households', { phone: '1' });
      expect(missing.status).to.equal(422);
      expect(missing.body.fields).to.have.keys(['name']);
      const unknown = await homesApi.post('/api/v1/households', { name: 'A', members: [] });
      expect(unknown.body.fields).to.deep.equal({ members: 'is not a field of this request' });
      const viewer = await clientAt(homes, 4);
      expect((await viewer.get('/api/v1/households')).status).to.equal(200);
      expect((await viewer.post('/api/v1/households', { name: 'Mine' })).status).to.equal(403);
      expect((await (await clientAt(homes, 5)).get('/api/v1/households')).status).to.equal(403);
    });
  });
});
