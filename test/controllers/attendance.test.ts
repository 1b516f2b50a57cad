import { expect } from 'chai';
import type supertest from 'supertest';
import { Event, type Group, type Member, type Tenant } from '../../app/models/index.ts';
import { attendanceOf } from '../../app/services/attendance.ts';
import { postForm } from '../support/auth.ts';
import { createTenant, hostOf, uniqueSlug } from '../support/factories.ts';
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
  signInGroupAgents,
} from '../support/groups.ts';

function sorted(...members: Member[]): string[] {
  return members.map((m) => String(m.id)).sort();
}

/** The ids the checklist shows, in page order. */
function listed(html: string): string[] {
  return [...html.matchAll(/name="shown" value="(\d+)"/g)].map((m) => m[1]);
}

function ticked(html: string): string[] {
  return [...html.matchAll(/name="present" value="(\d+)" checked/g)].map((m) => m[1]).sort();
}

describe('taking attendance (/events/:id/attendance)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;
  let viewer: supertest.Agent; // level 4
  let plain: supertest.Agent; // level 5, leads nothing
  let leader: supertest.Agent; // level 5, leads A
  let groupA: Group;
  let groupB: Group;
  let a1: Member;
  let a2: Member;
  let a3: Member;
  let b1: Member;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    groupA = await createGroup(tenant, { name: 'Alpha Group' });
    groupB = await createGroup(tenant, { name: 'Bravo Group' });
    const lead = await createLinkedUser(tenant, { leads: groupA });
    a1 = await createMember(tenant, { firstName: 'Ann', lastName: 'Able' });
    a2 = await createMember(tenant, { firstName: 'Amos', lastName: 'Baker' });
    a3 = await createMember(tenant, { firstName: 'Ava', lastName: 'Cole' });
    b1 = await createMember(tenant, { firstName: 'Ben', lastName: 'Dane' });
    for (const m of [a1, a2, a3]) await addToGroup(tenant, groupA, m);
    await addToGroup(tenant, groupB, b1);
    ({ admin, viewer, plain, leader } = await signInGroupAgents(tenant, lead.email));
  });

  describe('the checklist', () => {
    it("lists a meeting's roster, with the people already present ticked, for the group's leader", async () => {
      const event = await createEvent(tenant, { groupId: groupA.id });
      await markPresent(tenant, event, [a2]);
      const res = await leader.get(`/events/${event.id}/attendance`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(listed(res.text)).to.include.members(sorted(a1, a2, a3));
      expect(listed(res.text)).not.to.include(String(b1.id));
      expect(ticked(res.text)).to.deep.equal(sorted(a2));
      expect(res.text).to.include('form-check-input').and.to.include('list-group-item');
      expect(res.text).to.include('name="visitorCount"');
    });

    it("lists a service's members and regulars matching ?q=, plus whoever is already present", async () => {
      const tag = uniqueSlug('Zed');
      const regular = await createMember(tenant, {
        firstName: 'Rita',
        lastName: `${tag}`,
        status: 'regular',
      });
      const visitor = await createMember(tenant, { firstName: 'Vic', lastName: `${tag}`, status: 'visitor' });
      const gone = await createMember(tenant, { firstName: 'Ina', lastName: `${tag}`, status: 'inactive' });
      const service = await createEvent(tenant, { title: 'Service' });
      await markPresent(tenant, service, [a1, visitor]);
      const res = await admin.get(`/events/${service.id}/attendance?q=${tag}`).set('Host', host);
      expect(res.status).to.equal(200);
      const ids = listed(res.text);
      expect(ids).to.include(String(regular.id));
      expect(ids).to.include(String(visitor.id)); // present, so listed though a visitor
      expect(ids).to.include(String(a1.id)); // present, so listed though not matching
      expect(ids).not.to.include(String(gone.id));
      expect(ids).not.to.include(String(a2.id));
      expect(ticked(res.text)).to.deep.equal(sorted(a1, visitor));
    });
  });

  describe('saving', () => {
    it('adds and removes the difference in one go, sets the visitors and audits the counts', async () => {
      const event = await createEvent(tenant, { groupId: groupA.id });
      await markPresent(tenant, event, [a1, a2]);
      const res = await postForm(leader, host, `/events/${event.id}/attendance`, {
        shown: [a1.id, a2.id, a3.id],
        present: [a2.id, a3.id],
        visitorCount: '5',
      });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(`/events/${event.id}`);
      expect(await presentIds(tenant, event.id)).to.deep.equal(sorted(a2, a3));
      const [entry] = await auditEntries(tenant, 'attendance.recorded');
      expect(entry.recordId).to.equal(String(event.id));
      expect(entry.changes.added).to.deep.equal({ from: null, to: 1 });
      expect(entry.changes.removed).to.deep.equal({ from: null, to: 1 });
      expect(entry.changes.attendees).to.deep.equal({ from: 2, to: 2 });
      expect(entry.changes.visitorCount).to.deep.equal({ from: 0, to: 5 });
      const page = await leader.get(`/events/${event.id}`).set('Host', host);
      expect(page.text).to.include('Amos Baker').and.to.include('Ava Cole').and.not.to.include('Ann Able');
      expect(page.text)
        .to.match(/id="present-count">2</)
        .and.to.match(/id="visitor-count">5</);
    });

    it('leaves alone the people the form did not show', async () => {
      const service = await createEvent(tenant);
      await markPresent(tenant, service, [a1, a2]);
      const res = await postForm(admin, host, `/events/${service.id}/attendance`, {
        shown: [a3.id],
        present: [a3.id],
      });
      expect(res.status).to.equal(302);
      expect(await presentIds(tenant, service.id)).to.deep.equal(sorted(a1, a2, a3));
    });

    it('replaces everyone when the form does not say whom it showed, and can clear the list', async () => {
      const service = await createEvent(tenant);
      await markPresent(tenant, service, [a1, a2]);
      let res = await postForm(admin, host, `/events/${service.id}/attendance`, { present: [a3.id] });
      expect(res.status).to.equal(302);
      expect(await presentIds(tenant, service.id)).to.deep.equal(sorted(a3));
      res = await postForm(admin, host, `/events/${service.id}/attendance`, { shown: [a3.id] });
      expect(res.status).to.equal(302);
      expect(await presentIds(tenant, service.id)).to.deep.equal([]);
      const [entry] = await auditEntries(tenant, 'attendance.recorded');
      expect(entry.changes.removed).to.deep.equal({ from: null, to: 1 });
    });

    it('writes no audit entry when nothing changed', async () => {
      const event = await createEvent(tenant, { groupId: groupA.id });
      await markPresent(tenant, event, [a1]);
      const before = (await auditEntries(tenant, 'attendance.recorded')).length;
      const res = await postForm(leader, host, `/events/${event.id}/attendance`, {
        shown: [a1.id],
        present: [a1.id],
        visitorCount: '0',
      });
      expect(res.status).to.equal(302);
      expect((await auditEntries(tenant, 'attendance.recorded')).length).to.equal(before);
    });

    it('refuses someone outside the group, a malformed id and a bad visitor count with 422, and changes nothing', async () => {
      const event = await createEvent(tenant, { groupId: groupA.id, visitorCount: 1 });
      await markPresent(tenant, event, [a1]);
      const bodies: Record<string, string | string[]>[] = [
        { shown: [a1.id, b1.id], present: [a1.id, a2.id, b1.id] },
        { present: ['abc'] },
        { present: [a1.id], visitorCount: 'many' },
      ];
      for (const body of bodies) {
        const res = await postForm(leader, host, `/events/${event.id}/attendance`, body);
        expect(res.status, JSON.stringify(body)).to.equal(422);
        expect(res.text).to.include('Save attendance');
      }
      const last = await postForm(leader, host, `/events/${event.id}/attendance`, {
        present: [a1.id],
        visitorCount: 'many',
      });
      expect(last.text).to.include('must be a whole number').and.to.include('value="many"');
      expect(await presentIds(tenant, event.id)).to.deep.equal(sorted(a1));
      const again = await inTenant(tenant, () => Event.findByPk(event.id));
      expect(again?.visitorCount).to.equal(1);
    });
  });

  describe('access', () => {
    let meetingB: Event;
    let service: Event;

    before(async () => {
      meetingB = await createEvent(tenant, { groupId: groupB.id });
      service = await createEvent(tenant);
      await markPresent(tenant, meetingB, [b1]);
    });

    it("answers 404 to a leader of A taking B's attendance or a service's, and changes nothing", async () => {
      for (const event of [meetingB, service]) {
        expect((await leader.get(`/events/${event.id}/attendance`).set('Host', host)).status).to.equal(404);
        const res = await postForm(leader, host, `/events/${event.id}/attendance`, { present: [a1.id] });
        expect(res.status).to.equal(404);
      }
      expect(await presentIds(tenant, meetingB.id)).to.deep.equal(sorted(b1));
      expect(await presentIds(tenant, service.id)).to.deep.equal([]);
    });

    it('answers 403 to level 4 and 404 to a level-5 non-leader, and changes nothing', async () => {
      for (const [agent, status] of [
        [viewer, 403],
        [plain, 404],
      ] as const) {
        expect((await agent.get(`/events/${meetingB.id}/attendance`).set('Host', host)).status).to.equal(
          status,
        );
        const res = await postForm(agent, host, `/events/${meetingB.id}/attendance`, { present: [] });
        expect(res.status).to.equal(status);
      }
      expect(await presentIds(tenant, meetingB.id)).to.deep.equal(sorted(b1));
    });

    it('answers 404 for a malformed or unknown event id', async () => {
      for (const path of [
        '/events/abc/attendance',
        '/events/99999999999999999999/attendance',
        '/events/987654321/attendance',
      ])
        expect((await admin.get(path).set('Host', host)).status, path).to.equal(404);
      expect((await postForm(admin, host, '/events/abc/attendance', { present: [] })).status).to.equal(404);
    });
  });

  describe('a person’s history (attendanceOf)', () => {
    it('lists the events a person attended, the latest first, up to the limit', async () => {
      const person = await createMember(tenant);
      const older = await createEvent(tenant, { title: 'Older', startsAt: new Date('2025-03-02T10:00:00Z') });
      const newer = await createEvent(tenant, {
        title: 'Newer',
        groupId: groupA.id,
        startsAt: new Date('2025-03-05T19:00:00Z'),
      });
      await createEvent(tenant, { title: 'Missed', startsAt: new Date('2025-03-09T10:00:00Z') });
      await markPresent(tenant, older, [person]);
      await markPresent(tenant, newer, [person]);
      const history = await inTenant(tenant, () => attendanceOf(person.id, 10));
      expect(history.map((h) => h.title)).to.deep.equal(['Newer', 'Older']);
      expect(history[0]).to.include({
        kind: 'group_meeting',
        groupName: 'Alpha Group',
        groupId: String(groupA.id),
      });
      expect(history[0].startsAt.toISOString()).to.equal('2025-03-05T19:00:00.000Z');
      expect((await inTenant(tenant, () => attendanceOf(person.id, 1))).map((h) => h.title)).to.deep.equal([
        'Newer',
      ]);
    });
  });
});
