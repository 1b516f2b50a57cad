import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { db } from '../../app/db/database.ts';
import { AuditLog, Household, Member, type Tenant } from '../../app/models/index.ts';
import { MAX_IMPORT_BYTES } from '../../app/services/members-csv.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';

const FIXTURES = path.join(config.root, 'test', 'fixtures', 'members');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name));

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

function addMember(tenant: Tenant, fields: { firstName: string; lastName: string; email?: string | null }) {
  return inTenant(tenant, () =>
    Member.create({
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

const memberCount = (tenant: Tenant) => inTenant(tenant, () => Member.count());
const importEntries = (tenant: Tenant) =>
  inTenant(tenant, () => AuditLog.findAll({ where: { action: 'member.imported' }, order: [['id', 'ASC']] }));
const storedPath = (key: string) => path.join(config.storageDir, key);

/** The hidden import key of a preview page. */
function keyIn(html: string): string {
  const m = html.match(/name="key" value="([^"]+)"/);
  if (!m) throw new Error('no import key on the page');
  return m[1];
}

/** The per-row problems of a page, as "row|column|message". */
function problemsIn(html: string): string[] {
  const table = html.slice(html.indexOf('id="import-problems"'));
  return [
    ...table.matchAll(
      /<tr><td>(\d+)<\/td><td><code>([^<]+)<\/code><\/td><td class="text-break">([^<]+)<\/td><\/tr>/g,
    ),
  ].map((m) => `${m[1]}|${m[2]}|${m[3]}`);
}

describe('members CSV import (/members/import)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;

  async function upload(data: Buffer, name = 'people.csv', agent = admin): Promise<supertest.Response> {
    const token = await csrfToken(agent, host, '/members/import');
    return agent
      .post(`/members/import?_csrf=${encodeURIComponent(token)}`)
      .set('Host', host)
      .attach('file', data, name);
  }

  function confirm(key: string, agent = admin): Promise<supertest.Response> {
    return postForm(agent, host, '/members/import/confirm', { key, fileName: 'people.csv' });
  }

  beforeEach(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
  });

  it('shows an upload form whose action carries the CSRF token, to level 0 only', async () => {
    const res = await admin.get('/members/import').set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/action="\/members\/import\?_csrf=[^"]+" enctype="multipart\/form-data"/);
    expect(res.text).to.include(
      'first_name,last_name,email,phone,address,birth_date,status,joined_on,household',
    );
    await createUser(tenant, { level: 4, email: 'viewer@import.test' });
    const viewer = await signedIn(tenant, 'viewer@import.test');
    expect((await viewer.get('/members/import').set('Host', host)).status).to.equal(403);
    const refused = await upload(fixture('good.csv'), 'good.csv', viewer);
    expect(refused.status).to.equal(403);
    expect(await memberCount(tenant)).to.equal(0);
  });

  it('refuses an upload without its CSRF token', async () => {
    const res = await admin
      .post('/members/import')
      .set('Host', host)
      .attach('file', fixture('good.csv'), 'good.csv');
    expect(res.status).to.equal(403);
  });

  it('previews a good file without saving, then imports it in one go with its households and one audit entry', async () => {
    await inTenant(tenant, () => Household.create({ name: 'existing home', address: null, phone: null }));
    const preview = await upload(fixture('good.csv'));
    expect(preview.status).to.equal(200);
    expect(preview.text).to.include('<div class="h4 mb-0" id="valid-count">3</div>');
    expect(preview.text).to.include('<div class="h4 mb-0" id="skipped-count">0</div>');
    expect(preview.text).to.include('New households to create: Engine House');
    const key = keyIn(preview.text);
    expect(key).to.match(new RegExp(`^${tenant.schemaName}/member-import/[0-9a-f-]{36}$`));
    expect(existsSync(storedPath(key))).to.equal(true);
    expect(await memberCount(tenant)).to.equal(0);

    const done = await confirm(key);
    expect(done.status).to.equal(200);
    expect(done.text).to.include('3 imported, 0 skipped.');
    const rows = await inTenant(tenant, () =>
      Member.findAll({ include: [{ association: 'household' }], order: [['lastName', 'ASC']] }),
    );
    expect(rows.map((m) => `${m.firstName} ${m.lastName}`)).to.deep.equal([
      'Charles Babbage',
      'Ada Lovelace',
      'Mary Somerville',
    ]);
    const [charles, ada, mary] = rows;
    expect(ada).to.include({
      email: 'ada@import.test',
      phone: '+44 20 7946 0000',
      address: "12 St James's Square, London",
      birthDate: '1815-12-10',
      status: 'member',
      joinedOn: '2020-02-01',
    });
    expect(ada.household?.name).to.equal('existing home');
    expect(charles.household?.name).to.equal('Engine House');
    expect(charles.status).to.equal('regular');
    expect(mary).to.include({ email: null, status: 'visitor', householdId: null });
    expect(await inTenant(tenant, () => Household.count())).to.equal(2);
    const entries = await importEntries(tenant);
    expect(entries).to.have.length(1);
    expect(entries[0].changes.imported).to.deep.equal({ from: null, to: 3 });
    expect(entries[0].changes.householdsCreated).to.deep.equal({ from: null, to: 1 });
    expect(existsSync(storedPath(key))).to.equal(false);

    // Confirming the same preview again imports nothing twice.
    const again = await confirm(key);
    expect(again.status).to.equal(409);
    expect(again.text).to.include('already been done');
    expect(await memberCount(tenant)).to.equal(3);
  });

  it('refuses unknown columns with a message listing the expected ones, and stores nothing', async () => {
    const res = await upload(fixture('wrong-columns.csv'));
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Unknown columns &#34;mail&#34;, &#34;age&#34;');
    expect(res.text).to.include(
      'Expected columns: first_name, last_name, email, phone, address, birth_date, status, joined_on, household',
    );
    expect(res.text).not.to.include('name="key"');
  });

  it('refuses a file without the required columns, an empty file and a file that is not UTF-8', async () => {
    const missing = await upload(fixture('missing-required.csv'));
    expect(missing.status).to.equal(422);
    expect(missing.text).to.include('Missing column last_name');
    const empty = await upload(Buffer.from(''), 'empty.csv');
    expect(empty.status).to.equal(422);
    expect(empty.text).to.include('Choose a CSV file to import.');
    const blank = await upload(Buffer.from('\n\n'), 'blank.csv');
    expect(blank.status).to.equal(422);
    expect(blank.text).to.include('it needs a header row');
    const latin = await upload(fixture('latin1.csv'));
    expect(latin.status).to.equal(422);
    expect(latin.text).to.include('not UTF-8 text');
    const broken = await upload(Buffer.from('first_name,last_name\n"Ada,Lovelace\n'), 'broken.csv');
    expect(broken.status).to.equal(422);
    expect(broken.text).to.include('not valid CSV');
    const none = await postForm(admin, host, '/members/import', {}, '/members/import');
    expect(none.status).to.equal(422);
    expect(await memberCount(tenant)).to.equal(0);
  });

  it('lists bad dates by row and column and imports only the row whose dates are good', async () => {
    const res = await upload(fixture('bad-dates.csv'));
    expect(res.status).to.equal(200);
    expect(problemsIn(res.text)).to.deep.equal([
      '2|birth_date|must be a date written YYYY-MM-DD',
      '3|birth_date|must be a date written YYYY-MM-DD',
      '4|birth_date|must be a date written YYYY-MM-DD',
    ]);
    expect(res.text).to.include('id="valid-count">1<');
    expect(res.text).to.include('id="skipped-count">3<');
    const done = await confirm(keyIn(res.text));
    expect(done.text).to.include('1 imported, 3 skipped.');
    const [only] = await inTenant(tenant, () => Member.findAll());
    expect(only).to.include({ firstName: 'Good', birthDate: '1990-01-01', joinedOn: '2021-03-04' });
  });

  it('offers no import at all when every row has a problem', async () => {
    const res = await upload(Buffer.from('first_name,last_name,status\nA,B,boss\n'), 'bad.csv');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('No row can be imported');
    expect(res.text).not.to.include('name="key"');
  });

  it('checks a mixed file row by row: e-mails, statuses, repeated e-mails, required names and cell counts', async () => {
    const res = await upload(fixture('mixed.csv'));
    expect(res.status).to.equal(200);
    expect(problemsIn(res.text)).to.deep.equal([
      '3|email|must be an e-mail address',
      '4|status|must be visitor, regular, member or inactive',
      '5|email|is also on row 2',
      '6|last_name|is required',
      '7|(row)|has 5 cells; the header has 4',
    ]);
    expect(res.text).to.include('id="valid-count">2<');
    expect(res.text).to.include('id="skipped-count">5<');
    const done = await confirm(keyIn(res.text));
    expect(done.status).to.equal(200);
    expect(done.text).to.include('2 imported, 5 skipped.');
    expect(done.text).to.include('is also on row 2');
    const rows = await inTenant(tenant, () => Member.findAll({ order: [['firstName', 'ASC']] }));
    expect(rows.map((m) => [m.firstName, m.email, m.status])).to.deep.equal([
      ['One', 'one@mixed.test', 'visitor'],
      ['Two', 'two@mixed.test', 'inactive'],
    ]);
  });

  it('refuses e-mails already in the directory, at the preview and again at the confirmation', async () => {
    await addMember(tenant, { firstName: 'Already', lastName: 'Here', email: 'ADA@import.test' });
    const res = await upload(fixture('good.csv'));
    expect(problemsIn(res.text)).to.deep.equal(['2|email|is already used by someone in the directory']);
    // Someone adds Charles while the preview is open: the confirmation checks again.
    await addMember(tenant, { firstName: 'Charles', lastName: 'Early', email: 'charles@import.test' });
    const done = await confirm(keyIn(res.text));
    expect(done.text).to.include('1 imported, 2 skipped.');
    expect(problemsIn(done.text)).to.deep.equal([
      '2|email|is already used by someone in the directory',
      '3|email|is already used by someone in the directory',
    ]);
    expect(await memberCount(tenant)).to.equal(3);
    const [entry] = await importEntries(tenant);
    expect(entry.changes.imported).to.deep.equal({ from: null, to: 1 });
    expect(entry.changes.skipped).to.deep.equal({ from: null, to: 2 });
  });

  it('reads UTF-8 with a byte order mark and Windows line endings', async () => {
    const res = await upload(fixture('bom.csv'));
    expect(res.status).to.equal(200);
    expect(res.text).to.include('id="valid-count">2<');
    await confirm(keyIn(res.text));
    const rows = await inTenant(tenant, () => Member.findAll({ order: [['firstName', 'ASC']] }));
    expect(rows.map((m) => `${m.firstName} ${m.lastName} ${m.email}`)).to.deep.equal([
      'José Núñez null',
      'Zoë Ødegård zoe@bom.test',
    ]);
  });

  it('answers 413 with a clear message to a file over 5 MB, and accepts one of exactly 5 MB', async () => {
    const header = Buffer.from('first_name,last_name\nBig,File\n');
    const tooBig = Buffer.concat([header, Buffer.alloc(MAX_IMPORT_BYTES + 1 - header.length, '\n')]);
    expect(tooBig.length).to.equal(5 * 1024 * 1024 + 1);
    const res = await upload(tooBig, 'big.csv');
    expect(res.status).to.equal(413);
    expect(res.text).to.include('The file is larger than 5 MB');
    expect(res.text).not.to.include('name="key"');
    const exact = Buffer.concat([header, Buffer.alloc(MAX_IMPORT_BYTES - header.length, '\n')]);
    const ok = await upload(exact, 'exact.csv');
    expect(ok.status).to.equal(200);
    expect(ok.text).to.include('id="valid-count">1<');
    expect(await memberCount(tenant)).to.equal(0);
  });

  it('saves nothing when a row fails in the database part-way through a large import', async () => {
    const rows = ['first_name,last_name,email,household'];
    for (let i = 1; i <= 600; i += 1) {
      rows.push(
        `${i === 560 ? 'Refused' : 'Person'},Number ${i},p${i}@bulk.test,${i === 1 ? 'Fresh Home' : ''}`,
      );
    }
    const preview = await upload(Buffer.from(rows.join('\n')), 'bulk.csv');
    expect(preview.text).to.include('id="valid-count">600<');
    const key = keyIn(preview.text);
    // A database rule the application does not know about refuses row 560, in the second batch of inserts.
    await inTenant(tenant, () =>
      db().query("ALTER TABLE members ADD CONSTRAINT test_refuse_row CHECK (first_name <> 'Refused')"),
    );
    try {
      const res = await confirm(key);
      expect(res.status).to.equal(409);
      expect(res.text).to.include('Nothing was imported');
    } finally {
      await inTenant(tenant, () => db().query('ALTER TABLE members DROP CONSTRAINT test_refuse_row'));
    }
    expect(await memberCount(tenant)).to.equal(0);
    expect(await inTenant(tenant, () => Household.count())).to.equal(0);
    expect(await importEntries(tenant)).to.have.length(0);
  });

  it('refuses a key that is malformed or belongs to another tenant, and leaves that file alone', async () => {
    const other = await createTenant({ kind: 'church' });
    const otherAdmin = await signedIn(other, `admin@${other.slug}.test`);
    const otherToken = await csrfToken(otherAdmin, hostOf(other), '/members/import');
    const otherPreview = await otherAdmin
      .post(`/members/import?_csrf=${encodeURIComponent(otherToken)}`)
      .set('Host', hostOf(other))
      .attach('file', fixture('good.csv'), 'good.csv');
    const foreignKey = keyIn(otherPreview.text);
    for (const key of [
      foreignKey,
      '../../etc/passwd',
      `${tenant.schemaName}/expense-receipt/${'0'.repeat(36)}`,
      '',
    ]) {
      const res = await confirm(key);
      expect(res.status, key).to.equal(422);
      expect(res.text).to.include('This import is not available');
    }
    expect(await memberCount(tenant)).to.equal(0);
    expect(await memberCount(other)).to.equal(0);
    expect(existsSync(storedPath(foreignKey))).to.equal(true);
    // Cancelling with the foreign key does not delete it either.
    await postForm(admin, host, '/members/import/delete', { key: foreignKey });
    expect(existsSync(storedPath(foreignKey))).to.equal(true);
  });

  it('drops the stored file when the import is cancelled', async () => {
    const preview = await upload(fixture('good.csv'));
    const key = keyIn(preview.text);
    const res = await postForm(admin, host, '/members/import/delete', { key });
    expect(res.status).to.equal(302);
    expect(existsSync(storedPath(key))).to.equal(false);
    expect((await confirm(key)).status).to.equal(409);
    expect(await memberCount(tenant)).to.equal(0);
  });

  it('imports its own export back, formula apostrophes removed', async () => {
    await addMember(tenant, { firstName: '=SUM(A1)', lastName: 'Formula', email: 'f@round.test' });
    await inTenant(tenant, () => Member.update({ phone: '+1 555 0100' }, { where: {} }));
    const exported = await admin.get('/members/export.csv').set('Host', host).buffer(true);
    expect(exported.text).to.include("'=SUM(A1)");
    await inTenant(tenant, () => Member.destroy({ where: {} }));
    const preview = await upload(Buffer.from(exported.text), 'export.csv');
    expect(preview.text).to.include('id="valid-count">1<');
    await confirm(keyIn(preview.text));
    const [back] = await inTenant(tenant, () => Member.findAll());
    expect(back).to.include({ firstName: '=SUM(A1)', phone: '+1 555 0100', email: 'f@round.test' });
  });
});
