import { expect } from 'chai';
import {
  Event,
  Group,
  type Member,
  Notification,
  Setting,
  type Tenant,
  User,
} from '../../app/models/index.ts';
import { type ApiClient, apiClient } from '../support/api.ts';
import { createUser } from '../support/auth.ts';
import { adminEmail, createTenant } from '../support/factories.ts';
import {
  addToGroup,
  auditEntries,
  createEvent,
  createGroup,
  createLinkedUser,
  createMember,
  inTenant,
  markPresent,
  presentIds,
  rosterOf,
} from '../support/groups.ts';

const DAY = 86_400_000;

function findGroup(tenant: Tenant, id: string): Promise<Group | null> {
  return inTenant(tenant, () => Group.findByPk(id));
}

function findEvent(tenant: Tenant, id: string): Promise<Event | null> {
  return inTenant(tenant, () => Event.findByPk(id));
}

describe('the groups and events API (/api/v1/groups, /api/v1/events)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let admin: ApiClient; // level 0
  let viewer: ApiClient; // level 4
  let plain: ApiClient; // level 5, leads nothing
  let leader: ApiClient; // level 5, leads A
  let groupA: Group;
  let groupB: Group;
  let alice: Member;
  let bob: Member;
  let leah: Member;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    groupA = await createGroup(tenant, { name: 'Alpha Group', meetingDay: 3, meetingTime: '19:30' });
    groupB = await createGroup(tenant, { name: 'Bravo Group' });
    const lead = await createLinkedUser(tenant, { leads: groupA, name: 'Leah' });
    leah = lead.member;
    alice = await createMember(tenant, { firstName: 'Alice', lastName: 'Anders' });
    bob = await createMember(tenant, { firstName: 'Bob', lastName: 'Brightwater' });
    await addToGroup(tenant, groupA, alice);
    await addToGroup(tenant, groupB, bob);
    const superAdmin = await inTenant(tenant, () => User.findOne({ where: { email: adminEmail(tenant) } }));
    if (!superAdmin) throw new Error('no super admin');
    admin = await apiClient(tenant, superAdmin);
    viewer = await apiClient(tenant, await createUser(tenant, { level: 4 }));
    plain = await apiClient(tenant, await createUser(tenant, { level: 5 }));
    leader = await apiClient(tenant, lead.user);
  });

  describe('groups', () => {
    it('lists every group with its leaders and size to level 4, filtered by name', async () => {
      const res = await viewer.get('/api/v1/groups');
      expect(res.status, res.text).to.equal(200);
      const alpha = res.body.data.find((g: { id: string }) => g.id === String(groupA.id));
      expect(alpha).to.include({ name: 'Alpha Group', meetingDay: 3, meetingTime: '19:30', memberCount: 2 });
      expect(alpha.leaders).to.deep.equal([`Leah ${leah.lastName}`]);
      expect(res.body.data.map((g: { name: string }) => g.name)).to.include('Bravo Group');
      const filtered = await viewer.get('/api/v1/groups?q=brav');
      expect(filtered.body.data.map((g: { name: string }) => g.name)).to.deep.equal(['Bravo Group']);
      expect(filtered.body.total).to.equal(1);
    });

    it('pages the list with limit and cursor', async () => {
      const first = await admin.get('/api/v1/groups?limit=1');
      expect(first.status).to.equal(200);
      expect(first.body.data).to.have.length(1);
      expect(first.body.total).to.be.at.least(2);
      expect(first.body.nextCursor).to.be.a('string');
      expect(first.headers.link).to.include('rel="next"');
      const second = await admin.get(`/api/v1/groups?limit=1&cursor=${first.body.nextCursor}`);
      expect(second.status).to.equal(200);
      expect(second.body.data[0].id).not.to.equal(first.body.data[0].id);
      expect(second.body.data[0].name > first.body.data[0].name).to.equal(true);
      const forged = await admin.get('/api/v1/groups?cursor=not-a-cursor');
      expect(forged.status).to.equal(400);
    });

    it('lists a leader only the groups they lead, and someone who leads nothing none', async () => {
      const mine = await leader.get('/api/v1/groups');
      expect(mine.body.data.map((g: { id: string }) => g.id)).to.deep.equal([String(groupA.id)]);
      const none = await plain.get('/api/v1/groups');
      expect(none.status).to.equal(200);
      expect(none.body).to.deep.include({ data: [], total: 0, nextCursor: null });
    });

    it('shows a group, with an ETag that answers 304 when current', async () => {
      const res = await leader.get(`/api/v1/groups/${groupA.id}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: String(groupA.id), name: 'Alpha Group' });
      const again = await leader.get(`/api/v1/groups/${groupA.id}`, { 'If-None-Match': res.headers.etag });
      expect(again.status).to.equal(304);
    });

    it('answers 404 to a leader of A asking for B, to a non-leader, and for an unknown or malformed id', async () => {
      expect((await leader.get(`/api/v1/groups/${groupB.id}`)).status).to.equal(404);
      expect((await plain.get(`/api/v1/groups/${groupA.id}`)).status).to.equal(404);
      expect((await admin.get('/api/v1/groups/987654321')).status).to.equal(404);
      expect((await admin.get('/api/v1/groups/abc')).status).to.equal(404);
    });

    it('lets level 0 create a group: 201, Location, the stored values and an audit entry', async () => {
      const res = await admin.post('/api/v1/groups', {
        name: 'Choir',
        description: 'Sings',
        meetingDay: 4,
        meetingTime: '18:00',
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.headers.location).to.equal(`/api/v1/groups/${res.body.id}`);
      expect(res.body).to.include({ name: 'Choir', meetingDay: 4, meetingTime: '18:00', memberCount: 0 });
      const stored = await findGroup(tenant, res.body.id);
      expect(stored?.meetingTime).to.equal('18:00:00');
      const [entry] = await auditEntries(tenant, 'group.created');
      expect(entry.recordId).to.equal(res.body.id);
      expect(entry.changes.name).to.deep.equal({ from: null, to: 'Choir' });
    });

    it('takes the form strings as well as JSON numbers and nulls', async () => {
      const res = await admin.post('/api/v1/groups', { name: 'Strings', meetingDay: '2', meetingTime: '' });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.include({ meetingDay: 2, meetingTime: null, description: null });
    });

    it('creates once for a repeated Idempotency-Key', async () => {
      const key = { 'Idempotency-Key': 'group-create-once' };
      const first = await admin.post('/api/v1/groups', { name: 'Once Only' }, key);
      const second = await admin.post('/api/v1/groups', { name: 'Once Only' }, key);
      expect(first.status).to.equal(201);
      expect(second.status).to.equal(201);
      expect(second.body.id).to.equal(first.body.id);
      expect(await inTenant(tenant, () => Group.count({ where: { name: 'Once Only' } }))).to.equal(1);
    });

    it('refuses a duplicate name, a bad day and time, and an unknown field with 422 and a field map', async () => {
      const before = await inTenant(tenant, () => Group.count());
      const duplicate = await admin.post('/api/v1/groups', { name: 'alpha group' });
      expect(duplicate.status).to.equal(422);
      expect(duplicate.body.fields).to.have.property('name');
      const bad = await admin.post('/api/v1/groups', { name: 'Bad', meetingDay: 9, meetingTime: '25:00' });
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.include({ meetingDay: 'must be a day of the week' });
      expect(bad.body.fields).to.have.property('meetingTime');
      const unknown = await admin.post('/api/v1/groups', { name: 'Extra', colour: 'red' });
      expect(unknown.status).to.equal(422);
      expect(unknown.body.fields).to.have.property('colour');
      const array = await admin.post('/api/v1/groups', [{ name: 'Listed' }]);
      expect(array.status).to.equal(422);
      expect(await inTenant(tenant, () => Group.count())).to.equal(before);
    });

    it('refuses group changes to level 4 and to group leaders with 403, and changes nothing', async () => {
      for (const client of [viewer, leader]) {
        expect((await client.post('/api/v1/groups', { name: 'Sneaky' })).status).to.equal(403);
        expect((await client.patch(`/api/v1/groups/${groupA.id}`, { name: 'Renamed' })).status).to.equal(403);
        expect((await client.delete(`/api/v1/groups/${groupA.id}`)).status).to.equal(403);
      }
      expect(await inTenant(tenant, () => Group.count({ where: { name: 'Sneaky' } }))).to.equal(0);
      expect((await findGroup(tenant, groupA.id))?.name).to.equal('Alpha Group');
    });

    it('changes only the fields sent, audits them, and refuses a stale If-Match with 412', async () => {
      const group = await createGroup(tenant, { name: 'Patchable', meetingDay: 1, meetingTime: '09:00' });
      const read = await admin.get(`/api/v1/groups/${group.id}`);
      const res = await admin.patch(
        `/api/v1/groups/${group.id}`,
        { meetingTime: '10:15' },
        { 'If-Match': read.headers.etag },
      );
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ name: 'Patchable', meetingDay: 1, meetingTime: '10:15' });
      const [entry] = await auditEntries(tenant, 'group.updated');
      expect(entry.recordId).to.equal(String(group.id));
      expect(Object.keys(entry.changes)).to.deep.equal(['meetingTime']);
      const stale = await admin.patch(
        `/api/v1/groups/${group.id}`,
        { name: 'Late' },
        { 'If-Match': read.headers.etag },
      );
      expect(stale.status).to.equal(412);
      expect((await findGroup(tenant, group.id))?.name).to.equal('Patchable');
      const taken = await admin.patch(`/api/v1/groups/${group.id}`, { name: 'Bravo Group' });
      expect(taken.status).to.equal(422);
      expect(taken.body.fields).to.have.property('name');
    });

    it('deletes a group with its roster, audits it, and then answers 404', async () => {
      const group = await createGroup(tenant, { name: 'Short Lived' });
      await addToGroup(tenant, group, bob);
      const res = await admin.delete(`/api/v1/groups/${group.id}`);
      expect(res.status).to.equal(204);
      expect(await findGroup(tenant, group.id)).to.equal(null);
      expect(await rosterOf(tenant, group.id)).to.deep.equal([]);
      const [entry] = await auditEntries(tenant, 'group.deleted');
      expect(entry.recordId).to.equal(String(group.id));
      expect((await admin.delete(`/api/v1/groups/${group.id}`)).status).to.equal(404);
    });
  });

  describe('rosters', () => {
    it('lists leaders first, filters by role and pages', async () => {
      const res = await viewer.get(`/api/v1/groups/${groupA.id}/members`);
      expect(res.status).to.equal(200);
      expect(res.body.data[0]).to.include({ memberId: String(leah.id), role: 'leader' });
      expect(res.body.data.map((e: { memberId: string }) => e.memberId)).to.include(String(alice.id));
      const leaders = await viewer.get(`/api/v1/groups/${groupA.id}/members?role=leader`);
      expect(leaders.body.data.map((e: { memberId: string }) => e.memberId)).to.deep.equal([String(leah.id)]);
      const first = await viewer.get(`/api/v1/groups/${groupA.id}/members?limit=1`);
      expect(first.body.data).to.have.length(1);
      const second = await viewer.get(
        `/api/v1/groups/${groupA.id}/members?limit=1&cursor=${first.body.nextCursor}`,
      );
      expect(second.body.data[0].memberId).to.equal(String(alice.id));
      expect((await viewer.get(`/api/v1/groups/${groupA.id}/members?role=boss`)).status).to.equal(422);
    });

    it('lets a leader add a person to their own group, with an audit entry', async () => {
      const carol = await createMember(tenant, { firstName: 'Carol', lastName: 'Chen' });
      const res = await leader.post(`/api/v1/groups/${groupA.id}/members`, { memberId: String(carol.id) });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.include({ memberId: String(carol.id), role: 'member', lastName: 'Chen' });
      expect(res.headers.location).to.equal(`/api/v1/groups/${groupA.id}/members/${carol.id}`);
      expect(await rosterOf(tenant, groupA.id)).to.include(`${carol.id}:member`);
      const [entry] = await auditEntries(tenant, 'group.member_added');
      expect(entry.recordId).to.equal(String(groupA.id));
      expect(entry.changes.memberId).to.deep.equal({ from: null, to: String(carol.id) });
      const shown = await leader.get(res.headers.location);
      expect(shown.status).to.equal(200);
      expect(shown.body.role).to.equal('member');
    });

    it('tells a staff user added to a group, with a link to it when they may now see it', async () => {
      const staff = await createLinkedUser(tenant, { name: 'Fay' });
      const res = await admin.post(`/api/v1/groups/${groupB.id}/members`, {
        memberId: String(staff.member.id),
        role: 'leader',
      });
      expect(res.status, res.text).to.equal(201);
      const notices = await inTenant(tenant, () =>
        Notification.findAll({ where: { userId: staff.user.id, kind: 'group.member_added' } }),
      );
      expect(notices).to.have.length(1);
      expect(notices[0].title).to.include('Bravo Group as a leader');
      expect(notices[0].url).to.equal(`/groups/${groupB.id}`);
      const led = await (await apiClient(tenant, staff.user)).get('/api/v1/groups');
      expect(led.body.data.map((g: { id: string }) => g.id)).to.deep.equal([String(groupB.id)]);
    });

    it('refuses a person already in the group, an unknown person, a bad role and an unknown field with 422', async () => {
      const before = await rosterOf(tenant, groupA.id);
      const path = `/api/v1/groups/${groupA.id}/members`;
      const taken = await admin.post(path, { memberId: String(alice.id) });
      expect(taken.status).to.equal(422);
      expect(taken.body.fields.memberId).to.include('already in Alpha Group');
      const unknown = await admin.post(path, { memberId: '987654321' });
      expect(unknown.status).to.equal(422);
      expect(unknown.body.fields).to.have.property('memberId');
      const role = await admin.post(path, { memberId: String(bob.id), role: 'boss' });
      expect(role.status).to.equal(422);
      expect(role.body.fields).to.include({ role: 'must be leader or member' });
      const extra = await admin.post(path, { memberId: String(bob.id), note: 'hi' });
      expect(extra.status).to.equal(422);
      expect(extra.body.fields).to.have.property('note');
      expect(await rosterOf(tenant, groupA.id)).to.deep.equal(before);
    });

    it('makes a member a leader and back, audited, and refuses a stale If-Match with 412', async () => {
      const dan = await createMember(tenant, { firstName: 'Dan', lastName: 'Dunn' });
      await addToGroup(tenant, groupB, dan);
      const path = `/api/v1/groups/${groupB.id}/members/${dan.id}`;
      const read = await admin.get(path);
      const res = await admin.patch(path, { role: 'leader' }, { 'If-Match': read.headers.etag });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.role).to.equal('leader');
      expect(await rosterOf(tenant, groupB.id)).to.include(`${dan.id}:leader`);
      const [entry] = await auditEntries(tenant, 'group.member_role_changed');
      expect(entry.changes.role).to.deep.equal({ from: 'member', to: 'leader' });
      const stale = await admin.patch(path, { role: 'member' }, { 'If-Match': read.headers.etag });
      expect(stale.status).to.equal(412);
      expect(await rosterOf(tenant, groupB.id)).to.include(`${dan.id}:leader`);
    });

    it('removes a person, audited, and answers 404 for someone not in the group', async () => {
      const erin = await createMember(tenant, { firstName: 'Erin', lastName: 'Eke' });
      await addToGroup(tenant, groupA, erin);
      const res = await leader.delete(`/api/v1/groups/${groupA.id}/members/${erin.id}`);
      expect(res.status).to.equal(204);
      expect(await rosterOf(tenant, groupA.id)).not.to.include(`${erin.id}:member`);
      const [entry] = await auditEntries(tenant, 'group.member_removed');
      expect(entry.changes.memberId).to.deep.equal({ from: String(erin.id), to: null });
      expect((await leader.delete(`/api/v1/groups/${groupA.id}/members/${erin.id}`)).status).to.equal(404);
      expect(
        (await leader.patch(`/api/v1/groups/${groupA.id}/members/${bob.id}`, { role: 'leader' })).status,
      ).to.equal(404);
    });

    it("answers 404 to a leader of A reading or changing B's roster, and changes nothing", async () => {
      const before = await rosterOf(tenant, groupB.id);
      const path = `/api/v1/groups/${groupB.id}/members`;
      expect((await leader.get(path)).status).to.equal(404);
      expect((await leader.post(path, { memberId: String(alice.id) })).status).to.equal(404);
      expect((await leader.patch(`${path}/${bob.id}`, { role: 'leader' })).status).to.equal(404);
      expect((await leader.delete(`${path}/${bob.id}`)).status).to.equal(404);
      expect((await leader.get(`${path}/${bob.id}`)).status).to.equal(404);
      expect(await rosterOf(tenant, groupB.id)).to.deep.equal(before);
    });

    it('answers 403 to level 4 and 404 to a level-5 non-leader changing a roster, and changes nothing', async () => {
      const before = await rosterOf(tenant, groupA.id);
      const path = `/api/v1/groups/${groupA.id}/members`;
      expect((await viewer.post(path, { memberId: String(bob.id) })).status).to.equal(403);
      expect((await viewer.delete(`${path}/${alice.id}`)).status).to.equal(403);
      expect((await plain.post(path, { memberId: String(bob.id) })).status).to.equal(404);
      expect((await plain.delete(`${path}/${alice.id}`)).status).to.equal(404);
      expect(await rosterOf(tenant, groupA.id)).to.deep.equal(before);
    });
  });

  describe('events', () => {
    let service: Event;
    let meetingA: Event;
    let meetingB: Event;

    before(async () => {
      service = await createEvent(tenant, { title: 'Sunday Service', startsAt: new Date(Date.now() + DAY) });
      meetingA = await createEvent(tenant, {
        title: 'Alpha Evening',
        groupId: groupA.id,
        startsAt: new Date(Date.now() + 2 * DAY),
      });
      meetingB = await createEvent(tenant, {
        title: 'Bravo Evening',
        groupId: groupB.id,
        startsAt: new Date(Date.now() + 3 * DAY),
      });
    });

    it("filters by days on the tenant's clock, by group and by upcoming or past, and pages", async () => {
      await inTenant(tenant, () => Setting.upsert({ key: 'time_zone', value: 'Africa/Nairobi' }));
      try {
        // 22:00 UTC on 1 January is 01:00 on 2 January in Nairobi (UTC+3).
        const late = await createEvent(tenant, {
          title: 'Late Vigil',
          startsAt: new Date('2031-01-01T22:00:00Z'),
        });
        const early = await createEvent(tenant, {
          title: 'Early Prayer',
          startsAt: new Date('2031-01-01T20:00:00Z'),
        });
        const jan2 = await admin.get('/api/v1/events?from=2031-01-02&to=2031-01-02');
        expect(jan2.status, jan2.text).to.equal(200);
        expect(jan2.body.data.map((e: { id: string }) => e.id)).to.deep.equal([String(late.id)]);
        expect(jan2.body.data[0]).to.include({ date: '2031-01-02', time: '01:00' });
        const jan1 = await admin.get('/api/v1/events?from=2031-01-01&to=2031-01-01');
        expect(jan1.body.data.map((e: { id: string }) => e.id)).to.deep.equal([String(early.id)]);
        const both = await admin.get('/api/v1/events?from=2031-01-01&to=2031-01-02&limit=1');
        expect(both.body.total).to.equal(2);
        expect(both.body.data[0].id).to.equal(String(early.id));
        const next = await admin.get(
          `/api/v1/events?from=2031-01-01&to=2031-01-02&limit=1&cursor=${both.body.nextCursor}`,
        );
        expect(next.body.data[0].id).to.equal(String(late.id));
        expect(next.body.nextCursor).to.equal(null);
      } finally {
        await inTenant(tenant, () => Setting.destroy({ where: { key: 'time_zone' } }));
      }
      const past = await createEvent(tenant, {
        title: 'Last Week',
        groupId: groupA.id,
        startsAt: new Date(Date.now() - 7 * DAY),
      });
      const upcomingA = await admin.get(`/api/v1/events?when=upcoming&group=${groupA.id}`);
      expect(upcomingA.body.data.map((e: { id: string }) => e.id)).to.deep.equal([String(meetingA.id)]);
      const pastA = await admin.get(`/api/v1/events?when=past&group=${groupA.id}`);
      expect(pastA.body.data.map((e: { id: string }) => e.id)).to.deep.equal([String(past.id)]);
      expect((await admin.get('/api/v1/events?from=2031-02-30')).status).to.equal(422);
      expect((await admin.get('/api/v1/events?to=9999-12-31')).status).to.equal(422);
      expect((await admin.get('/api/v1/events?when=tomorrow')).status).to.equal(422);
    });

    it('lists a leader only the meetings of the groups they lead', async () => {
      const res = await leader.get('/api/v1/events?when=upcoming');
      const ids = res.body.data.map((e: { id: string }) => e.id);
      expect(ids).to.include(String(meetingA.id));
      expect(ids).not.to.include(String(meetingB.id)).and.not.to.include(String(service.id));
      expect((await plain.get('/api/v1/events')).body.data).to.deep.equal([]);
    });

    it("shows an event; a leader gets 404 for another group's meeting and for a service", async () => {
      const res = await leader.get(`/api/v1/events/${meetingA.id}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({
        title: 'Alpha Evening',
        kind: 'group_meeting',
        groupName: 'Alpha Group',
      });
      expect((await leader.get(`/api/v1/events/${meetingB.id}`)).status).to.equal(404);
      expect((await leader.get(`/api/v1/events/${service.id}`)).status).to.equal(404);
      expect((await plain.get(`/api/v1/events/${meetingA.id}`)).status).to.equal(404);
      expect((await admin.get('/api/v1/events/987654321')).status).to.equal(404);
    });

    it("plans a service on the tenant's clock, drops its group, and audits it", async () => {
      await inTenant(tenant, () => Setting.upsert({ key: 'time_zone', value: 'Africa/Nairobi' }));
      try {
        const res = await admin.post('/api/v1/events', {
          title: 'Carol Service',
          kind: 'service',
          groupId: String(groupA.id),
          date: '2026-12-20',
          time: '18:30',
          visitorCount: 3,
        });
        expect(res.status, res.text).to.equal(201);
        expect(res.body).to.include({
          startsAt: '2026-12-20T15:30:00.000Z',
          date: '2026-12-20',
          time: '18:30',
          groupId: null,
          visitorCount: 3,
        });
        expect(res.headers.location).to.equal(`/api/v1/events/${res.body.id}`);
        expect((await findEvent(tenant, res.body.id))?.groupId).to.equal(null);
        const [entry] = await auditEntries(tenant, 'event.created');
        expect(entry.recordId).to.equal(res.body.id);
        expect(entry.changes.title).to.deep.equal({ from: null, to: 'Carol Service' });
      } finally {
        await inTenant(tenant, () => Setting.destroy({ where: { key: 'time_zone' } }));
      }
    });

    it('lets a leader plan a meeting of their group, but not of another group nor a service (422)', async () => {
      const body = {
        title: 'Alpha Extra',
        kind: 'group_meeting',
        groupId: String(groupA.id),
        date: '2026-12-09',
        time: '19:30',
      };
      const res = await leader.post('/api/v1/events', body);
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.include({ groupId: String(groupA.id), groupName: 'Alpha Group' });
      const other = await leader.post('/api/v1/events', {
        ...body,
        title: 'Bravo Raid',
        groupId: String(groupB.id),
      });
      expect(other.status).to.equal(422);
      expect(other.body.fields).to.include({ groupId: 'choose one of the listed groups' });
      const service = await leader.post('/api/v1/events', {
        ...body,
        title: 'Leader Service',
        kind: 'service',
      });
      expect(service.status).to.equal(422);
      expect(service.body.fields).to.have.property('kind');
      expect(
        await inTenant(tenant, () => Event.count({ where: { title: ['Bravo Raid', 'Leader Service'] } })),
      ).to.equal(0);
    });

    it('refuses planning to level 4 and to a non-leader with 403, even with a bad body', async () => {
      const body = { title: 'Sneaky', kind: 'service', date: '2026-12-06', time: '10:00' };
      for (const client of [viewer, plain]) {
        expect((await client.post('/api/v1/events', body)).status).to.equal(403);
        expect((await client.post('/api/v1/events', { title: '' })).status).to.equal(403);
      }
      expect(await inTenant(tenant, () => Event.count({ where: { title: 'Sneaky' } }))).to.equal(0);
    });

    it('refuses a meeting without a group, a bad date and time, and an unknown field with 422', async () => {
      const res = await admin.post('/api/v1/events', {
        title: 'Lost',
        kind: 'group_meeting',
        date: '2026-02-30',
        time: '7pm',
      });
      expect(res.status).to.equal(422);
      expect(res.body.fields).to.have.keys('groupId', 'date', 'time');
      const extra = await admin.post('/api/v1/events', {
        title: 'Extra',
        kind: 'service',
        date: '2026-12-06',
        time: '10:00',
        location: 'Hall',
      });
      expect(extra.status).to.equal(422);
      expect(extra.body.fields).to.have.property('location');
    });

    it('changes only the fields sent, audits them, and refuses a stale If-Match with 412', async () => {
      const event = await createEvent(tenant, {
        title: 'Movable',
        groupId: groupA.id,
        startsAt: new Date('2030-05-05T18:00:00Z'),
      });
      const read = await leader.get(`/api/v1/events/${event.id}`);
      const res = await leader.patch(
        `/api/v1/events/${event.id}`,
        { title: 'Moved', time: '19:00' },
        { 'If-Match': read.headers.etag },
      );
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({
        title: 'Moved',
        date: '2030-05-05',
        time: '19:00',
        groupId: String(groupA.id),
      });
      const [entry] = await auditEntries(tenant, 'event.updated');
      expect(entry.recordId).to.equal(String(event.id));
      expect(Object.keys(entry.changes).sort()).to.deep.equal(['startsAt', 'title']);
      const stale = await leader.patch(
        `/api/v1/events/${event.id}`,
        { title: 'Late' },
        { 'If-Match': read.headers.etag },
      );
      expect(stale.status).to.equal(412);
      const moved = await leader.patch(`/api/v1/events/${event.id}`, { groupId: String(groupB.id) });
      expect(moved.status).to.equal(422);
      expect((await findEvent(tenant, event.id))?.title).to.equal('Moved');
    });

    it("answers 404 to a leader changing or deleting B's meeting, 403 to level 4, and changes nothing", async () => {
      expect((await leader.patch(`/api/v1/events/${meetingB.id}`, { title: 'Hijacked' })).status).to.equal(
        404,
      );
      expect((await leader.delete(`/api/v1/events/${meetingB.id}`)).status).to.equal(404);
      expect((await viewer.patch(`/api/v1/events/${service.id}`, { title: 'Hijacked' })).status).to.equal(
        403,
      );
      expect((await viewer.delete(`/api/v1/events/${service.id}`)).status).to.equal(403);
      expect((await plain.patch(`/api/v1/events/${meetingA.id}`, { title: 'Hijacked' })).status).to.equal(
        404,
      );
      expect((await findEvent(tenant, meetingB.id))?.title).to.equal('Bravo Evening');
      expect((await findEvent(tenant, service.id))?.title).to.equal('Sunday Service');
    });

    it('deletes an event with its attendance and audits it', async () => {
      const event = await createEvent(tenant, { title: 'Cancelled', groupId: groupA.id });
      await markPresent(tenant, event, [alice]);
      const res = await leader.delete(`/api/v1/events/${event.id}`);
      expect(res.status).to.equal(204);
      expect(await findEvent(tenant, event.id)).to.equal(null);
      expect(await presentIds(tenant, event.id)).to.deep.equal([]);
      const [entry] = await auditEntries(tenant, 'event.deleted');
      expect(entry.recordId).to.equal(String(event.id));
    });
  });

  describe('attendance', () => {
    it("shows who was present to those who see the event; a leader gets 404 for B's meeting", async () => {
      const event = await createEvent(tenant, { groupId: groupA.id, visitorCount: 2 });
      await markPresent(tenant, event, [alice]);
      const res = await viewer.get(`/api/v1/events/${event.id}/attendance`);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({ eventId: String(event.id), visitorCount: 2, attendeeCount: 1 });
      expect(res.body.present).to.deep.equal([
        { memberId: String(alice.id), firstName: 'Alice', lastName: 'Anders' },
      ]);
      const meetingB = await createEvent(tenant, { groupId: groupB.id });
      expect((await leader.get(`/api/v1/events/${meetingB.id}/attendance`)).status).to.equal(404);
    });

    it('replaces the attendees and visitors in one change, audited, and refuses a stale If-Match', async () => {
      const event = await createEvent(tenant, { groupId: groupA.id });
      await markPresent(tenant, event, [alice]);
      const path = `/api/v1/events/${event.id}/attendance`;
      const read = await leader.get(path);
      const res = await leader.put(
        path,
        { present: [String(leah.id)], visitorCount: 4 },
        { 'If-Match': read.headers.etag },
      );
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ added: 1, removed: 1, visitorCount: 4, attendeeCount: 1 });
      expect(await presentIds(tenant, event.id)).to.deep.equal([String(leah.id)]);
      const [entry] = await auditEntries(tenant, 'attendance.recorded');
      expect(entry.recordId).to.equal(String(event.id));
      expect(entry.changes.visitorCount).to.deep.equal({ from: 0, to: 4 });
      const stale = await leader.put(path, { present: [] }, { 'If-Match': read.headers.etag });
      expect(stale.status).to.equal(412);
      expect(await presentIds(tenant, event.id)).to.deep.equal([String(leah.id)]);
    });

    it('keeps the visitor count when it is left out, and refuses a body that does not say who was present', async () => {
      const event = await createEvent(tenant, { groupId: groupA.id, visitorCount: 5 });
      await markPresent(tenant, event, [alice]);
      const path = `/api/v1/events/${event.id}/attendance`;
      const missing = await admin.put(path, { visitorCount: 1 });
      expect(missing.status).to.equal(422);
      expect(missing.body.fields).to.include({ present: 'must be a list of member ids' });
      expect(await presentIds(tenant, event.id)).to.deep.equal([String(alice.id)]);
      const res = await admin.put(path, { present: [String(alice.id), String(leah.id)] });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ added: 1, removed: 0, visitorCount: 5 });
      expect((await findEvent(tenant, event.id))?.visitorCount).to.equal(5);
    });

    it('changes only the people listed in shown', async () => {
      const event = await createEvent(tenant, { groupId: groupA.id });
      await markPresent(tenant, event, [alice, leah]);
      const res = await admin.put(`/api/v1/events/${event.id}/attendance`, {
        present: [],
        shown: [String(alice.id)],
        visitorCount: '0',
      });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ added: 0, removed: 1 });
      expect(await presentIds(tenant, event.id)).to.deep.equal([String(leah.id)]);
    });

    it('refuses someone outside the group, a malformed id and a bad count with 422, and changes nothing', async () => {
      const event = await createEvent(tenant, { groupId: groupA.id });
      const path = `/api/v1/events/${event.id}/attendance`;
      const outsider = await admin.put(path, { present: [String(bob.id)] });
      expect(outsider.status).to.equal(422);
      expect(outsider.body.fields).to.have.property('present');
      const malformed = await admin.put(path, { present: ['abc'] });
      expect(malformed.status).to.equal(422);
      const count = await admin.put(path, { present: [], visitorCount: -1 });
      expect(count.status).to.equal(422);
      expect(count.body.fields).to.have.property('visitorCount');
      expect(await presentIds(tenant, event.id)).to.deep.equal([]);
    });

    it("answers 404 to a leader taking B's attendance, 403 to level 4, 404 to a non-leader, and changes nothing", async () => {
      const meetingB = await createEvent(tenant, { groupId: groupB.id });
      const meetingA = await createEvent(tenant, { groupId: groupA.id });
      expect(
        (await leader.put(`/api/v1/events/${meetingB.id}/attendance`, { present: [String(bob.id)] })).status,
      ).to.equal(404);
      expect(
        (await viewer.put(`/api/v1/events/${meetingA.id}/attendance`, { present: [String(alice.id)] }))
          .status,
      ).to.equal(403);
      expect(
        (await plain.put(`/api/v1/events/${meetingA.id}/attendance`, { present: [String(alice.id)] })).status,
      ).to.equal(404);
      expect(await presentIds(tenant, meetingB.id)).to.deep.equal([]);
      expect(await presentIds(tenant, meetingA.id)).to.deep.equal([]);
    });
  });
});
