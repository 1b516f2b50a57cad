import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type supertest from 'supertest';
import { type Group, Household, Member, type Tenant } from '../../app/models/index.ts';
import { neutralise } from '../../app/services/members-csv.ts';
import { createUser, signedIn } from '../support/auth.ts';
import { adminEmail, createTenant, hostOf } from '../support/factories.ts';
import { addToGroup, createGroup, inTenant } from '../support/groups.ts';

function addMember(tenant: Tenant, fields: Partial<Parameters<typeof Member.create>[0]>): Promise<Member> {
  return inTenant(tenant, () =>
    Member.create({
      firstName: 'Some',
      lastName: 'One',
      email: null,
      phone: null,
      address: null,
      birthDate: null,
      joinedOn: null,
      notes: null,
      householdId: null,
      userId: null,
      ...fields,
    }),
  );
}

const HEADER = 'first_name,last_name,email,phone,address,birth_date,status,joined_on,household';
const today = () => new Date().toISOString().slice(0, 10);

/** The download's rows, header first, read back with a real CSV parser. */
function rowsOf(res: supertest.Response): string[][] {
  return parse(res.text, { bom: true });
}

describe('members CSV export (/members/export.csv)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;
  let group: Group;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, adminEmail(tenant));
    const home = await inTenant(tenant, () =>
      Household.create({ name: 'Smith, "the" family', address: null, phone: null }),
    );
    const alice = await addMember(tenant, {
      firstName: 'Alice',
      lastName: 'Smith',
      email: 'alice@export.test',
      phone: '+1 555 0100',
      address: 'Line 1\nLine 2',
      birthDate: '1980-05-06',
      status: 'member',
      joinedOn: '2015-09-01',
      notes: 'NEVER-EXPORTED-NOTE',
      householdId: home.id,
    });
    await addMember(tenant, { firstName: '=HYPERLINK("http://x","y")', lastName: 'Evil', status: 'visitor' });
    await addMember(tenant, {
      firstName: '@SUM(1)',
      lastName: '-2+3',
      address: '\tTabbed',
      status: 'visitor',
    });
    for (let i = 0; i < 60; i += 1) {
      await addMember(tenant, {
        firstName: `R${String(i).padStart(2, '0')}`,
        lastName: 'Regular',
        status: 'regular',
      });
    }
    group = await createGroup(tenant, { name: 'Export group' });
    await addToGroup(tenant, group, alice);
  });

  it('downloads every matching person, not one page, as a dated attachment', async () => {
    const res = await admin.get('/members/export.csv').set('Host', host).buffer(true);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).to.equal(
      `attachment; filename="members-${today()}.csv"; filename*=UTF-8''members-${today()}.csv`,
    );
    expect(res.text.startsWith(`\ufeff${HEADER}\r\n`)).to.equal(true);
    const rows = rowsOf(res);
    expect(rows[0].join(',')).to.equal(HEADER);
    expect(rows).to.have.length(1 + 63);
    const alice = rows.find((r) => r[0] === 'Alice');
    expect(alice).to.deep.equal([
      'Alice',
      'Smith',
      'alice@export.test',
      "'+1 555 0100",
      'Line 1\nLine 2',
      '1980-05-06',
      'member',
      '2015-09-01',
      'Smith, "the" family',
    ]);
    expect(res.text).not.to.include('NEVER-EXPORTED-NOTE');
  });

  it('applies the list filter: status, search and group', async () => {
    const regular = rowsOf(
      await admin.get('/members/export.csv?status=regular').set('Host', host).buffer(true),
    );
    expect(regular).to.have.length(1 + 60);
    expect(regular.slice(1).every((r) => r[6] === 'regular')).to.equal(true);
    const searched = rowsOf(await admin.get('/members/export.csv?q=alice%40').set('Host', host).buffer(true));
    expect(searched.slice(1).map((r) => r[0])).to.deep.equal(['Alice']);
    const grouped = rowsOf(
      await admin.get(`/members/export.csv?group=${group.id}`).set('Host', host).buffer(true),
    );
    expect(grouped.slice(1).map((r) => r[0])).to.deep.equal(['Alice']);
    const sorted = rowsOf(
      await admin.get('/members/export.csv?status=regular&sort=name&dir=desc').set('Host', host).buffer(true),
    );
    expect(sorted[1][0]).to.equal('R59');
  });

  it('neutralises cells a spreadsheet would run as formulas', async () => {
    const res = await admin.get('/members/export.csv?status=visitor').set('Host', host).buffer(true);
    expect(res.text).to.include(`"'=HYPERLINK(""http://x"",""y"")",Evil`);
    const rows = rowsOf(res).slice(1);
    const evil = rows.find((r) => r[1] === 'Evil');
    expect(evil?.[0]).to.equal(`'=HYPERLINK("http://x","y")`);
    const other = rows.find((r) => r[0].startsWith("'@"));
    expect(other?.slice(0, 2)).to.deep.equal(["'@SUM(1)", "'-2+3"]);
    expect(other?.[4]).to.equal("'\tTabbed");
    for (const cell of ['=1', '+1', '-1', '@a', '\t=1', '\r=1'])
      expect(neutralise(cell)).to.equal(`'${cell}`);
    for (const cell of ['a=1', '1', '', "'=1 stays"]) expect(neutralise(cell)).to.equal(cell);
  });

  it('is open to member viewers (level 4) and closed to plain members (level 5)', async () => {
    await createUser(tenant, { level: 4, email: 'viewer@export.test' });
    await createUser(tenant, { level: 5, email: 'plain@export.test' });
    const viewer = await signedIn(tenant, 'viewer@export.test');
    expect((await viewer.get('/members/export.csv').set('Host', host)).status).to.equal(200);
    const plain = await signedIn(tenant, 'plain@export.test');
    const refused = await plain.get('/members/export.csv').set('Host', host);
    expect(refused.status).to.equal(403);
    expect(refused.text).not.to.include('alice@export.test');
  });

  it('names the file after "people" in a company tenant', async () => {
    const company = await createTenant({ kind: 'company' });
    await addMember(company, { firstName: 'Only', lastName: 'Company' });
    const agent = await signedIn(company, adminEmail(company));
    const res = await agent.get('/members/export.csv').set('Host', hostOf(company)).buffer(true);
    expect(res.headers['content-disposition']).to.include(`filename="people-${today()}.csv"`);
    const rows = rowsOf(res);
    expect(rows.slice(1).map((r) => r[0])).to.deep.equal(['Only']);
  });
});
