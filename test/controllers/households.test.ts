import { expect } from 'chai';
import type supertest from 'supertest';
import { AuditLog, Household, Member, type Tenant } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

function addHousehold(tenant: Tenant, name: string): Promise<Household> {
  return inTenant(tenant, () => Household.create({ name, address: '5 Elm Street', phone: '555 0101' }));
}

function addMember(tenant: Tenant, firstName: string, householdId: string | null): Promise<Member> {
  return inTenant(tenant, () =>
    Member.create({
      firstName,
      lastName: 'Family',
      email: null,
      phone: null,
      address: null,
      birthDate: null,
      joinedOn: null,
      notes: null,
      householdId,
      userId: null,
    }),
  );
}

function auditOf(tenant: Tenant, action: string, recordId: string): Promise<AuditLog[]> {
  return inTenant(tenant, () => AuditLog.findAll({ where: { action, recordType: 'household', recordId } }));
}

describe('households (/households)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
  });

  it('lists households by name with how many people each has, and searches them', async () => {
    const oaks = await addHousehold(tenant, 'The Oaks');
    await addHousehold(tenant, 'The Birches');
    await addMember(tenant, 'Olive', oaks.id);
    await addMember(tenant, 'Oscar', oaks.id);
    const res = await admin.get('/households').set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.text.indexOf('The Birches')).to.be.lessThan(res.text.indexOf('The Oaks'));
    expect(res.text).to.match(
      new RegExp(`href="/households/${oaks.id}">The Oaks</a></td>[\\s\\S]*?<td class="text-end">2</td>`),
    );
    const found = await admin.get('/households?q=oak').set('Host', host);
    expect(found.text).to.include('The Oaks');
    expect(found.text).not.to.include('The Birches');
  });

  it('adds a household, audits it, and answers 422 with the input kept when the name is missing', async () => {
    const bad = await postForm(
      admin,
      host,
      '/households',
      { name: '  ', address: 'Kept Address', phone: '' },
      '/households/new',
    );
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('value="Kept Address"');
    expect(bad.text).to.include('is required');
    const res = await postForm(
      admin,
      host,
      '/households',
      { name: 'The Pines', address: '', phone: '555 0199' },
      '/households/new',
    );
    expect(res.status).to.equal(302);
    const id = res.headers.location.split('/').pop() ?? '';
    const saved = await inTenant(tenant, () => Household.findByPk(id));
    expect(saved).to.include({ name: 'The Pines', address: null, phone: '555 0199' });
    const [entry] = await auditOf(tenant, 'household.created', id);
    expect(entry.changes.name).to.deep.equal({ from: null, to: 'The Pines' });
  });

  it('shows its people and a link that adds someone to it', async () => {
    const home = await addHousehold(tenant, 'The Elms');
    const member = await addMember(tenant, 'Ella', home.id);
    const res = await admin.get(`/households/${home.id}`).set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.text).to.include(`href="/members/${member.id}">Ella Family</a>`);
    expect(res.text).to.include(`href="/members/new?householdId=${home.id}"`);
  });

  it("moves a person into a household from the person's form", async () => {
    const home = await addHousehold(tenant, 'The Willows');
    const member = await addMember(tenant, 'Wanda', null);
    const res = await postForm(
      admin,
      host,
      `/members/${member.id}`,
      { firstName: 'Wanda', lastName: 'Family', status: 'visitor', householdId: home.id },
      `/members/${member.id}/edit`,
    );
    expect(res.status).to.equal(302);
    const moved = await inTenant(tenant, () => Member.findByPk(member.id));
    expect(String(moved?.householdId)).to.equal(String(home.id));
    const page = await admin.get(`/households/${home.id}`).set('Host', host);
    expect(page.text).to.include('Wanda Family');
    const gone = await postForm(
      admin,
      host,
      `/members/${member.id}`,
      { firstName: 'Wanda', lastName: 'Family', status: 'visitor', householdId: '987654321' },
      `/members/${member.id}/edit`,
    );
    expect(gone.status).to.equal(422);
    expect(gone.text).to.include('no longer exists');
  });

  it('edits a household and records before and after', async () => {
    const home = await addHousehold(tenant, 'Old Name');
    const edit = await admin.get(`/households/${home.id}/edit`).set('Host', host);
    expect(edit.text).to.include('value="Old Name"');
    const bad = await postForm(
      admin,
      host,
      `/households/${home.id}`,
      { name: 'x'.repeat(121) },
      `/households/${home.id}/edit`,
    );
    expect(bad.status).to.equal(422);
    expect(bad.text).to.include('must be at most 120 characters');
    const res = await postForm(
      admin,
      host,
      `/households/${home.id}`,
      { name: 'New Name', address: '5 Elm Street', phone: '555 0101' },
      `/households/${home.id}/edit`,
    );
    expect(res.status).to.equal(302);
    expect((await inTenant(tenant, () => Household.findByPk(home.id)))?.name).to.equal('New Name');
    const [entry] = await auditOf(tenant, 'household.updated', home.id);
    expect(entry.changes).to.deep.equal({ name: { from: 'Old Name', to: 'New Name' } });
  });

  it('deletes a household and keeps its people, without a household', async () => {
    const home = await addHousehold(tenant, 'Short Lived');
    const a = await addMember(tenant, 'Kept', home.id);
    const res = await postForm(admin, host, `/households/${home.id}/delete`, {}, `/households/${home.id}`);
    expect(res.status).to.equal(302);
    expect(await inTenant(tenant, () => Household.findByPk(home.id))).to.equal(null);
    const kept = await inTenant(tenant, () => Member.findByPk(a.id));
    expect(kept?.householdId).to.equal(null);
    const [entry] = await auditOf(tenant, 'household.deleted', home.id);
    expect(entry.changes.members).to.deep.equal({ from: ['Kept Family'], to: null });
  });

  it("answers 404 for malformed, unknown and other tenants' households", async () => {
    const other = await createTenant({ kind: 'church' });
    const foreign = await inTenant(other, () =>
      Household.create({ id: '900000', name: 'Foreign Home', address: null, phone: null }),
    );
    for (const id of ['abc', '0', '99999999999999999999', foreign.id]) {
      for (const path of [`/households/${id}`, `/households/${id}/edit`]) {
        const res = await admin.get(path).set('Host', host);
        expect(res.status, path).to.equal(404);
        expect(res.text).not.to.include('Foreign Home');
      }
    }
    const del = await postForm(admin, host, `/households/${foreign.id}/delete`, {});
    expect(del.status).to.equal(404);
    expect(await inTenant(other, () => Household.findByPk(foreign.id))).to.not.equal(null);
  });

  it('lets member viewers read households without changing them, and refuses plain members', async () => {
    const home = await addHousehold(tenant, 'Read Only');
    await createUser(tenant, { level: 4, email: 'viewer@households.test' });
    await createUser(tenant, { level: 5, email: 'plain@households.test' });
    const viewer = await signedIn(tenant, 'viewer@households.test');
    const page = await viewer.get(`/households/${home.id}`).set('Host', host);
    expect(page.status).to.equal(200);
    expect(page.text).not.to.include(`/households/${home.id}/edit`);
    const _csrf = await csrfToken(viewer, host, '/');
    const res = await viewer
      .post(`/households/${home.id}`)
      .set('Host', host)
      .type('form')
      .send({ _csrf, name: 'Changed' });
    expect(res.status).to.equal(403);
    expect((await inTenant(tenant, () => Household.findByPk(home.id)))?.name).to.equal('Read Only');
    const plain = await signedIn(tenant, 'plain@households.test');
    expect((await plain.get('/households').set('Host', host)).status).to.equal(403);
  });
});
