import { expect } from 'chai';
import type supertest from 'supertest';
import { AuditLog, Role, type Tenant } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

function roleNamed(tenant: Tenant, name: string): Promise<Role | null> {
  return inTenant(tenant, () => Role.findOne({ where: { name } }));
}

async function idOf(tenant: Tenant, name: string): Promise<string> {
  const role = await roleNamed(tenant, name);
  if (!role) throw new Error(`no role ${name}`);
  return String(role.id);
}

describe('roles (/roles)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
  });

  it('lets a super admin open the list, the new form and an edit form', async () => {
    const id = await idOf(tenant, 'Treasurer');
    for (const path of ['/roles', '/roles/new', `/roles/${id}/edit`]) {
      expect((await admin.get(path).set('Host', host)).status, path).to.equal(200);
    }
  });

  it('answers 403 to levels 1 to 5 and sends an anonymous visitor to sign in', async () => {
    const id = await idOf(tenant, 'Board');
    for (const level of [1, 2, 3, 4, 5]) {
      const email = `roles-level${level}@example.test`;
      await createUser(tenant, { level, email });
      const agent = await signedIn(tenant, email);
      const _csrf = await csrfToken(agent, host, '/');
      for (const path of ['/roles', '/roles/new', `/roles/${id}/edit`]) {
        expect((await agent.get(path).set('Host', host)).status, `${path} level ${level}`).to.equal(403);
      }
      for (const path of ['/roles', `/roles/${id}`, `/roles/${id}/delete`]) {
        const res = await agent
          .post(path)
          .set('Host', host)
          .type('form')
          .send({ _csrf, name: 'X', permissionLevel: '0' });
        expect(res.status, `POST ${path} level ${level}`).to.equal(403);
      }
    }
    expect((await roleNamed(tenant, 'Board'))?.permissionLevel).to.equal(3);
    const anonymous = await http().get('/roles').set('Host', host);
    expect(anonymous.status).to.equal(302);
    expect(anonymous.headers.location).to.equal('/login?next=%2Froles');
  });

  it('lists every role with its level and how many people hold it', async () => {
    await createUser(tenant, { level: 1 });
    await createUser(tenant, { level: 1 });
    const res = await admin.get('/roles').set('Host', host).expect(200);
    expect(res.text).to.include('Treasurer');
    expect(res.text).to.include('Finance admin: can view and edit finances');
    const row = res.text.slice(res.text.indexOf('>Treasurer<'));
    const holders = await inTenant(tenant, async () =>
      (await Role.findOne({ where: { name: 'Treasurer' } }))?.holderCount(),
    );
    expect(holders).to.be.at.least(2);
    expect(row).to.match(new RegExp(`<td class="text-end">${holders}</td>`));
  });

  it('adds a role, and records it in the audit log', async () => {
    const res = await postForm(admin, host, '/roles', {
      name: 'Deacons',
      description: 'Serve on Sundays',
      permissionLevel: '4',
    });
    expect(res.status).to.equal(302);
    const role = await roleNamed(tenant, 'Deacons');
    expect(role?.permissionLevel).to.equal(4);
    expect(role?.description).to.equal('Serve on Sundays');
    const entry = await inTenant(tenant, () =>
      AuditLog.findOne({ where: { action: 'role.created', recordId: role?.id } }),
    );
    expect(entry?.changes.permissionLevel).to.deep.equal({ from: null, to: 4 });
  });

  it('offers the six fixed levels with their labels, and refuses any other', async () => {
    const form = await admin.get('/roles/new').set('Host', host);
    for (const label of ['0: Super admin', '3: Finance stats viewer', '5: Member'])
      expect(form.text).to.include(label);
    for (const permissionLevel of ['6', '-1', '', '0.5', 'admin']) {
      const res = await postForm(admin, host, '/roles', { name: `Odd ${permissionLevel}`, permissionLevel });
      expect(res.status, permissionLevel).to.equal(422);
      expect(res.text).to.include('must be one of the permission levels');
    }
  });

  it('refuses a name another role has, whatever its case, with a field message', async () => {
    const res = await postForm(admin, host, '/roles', { name: 'treasurer', permissionLevel: '2' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('is already the name of another role');
    expect(res.text).to.include('value="treasurer"');
    const id = await idOf(tenant, 'Staff');
    const rename = await postForm(admin, host, `/roles/${id}`, { name: 'Board', permissionLevel: '4' });
    expect(rename.status).to.equal(422);
    expect((await roleNamed(tenant, 'Staff'))?.permissionLevel).to.equal(4);
  });

  it('renames a role and changes its description and level', async () => {
    await postForm(admin, host, '/roles', { name: 'Ushers', permissionLevel: '5' });
    const id = await idOf(tenant, 'Ushers');
    const res = await postForm(admin, host, `/roles/${id}`, {
      name: 'Welcome team',
      description: 'At the door',
      permissionLevel: '4',
    });
    expect(res.status).to.equal(302);
    const role = await inTenant(tenant, () => Role.findByPk(id));
    expect([role?.name, role?.description, role?.permissionLevel]).to.deep.equal([
      'Welcome team',
      'At the door',
      4,
    ]);
    const entry = await inTenant(tenant, () =>
      AuditLog.findOne({ where: { action: 'role.updated', recordId: id } }),
    );
    expect(entry?.changes).to.deep.include({ name: { from: 'Ushers', to: 'Welcome team' } });
  });

  it('refuses to move the only super admin role to another level when that leaves no super admin', async () => {
    const lone = await createTenant({ kind: 'church' });
    const agent = await signedIn(lone, `admin@${lone.slug}.test`);
    const id = await idOf(lone, 'Pastor / Administrator');
    const res = await postForm(agent, hostOf(lone), `/roles/${id}`, {
      name: 'Pastor / Administrator',
      permissionLevel: '1',
    });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('no active super admin');
    expect((await inTenant(lone, () => Role.findByPk(id)))?.permissionLevel).to.equal(0);
    const rename = await postForm(agent, hostOf(lone), `/roles/${id}`, {
      name: 'Lead pastor',
      permissionLevel: '0',
    });
    expect(rename.status).to.equal(302);
  });

  it('deletes a role nobody holds, and refuses while somebody does', async () => {
    await postForm(admin, host, '/roles', { name: 'Short-lived', permissionLevel: '5' });
    const unused = await idOf(tenant, 'Short-lived');
    const used = await idOf(tenant, 'Treasurer');
    const refused = await postForm(admin, host, `/roles/${used}/delete`, {});
    expect(refused.status).to.equal(409);
    expect(refused.text).to.match(/is held by \d+ (person|people)/);
    expect(await roleNamed(tenant, 'Treasurer')).not.to.equal(null);
    const res = await postForm(admin, host, `/roles/${unused}/delete`, {});
    expect(res.status).to.equal(302);
    expect(await roleNamed(tenant, 'Short-lived')).to.equal(null);
    const entry = await inTenant(tenant, () =>
      AuditLog.findOne({ where: { action: 'role.deleted', recordId: unused } }),
    );
    expect(entry?.changes.name).to.deep.equal({ from: 'Short-lived', to: null });
  });

  it('shows HTML in a role name escaped, and refuses over-long or control-character input', async () => {
    const res = await postForm(admin, host, '/roles', {
      name: '<img src=x onerror=alert(1)>',
      permissionLevel: '5',
    });
    expect(res.status).to.equal(302);
    const list = await admin.get('/roles').set('Host', host);
    expect(list.text).not.to.include('<img src=x');
    expect(list.text).to.include('&lt;img src=x onerror=alert(1)&gt;');
    for (const body of <Record<string, string | string[]>[]>[
      { name: 'r'.repeat(61), permissionLevel: '5' },
      { name: 'ok', description: 'd'.repeat(256), permissionLevel: '5' },
      { name: 'tab\tname', permissionLevel: '5' },
      { name: '', permissionLevel: '5' },
      {},
    ]) {
      const bad = await postForm(admin, host, '/roles', body);
      expect(bad.status, JSON.stringify(body).slice(0, 40)).to.equal(422);
    }
  });

  it('answers 404 for a role id that is not a number, too big, or of another tenant', async () => {
    const other = await createTenant();
    const foreign = await inTenant(other, () =>
      Role.create({ id: '800000001', name: 'Foreign', permissionLevel: 5, description: null }),
    );
    for (const id of ['abc', '99999999999999999999', foreign.id]) {
      expect((await admin.get(`/roles/${id}/edit`).set('Host', host)).status, id).to.equal(404);
      expect((await postForm(admin, host, `/roles/${id}/delete`, {})).status, id).to.equal(404);
    }
    expect(await inTenant(other, () => Role.findByPk(foreign.id))).not.to.equal(null);
  });
});
