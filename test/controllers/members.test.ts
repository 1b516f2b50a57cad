import { expect } from 'chai';
import type supertest from 'supertest';
import {
  Attendance,
  AuditLog,
  Contribution,
  Event,
  Fund,
  Group,
  GroupMember,
  Household,
  Member,
  type Tenant,
  User,
} from '../../app/models/index.ts';
import { canSeeNotes } from '../../app/policies/member.policy.ts';
import { createUser, csrfToken, postForm, signedIn } from '../support/auth.ts';
import { adminEmail, createTenant, hostOf, http, uniqueSlug } from '../support/factories.ts';
import { addToGroup, createGroup, inTenant } from '../support/groups.ts';

type MemberFields = Partial<Parameters<typeof Member.create>[0]>;

function addMember(tenant: Tenant, fields: MemberFields = {}): Promise<Member> {
  return inTenant(tenant, () =>
    Member.create({
      firstName: 'Ann',
      lastName: 'Example',
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

function reload(tenant: Tenant, id: string): Promise<Member | null> {
  return inTenant(tenant, () => Member.findByPk(id));
}

function auditOf(tenant: Tenant, action: string, recordId?: string): Promise<AuditLog[]> {
  return inTenant(tenant, () =>
    AuditLog.findAll({
      where: { action, recordType: 'member', ...(recordId ? { recordId } : {}) },
      order: [['id', 'ASC']],
    }),
  );
}

/** The names of the list's rows, in order. */
function listedNames(html: string): string[] {
  return [...html.matchAll(/<a href="\/members\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);
}

const validForm = {
  firstName: 'Grace',
  lastName: 'Hopper',
  email: 'Grace@Example.test',
  phone: '+1 555 0100',
  address: '1 Navy Way',
  birthDate: '1906-12-09',
  status: 'member',
  joinedOn: '2020-01-05',
  notes: 'Pastoral note: visits on Tuesdays',
  householdId: '',
  userId: '',
};

describe('members directory (/members)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, adminEmail(tenant));
  });

  describe('access by level', () => {
    let target: Member;
    const agents: Record<number, supertest.Agent> = {};

    before(async () => {
      target = await addMember(tenant, { firstName: 'Level', lastName: 'Target', notes: 'SECRET-NOTE-42' });
      for (const level of [0, 1, 2, 3, 4, 5]) {
        const email = `lvl${level}-${uniqueSlug('m')}@example.test`;
        await createUser(tenant, { level, email });
        agents[level] = await signedIn(tenant, email);
      }
    });

    it('lets levels 0 to 4 read the list and a page, and refuses level 5 with 403', async () => {
      for (const level of [0, 1, 2, 3, 4]) {
        const list = await agents[level].get('/members').set('Host', host);
        expect(list.status, `list at level ${level}`).to.equal(200);
        expect(list.text).to.include('Target, Level');
        const page = await agents[level].get(`/members/${target.id}`).set('Host', host);
        expect(page.status, `page at level ${level}`).to.equal(200);
        expect(page.text).to.include('Level Target');
      }
      for (const path of ['/members', `/members/${target.id}`, '/members/export.csv', '/households']) {
        const res = await agents[5].get(path).set('Host', host);
        expect(res.status, path).to.equal(403);
        expect(res.text).not.to.include('Level Target');
        expect(res.text).not.to.include('SECRET-NOTE-42');
      }
    });

    it('shows the notes to levels 0 to 4 and never to a plain member', async () => {
      for (const level of [0, 1, 2, 3, 4]) {
        const page = await agents[level].get(`/members/${target.id}`).set('Host', host);
        expect(page.text, `level ${level}`).to.include('SECRET-NOTE-42');
      }
      const refused = await agents[5].get(`/members/${target.id}`).set('Host', host);
      expect(refused.text).not.to.include('SECRET-NOTE-42');
      const levelFive = await inTenant(tenant, () =>
        User.findOne({ where: {}, include: [{ association: 'roles', where: { permissionLevel: 5 } }] }),
      );
      expect(levelFive && canSeeNotes(levelFive)).to.equal(false);
      expect(canSeeNotes(null)).to.equal(false);
    });

    it('shows giving only to levels 0, 1 and 2, with amounts from integer cents', async () => {
      await inTenant(tenant, async () => {
        const fund = await Fund.create({ name: `Tithe ${uniqueSlug()}`, description: null });
        const year = new Date().getUTCFullYear();
        for (const [cents, on] of [
          ['123456', `${year}-01-15`],
          ['1', `${year}-02-01`],
          ['999999', `${year - 1}-12-31`],
        ] as const) {
          await Contribution.create({
            memberId: target.id,
            fundId: fund.id,
            amountCents: cents,
            receivedOn: on,
            reference: null,
            note: null,
            createdBy: null,
          });
        }
      });
      for (const level of [0, 1, 2]) {
        const page = await agents[level].get(`/members/${target.id}`).set('Host', host);
        expect(page.text, `level ${level}`).to.match(
          /id="giving-total">\d{4} total: <strong>1,234\.57<\/strong>/,
        );
        expect(page.text).to.include('9,999.99');
      }
      for (const level of [3, 4]) {
        const page = await agents[level].get(`/members/${target.id}`).set('Host', host);
        expect(page.status).to.equal(200);
        expect(page.text, `level ${level}`).not.to.include('giving-total');
        expect(page.text).not.to.include('1,234.57');
        expect(page.text).not.to.include('9,999.99');
      }
    });

    it('shows the edit and delete buttons to level 0 only and refuses changes from the others', async () => {
      const adminPage = await agents[0].get(`/members/${target.id}`).set('Host', host);
      expect(adminPage.text).to.include(`/members/${target.id}/edit`);
      for (const level of [1, 2, 3, 4]) {
        const page = await agents[level].get(`/members/${target.id}`).set('Host', host);
        expect(page.text).not.to.include(`/members/${target.id}/edit`);
        expect(page.text).not.to.include('/delete');
        const _csrf = await csrfToken(agents[level], host, '/');
        const res = await agents[level]
          .post(`/members/${target.id}`)
          .set('Host', host)
          .type('form')
          .send({ ...validForm, firstName: 'Hacked', _csrf });
        expect(res.status).to.equal(403);
        const del = await agents[level]
          .post(`/members/${target.id}/delete`)
          .set('Host', host)
          .type('form')
          .send({ _csrf });
        expect(del.status).to.equal(403);
      }
      expect((await reload(tenant, target.id))?.firstName).to.equal('Level');
    });

    it('sends an anonymous visitor to sign in', async () => {
      const res = await http().get('/members').set('Host', host);
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/login?next=%2Fmembers');
    });
  });

  describe('the list', () => {
    let listed: Tenant;
    let lhost: string;
    let agent: supertest.Agent;
    let group: Group;

    before(async () => {
      listed = await createTenant({ kind: 'church' });
      lhost = hostOf(listed);
      agent = await signedIn(listed, adminEmail(listed));
      const zed = await addMember(listed, {
        firstName: 'Zed',
        lastName: 'Alpha',
        email: 'zed@list.test',
        phone: '(555) 123-4567',
        status: 'member',
        joinedOn: '2019-03-01',
      });
      await addMember(listed, {
        firstName: 'Yara',
        lastName: 'Beta',
        email: 'yara_100%@list.test',
        status: 'visitor',
        joinedOn: '2024-06-01',
      });
      const xeno = await addMember(listed, {
        firstName: 'Xeno',
        lastName: 'Gamma',
        status: 'inactive',
        joinedOn: null,
      });
      await addMember(listed, {
        firstName: 'Will',
        lastName: 'Delta',
        status: 'regular',
        joinedOn: '2021-01-01',
      });
      for (let i = 0; i < 55; i += 1) {
        await addMember(listed, {
          firstName: `N${String(i).padStart(2, '0')}`,
          lastName: 'Zz',
          status: 'regular',
        });
      }
      group = await createGroup(listed, { name: 'Choir' });
      await addToGroup(listed, group, zed, 'leader');
      await addToGroup(listed, group, xeno);
    });

    it('shows 50 per page with the total count and a link to the next page', async () => {
      const res = await agent.get('/members').set('Host', lhost);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('59 members');
      expect(listedNames(res.text)).to.have.length(50);
      expect(res.text).to.include('href="/members?page=2"');
      const second = await agent.get('/members?page=2').set('Host', lhost);
      expect(listedNames(second.text)).to.have.length(9);
      const beyond = await agent.get('/members?page=9').set('Host', lhost);
      expect(beyond.status).to.equal(200);
      expect(beyond.text).to.include('There is no page 9');
    });

    it("shows each row's contact details, status badge and household link, and no link without a household", async () => {
      const home = await inTenant(listed, () =>
        Household.create({ name: 'The <Alphas>', address: null, phone: null }),
      );
      const zed = await inTenant(listed, () =>
        Member.findOne({ where: { firstName: 'Zed' }, rejectOnEmpty: true }),
      );
      await inTenant(listed, () => zed.update({ householdId: home.id }));
      const res = await agent.get('/members?q=a&sort=name').set('Host', lhost);
      const rowOf = (name: string) => res.text.split('<tr>').find((row) => row.includes(name)) ?? '';
      const zedRow = rowOf('Alpha, Zed');
      expect(zedRow).to.include(`href="/members/${zed.id}"`);
      expect(zedRow).to.include('zed@list.test');
      expect(zedRow).to.include('(555) 123-4567');
      expect(zedRow).to.include('text-bg-success">Member<');
      expect(zedRow).to.include(`<a href="/households/${home.id}">The &lt;Alphas&gt;</a>`);
      const yaraRow = rowOf('Beta, Yara');
      expect(yaraRow).to.include('text-bg-info">Visitor<');
      expect(yaraRow).not.to.include('/households/');
      await inTenant(listed, () => zed.update({ householdId: null }));
    });

    it('searches names (first, last and both), e-mails and phone digits, with wildcards taken literally', async () => {
      const search = async (q: string) =>
        listedNames((await agent.get(`/members?q=${encodeURIComponent(q)}`).set('Host', lhost)).text);
      expect(await search('zed')).to.deep.equal(['Alpha, Zed']);
      expect(await search('Zed Alpha')).to.deep.equal(['Alpha, Zed']);
      expect(await search('GAMMA')).to.deep.equal(['Gamma, Xeno']);
      expect(await search('yara_100%@')).to.deep.equal(['Beta, Yara']);
      expect(await search('100%x')).to.deep.equal([]);
      expect(await search('555-1234')).to.deep.equal(['Alpha, Zed']);
      expect(await search('(555) 123')).to.deep.equal(['Alpha, Zed']);
      const none = await agent.get('/members?q=nobody-here').set('Host', lhost);
      expect(none.text).to.include('Nobody matches');
    });

    it('filters by status and by group, and ignores values that are not on the list', async () => {
      const byStatus = await agent.get('/members?status=inactive').set('Host', lhost);
      expect(listedNames(byStatus.text)).to.deep.equal(['Gamma, Xeno']);
      expect(byStatus.text).to.include('1 member match');
      const byGroup = await agent.get(`/members?group=${group.id}`).set('Host', lhost);
      expect(listedNames(byGroup.text)).to.deep.equal(['Alpha, Zed', 'Gamma, Xeno']);
      const both = await agent.get(`/members?group=${group.id}&status=member`).set('Host', lhost);
      expect(listedNames(both.text)).to.deep.equal(['Alpha, Zed']);
      const junk = await agent
        .get("/members?status=admin&group=1'--&sort=password&dir=sideways")
        .set('Host', lhost);
      expect(junk.status).to.equal(200);
      expect(junk.text).to.include('59 members');
    });

    it('sorts by name, status and joined date both ways', async () => {
      const names = async (qs: string) =>
        listedNames((await agent.get(`/members?status=all&q=a&${qs}`).set('Host', lhost)).text);
      expect(await names('sort=name&dir=asc')).to.deep.equal([
        'Alpha, Zed',
        'Beta, Yara',
        'Delta, Will',
        'Gamma, Xeno',
      ]);
      expect(await names('sort=name&dir=desc')).to.deep.equal([
        'Gamma, Xeno',
        'Delta, Will',
        'Beta, Yara',
        'Alpha, Zed',
      ]);
      expect(await names('sort=status&dir=asc')).to.deep.equal([
        'Beta, Yara',
        'Delta, Will',
        'Alpha, Zed',
        'Gamma, Xeno',
      ]);
      expect(await names('sort=status&dir=desc')).to.deep.equal([
        'Gamma, Xeno',
        'Alpha, Zed',
        'Delta, Will',
        'Beta, Yara',
      ]);
      expect(await names('sort=joined&dir=asc')).to.deep.equal([
        'Alpha, Zed',
        'Delta, Will',
        'Beta, Yara',
        'Gamma, Xeno',
      ]);
      expect(await names('sort=joined&dir=desc')).to.deep.equal([
        'Beta, Yara',
        'Delta, Will',
        'Alpha, Zed',
        'Gamma, Xeno',
      ]);
    });

    it('keeps the search, filters and sort in the paging, sort and export links', async () => {
      const res = await agent.get('/members?q=zz&status=regular&sort=joined&dir=desc').set('Host', lhost);
      expect(res.text).to.include('55 members match');
      expect(res.text).to.include(
        'href="/members?q=zz&amp;status=regular&amp;sort=joined&amp;dir=desc&amp;page=2"',
      );
      expect(res.text).to.include('href="/members?q=zz&amp;status=regular&amp;sort=joined&amp;dir=asc"');
      // Name ascending is the default order, so its link needs no sort parameters.
      expect(res.text).to.include('href="/members?q=zz&amp;status=regular"');
      expect(res.text).to.include(
        'href="/members/export.csv?q=zz&amp;status=regular&amp;sort=joined&amp;dir=desc"',
      );
    });

    it('says "People" in a company tenant', async () => {
      const company = await createTenant({ kind: 'company' });
      await addMember(company, { firstName: 'Carl', lastName: 'Company' });
      const agentC = await signedIn(company, adminEmail(company));
      const res = await agentC.get('/members').set('Host', hostOf(company));
      expect(res.status).to.equal(200);
      expect(res.text).to.include('<h1 class="h3 mb-0">People</h1>');
      expect(res.text).to.include('1 person');
      expect(res.text).to.include('Add a person');
      expect(res.text).not.to.include('>Members<');
    });
  });

  describe("a person's page", () => {
    it('shows the household and its other members, groups with the leader badge, attendance and the history', async () => {
      const { member, mate } = await inTenant(tenant, async () => {
        const household = await Household.create({ name: 'The Rivers', address: null, phone: null });
        const m = await Member.create({
          firstName: 'River',
          lastName: 'Song',
          email: 'river@page.test',
          phone: null,
          address: null,
          birthDate: null,
          joinedOn: null,
          notes: null,
          householdId: household.id,
          userId: null,
        });
        const other = await Member.create({
          firstName: 'Amy',
          lastName: 'Pond',
          email: null,
          phone: null,
          address: null,
          birthDate: null,
          joinedOn: null,
          notes: null,
          householdId: household.id,
          userId: null,
        });
        const lead = await Group.create({
          name: 'Led Group',
          description: null,
          meetingDay: null,
          meetingTime: null,
        });
        const plain = await Group.create({
          name: 'Plain Group',
          description: null,
          meetingDay: null,
          meetingTime: null,
        });
        await GroupMember.create({ groupId: lead.id, memberId: m.id, role: 'leader' });
        await GroupMember.create({ groupId: plain.id, memberId: m.id, role: 'member' });
        const day = 86_400_000;
        for (let i = 0; i < 25; i += 1) {
          const ev = await Event.create({
            title: `Service ${i}`,
            startsAt: new Date(Date.now() - (i * 7 + 1) * day),
            groupId: null,
          });
          await Attendance.create({ eventId: ev.id, memberId: m.id });
        }
        const missed = await Event.create({
          title: 'Missed one',
          startsAt: new Date(Date.now() - 2 * day),
          groupId: null,
        });
        await Attendance.create({ eventId: missed.id, memberId: other.id });
        return { member: m, mate: other };
      });
      await postForm(
        admin,
        host,
        `/members/${member.id}`,
        {
          ...validForm,
          firstName: 'River',
          lastName: 'Song',
          email: 'river@page.test',
          householdId: String(member.householdId),
        },
        `/members/${member.id}/edit`,
      );
      const res = await admin.get(`/members/${member.id}`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('The Rivers');
      expect(res.text).to.include(`href="/members/${mate.id}">Amy Pond</a>`);
      expect(res.text).to.match(/Led Group<\/a> <span class="badge text-bg-warning">Leader<\/span>/);
      expect(res.text).to.match(/Plain Group<\/a><\/li>/);
      // Weekly services from 1 to 169 days ago: 13 fall in the last 90 days; the list shows the latest 20.
      expect(res.text).to.include('<strong>13</strong> attended in the last 90 days');
      expect(res.text).to.include('Service 0');
      expect(res.text).to.include('Service 19');
      expect(res.text).not.to.include('Service 20<');
      expect(res.text).not.to.include('Missed one');
      const history = res.text.slice(res.text.indexOf('id="member-history"'));
      expect(history).to.include('member.updated');
      expect(history).to.include('1906-12-09');
    });

    it("answers 404 for malformed, unknown and other tenants' ids, and changes nothing there", async () => {
      const other = await createTenant({ kind: 'church' });
      // An id this tenant does not have, so only the tenant boundary can answer.
      const foreign = await addMember(other, { id: '900000', firstName: 'Foreign', lastName: 'Person' });
      for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999', '987654321', foreign.id]) {
        for (const path of [`/members/${id}`, `/members/${id}/edit`]) {
          const res = await admin.get(path).set('Host', host);
          expect(res.status, path).to.equal(404);
          expect(res.text).not.to.include('Foreign');
        }
      }
      const update = await postForm(admin, host, `/members/${foreign.id}`, {
        ...validForm,
        firstName: 'Taken',
      });
      expect(update.status).to.equal(404);
      const del = await postForm(admin, host, `/members/${foreign.id}/delete`, {});
      expect(del.status).to.equal(404);
      const still = await reload(other, foreign.id);
      expect(still?.firstName).to.equal('Foreign');
    });
  });

  describe('adding, editing and deleting', () => {
    it('adds a person with a household and a staff account, audits it, and lower-cases the e-mail', async () => {
      const { household, staff } = await inTenant(tenant, async () => ({
        household: await Household.create({ name: 'The Hoppers', address: null, phone: null }),
        staff: await User.create({
          email: `staff-${uniqueSlug()}@x.test`,
          name: 'Link Me',
          passwordHash: null,
          department: null,
        }),
      }));
      const form = await admin.get('/members/new').set('Host', host);
      expect(form.status).to.equal(200);
      expect(form.text).to.include('Link Me');
      const res = await postForm(
        admin,
        host,
        '/members',
        { ...validForm, householdId: household.id, userId: staff.id },
        '/members/new',
      );
      expect(res.status, res.text.slice(0, 500)).to.equal(302);
      const id = res.headers.location.split('/').pop() ?? '';
      const saved = await reload(tenant, id);
      expect(saved).to.include({
        firstName: 'Grace',
        email: 'grace@example.test',
        status: 'member',
        birthDate: '1906-12-09',
      });
      expect(String(saved?.householdId)).to.equal(String(household.id));
      expect(String(saved?.userId)).to.equal(String(staff.id));
      const [entry] = await auditOf(tenant, 'member.created', id);
      expect(entry.recordLabel).to.equal('Grace Hopper');
      expect(entry.changes.email).to.deep.equal({ from: null, to: 'grace@example.test' });
      const page = await admin.get(`/members/${id}`).set('Host', host);
      expect(page.text).to.include('The Hoppers');
      expect(page.text).to.include('Link Me');
      // A linked account is no longer offered for someone else.
      const again = await admin.get('/members/new').set('Host', host);
      expect(again.text).not.to.include('Link Me');
      const taken = await postForm(
        admin,
        host,
        '/members',
        { ...validForm, email: 'other@x.test', userId: staff.id },
        '/members/new',
      );
      expect(taken.status).to.equal(422);
      expect(taken.text).to.include('is already linked to Grace Hopper');
    });

    it('prefills the household when coming from a household page', async () => {
      const household = await inTenant(tenant, () =>
        Household.create({ name: 'Prefilled', address: null, phone: null }),
      );
      const res = await admin.get(`/members/new?householdId=${household.id}`).set('Host', host);
      expect(res.text).to.include(`<option value="${household.id}" selected>Prefilled</option>`);
    });

    it('answers 422 and shows the form again with the input and a message per field', async () => {
      const before = await inTenant(tenant, () => Member.count());
      const res = await postForm(
        admin,
        host,
        '/members',
        {
          ...validForm,
          firstName: '',
          lastName: 'Kept <b>Last</b>',
          email: 'not-an-email',
          birthDate: '2023-02-30',
          joinedOn: 'yesterday',
          status: 'boss',
          householdId: 'abc',
        },
        '/members/new',
      );
      expect(res.status).to.equal(422);
      expect(res.text).to.include('value="Kept &lt;b&gt;Last&lt;/b&gt;"');
      expect(res.text).to.include('value="not-an-email"');
      expect(res.text).to.include('value="2023-02-30"');
      expect(res.text).to.include('is required');
      expect(res.text).to.include('must be an e-mail address');
      expect(res.text).to.include('must be a date written YYYY-MM-DD');
      expect(res.text).to.include('must be visitor, regular, member or inactive');
      expect(res.text).to.include('must be one of the households');
      expect(await inTenant(tenant, () => Member.count())).to.equal(before);
    });

    it('refuses an e-mail another person already has, whatever its case', async () => {
      await addMember(tenant, { firstName: 'Has', lastName: 'Mail', email: 'dup@mail.test' });
      const res = await postForm(
        admin,
        host,
        '/members',
        { ...validForm, email: 'DUP@mail.test' },
        '/members/new',
      );
      expect(res.status).to.equal(422);
      expect(res.text).to.include('is already used by someone in the directory');
      expect(res.text).to.include('value="DUP@mail.test"');
    });

    it('refuses a birth date in the future', async () => {
      const res = await postForm(
        admin,
        host,
        '/members',
        { ...validForm, email: '', birthDate: '2099-01-01' },
        '/members/new',
      );
      expect(res.status).to.equal(422);
      expect(res.text).to.include('cannot be in the future');
    });

    it('edits a person, records before and after, and keeps the input on a 422', async () => {
      const member = await addMember(tenant, {
        firstName: 'Edit',
        lastName: 'Me',
        email: 'edit@me.test',
        notes: 'old',
      });
      const edit = await admin.get(`/members/${member.id}/edit`).set('Host', host);
      expect(edit.status).to.equal(200);
      expect(edit.text).to.include('value="edit@me.test"');
      const bad = await postForm(
        admin,
        host,
        `/members/${member.id}`,
        { ...validForm, firstName: 'Edited', email: 'x@' },
        `/members/${member.id}/edit`,
      );
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include('value="Edited"');
      expect((await reload(tenant, member.id))?.firstName).to.equal('Edit');
      const ok = await postForm(
        admin,
        host,
        `/members/${member.id}`,
        { ...validForm, firstName: 'Edited', email: 'edit@me.test', status: 'inactive', notes: 'new note' },
        `/members/${member.id}/edit`,
      );
      expect(ok.status).to.equal(302);
      expect(ok.headers.location).to.equal(`/members/${member.id}`);
      const saved = await reload(tenant, member.id);
      expect(saved).to.include({ firstName: 'Edited', status: 'inactive', notes: 'new note' });
      const [entry] = await auditOf(tenant, 'member.updated', member.id);
      expect(entry.changes.firstName).to.deep.equal({ from: 'Edit', to: 'Edited' });
      expect(entry.changes.notes).to.deep.equal({ from: 'old', to: 'new note' });
      expect(entry.changes).not.to.have.property('email');
      // Saving the same values again writes no second entry.
      await postForm(
        admin,
        host,
        `/members/${member.id}`,
        { ...validForm, firstName: 'Edited', email: 'edit@me.test', status: 'inactive', notes: 'new note' },
        `/members/${member.id}/edit`,
      );
      expect(await auditOf(tenant, 'member.updated', member.id)).to.have.length(1);
    });

    it('deletes a person after the confirm form, with their group places, and audits it', async () => {
      const member = await addMember(tenant, { firstName: 'Gone', lastName: 'Soon' });
      await addToGroup(tenant, await createGroup(tenant, { name: `G ${uniqueSlug()}` }), member);
      const page = await admin.get(`/members/${member.id}`).set('Host', host);
      expect(page.text).to.include(`action="/members/${member.id}/delete"`);
      const res = await postForm(admin, host, `/members/${member.id}/delete`, {}, `/members/${member.id}`);
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/members');
      expect(await reload(tenant, member.id)).to.equal(null);
      expect(await inTenant(tenant, () => GroupMember.count({ where: { memberId: member.id } }))).to.equal(0);
      const [entry] = await auditOf(tenant, 'member.deleted', member.id);
      expect(entry.changes.firstName).to.deep.equal({ from: 'Gone', to: null });
    });
  });
});
