import { expect } from 'chai';
import type supertest from 'supertest';
import { Event, Group, GroupMember, type Member, type Tenant } from '../../app/models/index.ts';
import { csrfToken, postForm, signedIn } from '../support/auth.ts';
import { adminEmail, createTenant, hostOf, http } from '../support/factories.ts';
import {
  addToGroup,
  auditEntries,
  createEvent,
  createGroup,
  createLinkedUser,
  createMember,
  inTenant,
  markPresent,
  rosterOf,
  signInGroupAgents,
} from '../support/groups.ts';

function groupCount(tenant: Tenant): Promise<number> {
  return inTenant(tenant, () => Group.count());
}

function findGroup(tenant: Tenant, id: string): Promise<Group | null> {
  return inTenant(tenant, () => Group.findByPk(id));
}

describe('groups and their rosters (/groups)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;
  let viewer: supertest.Agent; // level 4
  let plain: supertest.Agent; // level 5, leads nothing
  let leader: supertest.Agent; // level 5, leads A
  let groupA: Group;
  let groupB: Group;
  let alice: Member;
  let bob: Member;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    groupA = await createGroup(tenant, { name: 'Alpha Group', meetingDay: 3, meetingTime: '19:30' });
    groupB = await createGroup(tenant, { name: 'Bravo Group' });
    const lead = await createLinkedUser(tenant, { leads: groupA, name: 'Leah' });
    alice = await createMember(tenant, {
      firstName: 'Alice',
      lastName: 'Anders',
      email: 'alice@example.test',
    });
    bob = await createMember(tenant, { firstName: 'Bob', lastName: 'Brightwater' });
    await addToGroup(tenant, groupA, alice);
    await addToGroup(tenant, groupB, bob);
    ({ admin, viewer, plain, leader } = await signInGroupAgents(tenant, lead.email));
  });

  describe('the list', () => {
    it('shows every group, with weekday and leaders, to levels 0 and 4', async () => {
      for (const agent of [admin, viewer]) {
        const res = await agent.get('/groups').set('Host', host);
        expect(res.status).to.equal(200);
        expect(res.text).to.include('Alpha Group').and.to.include('Bravo Group');
        expect(res.text).to.include('Wednesdays at 19:30');
        expect(res.text).to.include('Leah');
      }
    });

    it('shows a group leader at level 5 only the groups they lead', async () => {
      const res = await leader.get('/groups').set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Groups you lead').and.to.include('Alpha Group');
      expect(res.text).not.to.include('Bravo Group');
    });

    it('shows a level-5 user who leads nothing an empty list', async () => {
      const res = await plain.get('/groups').set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('You do not lead any groups yet');
      expect(res.text).not.to.include('Alpha Group');
      expect(res.text).not.to.include('Bravo Group');
    });

    it('offers "New group" only to level 0', async () => {
      expect((await admin.get('/groups').set('Host', host)).text).to.include('href="/groups/new"');
      expect((await viewer.get('/groups').set('Host', host)).text).not.to.include('href="/groups/new"');
    });

    it('sends an anonymous visitor of any group or event page to sign in', async () => {
      const paths = [
        '/groups',
        `/groups/${groupA.id}`,
        '/events',
        '/events/new',
        '/events/1',
        '/events/1/edit',
      ];
      for (const path of [...paths, '/events/1/attendance']) {
        const res = await http().get(path).set('Host', host);
        expect(res.status, path).to.equal(302);
        expect(res.headers.location).to.equal(`/login?next=${encodeURIComponent(path)}`);
      }
    });
  });

  describe('a group page', () => {
    it('shows the roster and the member picker to level 0', async () => {
      const res = await admin.get(`/groups/${groupA.id}`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Alice Anders').and.to.include('Leah');
      expect(res.text).to.include('Add people');
    });

    it('shows the roster read-only to level 4', async () => {
      const res = await viewer.get(`/groups/${groupA.id}`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Alice Anders');
      expect(res.text).not.to.include('Add people');
      expect(res.text).not.to.include(`/groups/${groupA.id}/members/${alice.id}/delete`);
    });

    it("lets a leader see and manage their own group's roster", async () => {
      const res = await leader.get(`/groups/${groupA.id}`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Alice Anders').and.to.include('Add people');
      expect(res.text).to.include(`/groups/${groupA.id}/members/${alice.id}/delete`);
    });

    it("answers 404 to a leader of A asking for B's page, and to a level-5 user who leads nothing", async () => {
      expect((await leader.get(`/groups/${groupB.id}`).set('Host', host)).status).to.equal(404);
      expect((await plain.get(`/groups/${groupA.id}`).set('Host', host)).status).to.equal(404);
    });

    it('answers 404 for a malformed, too large or unknown id', async () => {
      for (const path of ['/groups/abc', '/groups/99999999999999999999', '/groups/987654321', '/groups/0']) {
        expect((await admin.get(path).set('Host', host)).status, path).to.equal(404);
      }
    });

    it('lists the people matching ?q= who are not in the group yet', async () => {
      const carol = await createMember(tenant, { firstName: 'Carol', lastName: 'Pickable' });
      await createMember(tenant, { firstName: 'Gone', lastName: 'Pickable', status: 'inactive' });
      const res = await leader.get(`/groups/${groupA.id}?q=pick`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Carol Pickable');
      expect(res.text).to.include(`name="memberId" value="${carol.id}"`);
      expect(res.text).not.to.include('Gone Pickable');
      const already = await leader.get(`/groups/${groupA.id}?q=anders`).set('Host', host);
      expect(already.text).not.to.include(`name="memberId" value="${alice.id}"`);
      expect(already.text).to.include('is left to add');
    });

    it('shows the attendance of the last 12 meetings as a table', async () => {
      const group = await createGroup(tenant, { name: 'Trend Group' });
      const people = [await createMember(tenant), await createMember(tenant), await createMember(tenant)];
      for (const p of people) await addToGroup(tenant, group, p);
      for (let i = 1; i <= 13; i += 1) {
        const event = await createEvent(tenant, {
          title: `Meeting ${i}`,
          groupId: group.id,
          startsAt: new Date(Date.UTC(2025, 0, i, 18)),
          visitorCount: i === 13 ? 4 : 0,
        });
        // 1, 2 or 3 present: the latest meeting (13) has 1.
        await markPresent(tenant, event, people.slice(0, i % 3 || 3));
      }
      await createEvent(tenant, { groupId: group.id, startsAt: new Date(Date.now() + 86_400_000) });
      const res = await admin.get(`/groups/${group.id}`).set('Host', host);
      const table = res.text.slice(res.text.indexOf('id="trend"'));
      const rows = table.slice(0, table.indexOf('</table>')).match(/<tr>/g) ?? [];
      expect(rows.length).to.equal(13); // a header and 12 meetings
      expect(table).to.include('13 Jan 2025');
      expect(table).to.include(' 2 Jan 2025').and.not.to.include(' 1 Jan 2025');
      expect(table).to.match(
        /13 Jan 2025[\s\S]*?<td class="text-end">1<\/td>\s*<td class="text-end">4<\/td>/,
      );
    });
  });

  describe('creating, editing and deleting', () => {
    it('lets level 0 create a group, recorded in the audit log', async () => {
      const res = await postForm(admin, host, '/groups', {
        name: 'Choir',
        description: 'Sings',
        meetingDay: '4',
        meetingTime: '18:00',
      });
      expect(res.status).to.equal(302);
      const group = await inTenant(tenant, () => Group.findOne({ where: { name: 'Choir' } }));
      expect(group?.meetingDay).to.equal(4);
      expect(group?.meetingTime).to.equal('18:00:00');
      expect(res.headers.location).to.equal(`/groups/${group?.id}`);
      const [entry] = await auditEntries(tenant, 'group.created');
      expect(entry.recordId).to.equal(String(group?.id));
      expect(entry.changes.name).to.deep.equal({ from: null, to: 'Choir' });
      const page = await admin.get(`/groups/${group?.id}`).set('Host', host);
      expect(page.text).to.include('Thursdays at 18:00');
    });

    it('refuses a duplicate name (in any case) with 422 and the input kept', async () => {
      const before = await groupCount(tenant);
      const res = await postForm(admin, host, '/groups', { name: 'alpha group', description: 'Kept text' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('is already the name of another group');
      expect(res.text).to.include('Kept text');
      expect(await groupCount(tenant)).to.equal(before);
    });

    it('refuses a bad day, a bad time and an empty name with 422', async () => {
      const before = await groupCount(tenant);
      const res = await postForm(admin, host, '/groups', { name: '', meetingDay: '9', meetingTime: '25:61' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('is required');
      expect(res.text).to.include('must be a day of the week');
      expect(res.text).to.include('must be a time such as 19:30');
      expect(res.text).to.include('value="25:61"');
      expect(await groupCount(tenant)).to.equal(before);
    });

    it('refuses group changes to levels 4 and 5, group leaders included, with 403', async () => {
      const before = await groupCount(tenant);
      for (const agent of [viewer, plain, leader]) {
        const _csrf = await csrfToken(agent, host, '/');
        for (const path of ['/groups/new', `/groups/${groupA.id}/edit`])
          expect((await agent.get(path).set('Host', host)).status, path).to.equal(403);
        for (const path of ['/groups', `/groups/${groupA.id}`, `/groups/${groupA.id}/delete`]) {
          const res = await agent
            .post(path)
            .set('Host', host)
            .type('form')
            .send({ _csrf, name: 'Taken over' });
          expect(res.status, path).to.equal(403);
        }
      }
      expect(await groupCount(tenant)).to.equal(before);
      expect((await findGroup(tenant, groupA.id))?.name).to.equal('Alpha Group');
    });

    it('saves an edit and audits what changed', async () => {
      const group = await createGroup(tenant, { name: 'Renamable' });
      const form = await admin.get(`/groups/${group.id}/edit`).set('Host', host);
      expect(form.status).to.equal(200);
      expect(form.text).to.include('value="Renamable"');
      const res = await postForm(admin, host, `/groups/${group.id}`, {
        name: 'Renamed',
        description: '',
        meetingDay: '0',
        meetingTime: '',
      });
      expect(res.status).to.equal(302);
      expect((await findGroup(tenant, group.id))?.name).to.equal('Renamed');
      const [entry] = await auditEntries(tenant, 'group.updated');
      expect(entry.changes.name).to.deep.equal({ from: 'Renamable', to: 'Renamed' });
      expect(entry.changes.meetingDay).to.deep.equal({ from: null, to: 0 });
    });

    it('refuses renaming to a name another group has with 422', async () => {
      const res = await postForm(admin, host, `/groups/${groupB.id}`, { name: 'Alpha Group' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('is already the name of another group');
      expect((await findGroup(tenant, groupB.id))?.name).to.equal('Bravo Group');
    });

    it('deletes a group with its roster and meetings, and audits it', async () => {
      const group = await createGroup(tenant, { name: 'Short Lived' });
      await addToGroup(tenant, group, alice);
      await createEvent(tenant, { groupId: group.id });
      const res = await postForm(admin, host, `/groups/${group.id}/delete`, {});
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/groups');
      expect(await findGroup(tenant, group.id)).to.equal(null);
      expect(await inTenant(tenant, () => GroupMember.count({ where: { groupId: group.id } }))).to.equal(0);
      expect(await inTenant(tenant, () => Event.count({ where: { groupId: group.id } }))).to.equal(0);
      const [entry] = await auditEntries(tenant, 'group.deleted');
      expect(entry.recordLabel).to.equal('Short Lived');
      expect(entry.changes.people).to.deep.equal({ from: 1, to: null });
    });

    it('answers 404 when level 0 edits or deletes a group that does not exist', async () => {
      expect((await admin.get('/groups/987654321/edit').set('Host', host)).status).to.equal(404);
      expect((await postForm(admin, host, '/groups/abc/delete', {})).status).to.equal(404);
    });
  });

  describe('the roster', () => {
    it('lets a leader add a person to their own group, with an audit entry', async () => {
      const dan = await createMember(tenant, { firstName: 'Dan', lastName: 'Added' });
      const res = await postForm(leader, host, `/groups/${groupA.id}/members`, {
        memberId: dan.id,
        role: 'member',
        q: 'add',
      });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(`/groups/${groupA.id}?q=add`);
      expect(await rosterOf(tenant, groupA.id)).to.include(`${dan.id}:member`);
      const [entry] = await auditEntries(tenant, 'group.member_added');
      expect(entry.recordId).to.equal(String(groupA.id));
      expect(entry.changes.member).to.deep.equal({ from: null, to: 'Dan Added' });
    });

    it('lets level 0 add a leader, change a role and remove a person, each audited', async () => {
      const group = await createGroup(tenant);
      const erin = await createMember(tenant, { firstName: 'Erin', lastName: 'Roles' });
      let res = await postForm(admin, host, `/groups/${group.id}/members`, {
        memberId: erin.id,
        role: 'leader',
      });
      expect(res.status).to.equal(302);
      expect(await rosterOf(tenant, group.id)).to.deep.equal([`${erin.id}:leader`]);

      res = await postForm(admin, host, `/groups/${group.id}/members/${erin.id}/role`, { role: 'member' });
      expect(res.status).to.equal(302);
      expect(await rosterOf(tenant, group.id)).to.deep.equal([`${erin.id}:member`]);
      const [changed] = await auditEntries(tenant, 'group.member_role_changed');
      expect(changed.changes.role).to.deep.equal({ from: 'leader', to: 'member' });

      res = await postForm(admin, host, `/groups/${group.id}/members/${erin.id}/delete`, {});
      expect(res.status).to.equal(302);
      expect(await rosterOf(tenant, group.id)).to.deep.equal([]);
      const [removed] = await auditEntries(tenant, 'group.member_removed');
      expect(removed.changes.member).to.deep.equal({ from: 'Erin Roles', to: null });
    });

    it("answers 404 to a leader of A changing B's roster, and changes nothing", async () => {
      const before = await rosterOf(tenant, groupB.id);
      const outsider = await createMember(tenant);
      const tries = [
        [`/groups/${groupB.id}/members`, { memberId: outsider.id, role: 'leader' }],
        [`/groups/${groupB.id}/members/${bob.id}/delete`, {}],
        [`/groups/${groupB.id}/members/${bob.id}/role`, { role: 'leader' }],
      ] as const;
      for (const [path, body] of tries) {
        const res = await postForm(leader, host, path, { ...body });
        expect(res.status, path).to.equal(404);
      }
      expect(await rosterOf(tenant, groupB.id)).to.deep.equal(before);
    });

    it('answers 403 to level 4 and 404 to a level-5 non-leader changing a roster, and changes nothing', async () => {
      const before = await rosterOf(tenant, groupA.id);
      for (const [agent, status] of [
        [viewer, 403],
        [plain, 404],
      ] as const) {
        const add = await postForm(agent, host, `/groups/${groupA.id}/members`, { memberId: bob.id });
        expect(add.status).to.equal(status);
        const remove = await postForm(agent, host, `/groups/${groupA.id}/members/${alice.id}/delete`, {});
        expect(remove.status).to.equal(status);
        const role = await postForm(agent, host, `/groups/${groupA.id}/members/${alice.id}/role`, {
          role: 'leader',
        });
        expect(role.status).to.equal(status);
      }
      expect(await rosterOf(tenant, groupA.id)).to.deep.equal(before);
    });

    it('refuses a person already in the group, an unknown person and a bad role with 422', async () => {
      const before = await rosterOf(tenant, groupA.id);
      let res = await postForm(leader, host, `/groups/${groupA.id}/members`, { memberId: alice.id });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('Alice Anders is already in Alpha Group');
      res = await postForm(leader, host, `/groups/${groupA.id}/members`, { memberId: '987654321' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('no longer on record');
      res = await postForm(leader, host, `/groups/${groupA.id}/members`, { memberId: 'x1', role: 'boss' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('choose a person');
      res = await postForm(leader, host, `/groups/${groupA.id}/members/${alice.id}/role`, { role: 'boss' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('must be leader or member');
      expect(await rosterOf(tenant, groupA.id)).to.deep.equal(before);
    });

    it('answers 404 for a person not in the group or a malformed person id', async () => {
      for (const path of [
        `/groups/${groupA.id}/members/${bob.id}/delete`,
        `/groups/${groupA.id}/members/abc/delete`,
        `/groups/${groupA.id}/members/99999999999999999999/role`,
        '/groups/abc/members',
      ]) {
        const res = await postForm(admin, host, path, { role: 'leader', memberId: bob.id });
        expect(res.status, path).to.equal(404);
      }
    });

    it('sends a leader who steps down to the group list, where the group no longer shows', async () => {
      const group = await createGroup(tenant, { name: 'Stepping Down' });
      const lead = await createLinkedUser(tenant, { leads: group });
      const agent = await signedIn(tenant, lead.email);
      const res = await postForm(agent, host, `/groups/${group.id}/members/${lead.member.id}/role`, {
        role: 'member',
      });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('/groups');
      expect((await agent.get(`/groups/${group.id}`).set('Host', host)).status).to.equal(404);
    });
  });

  describe('a company', () => {
    it('calls groups teams', async () => {
      const company = await createTenant({ kind: 'company' });
      await createGroup(company, { name: 'Platform Team' });
      const agent = await signedIn(company, adminEmail(company));
      const res = await agent.get('/groups').set('Host', hostOf(company));
      expect(res.status).to.equal(200);
      expect(res.text).to.include('<h1 class="h3 mb-0">Teams</h1>');
      expect(res.text).to.include('New team').and.to.include('Platform Team');
      const form = await agent.get('/groups/new').set('Host', hostOf(company));
      expect(form.text).to.include('New team');
    });
  });
});
