import { expect } from 'chai';
import type supertest from 'supertest';
import { Event, type Group, Setting, type Tenant } from '../../app/models/index.ts';
import { csrfToken, postForm, signedIn } from '../support/auth.ts';
import { adminEmail, createTenant, hostOf } from '../support/factories.ts';
import {
  auditEntries,
  createEvent,
  createGroup,
  createLinkedUser,
  createMember,
  inTenant,
  markPresent,
  signInGroupAgents,
} from '../support/groups.ts';

function eventCount(tenant: Tenant): Promise<number> {
  return inTenant(tenant, () => Event.count());
}

function findEvent(tenant: Tenant, id: string): Promise<Event | null> {
  return inTenant(tenant, () => Event.findByPk(id));
}

const DAY = 86_400_000;

describe('events (/events)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;
  let viewer: supertest.Agent; // level 4
  let plain: supertest.Agent; // level 5, leads nothing
  let leader: supertest.Agent; // level 5, leads A
  let groupA: Group;
  let groupB: Group;
  let service: Event;
  let meetingA: Event;
  let meetingB: Event;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    groupA = await createGroup(tenant, { name: 'Alpha Group', meetingTime: '19:30' });
    groupB = await createGroup(tenant, { name: 'Bravo Group' });
    const lead = await createLinkedUser(tenant, { leads: groupA });
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
    ({ admin, viewer, plain, leader } = await signInGroupAgents(tenant, lead.email));
  });

  describe('the list', () => {
    it('shows services and every meeting to levels 0 and 4', async () => {
      for (const agent of [admin, viewer]) {
        const res = await agent.get('/events').set('Host', host);
        expect(res.status).to.equal(200);
        expect(res.text).to.include('Sunday Service').and.to.include('Alpha Evening');
        expect(res.text).to.include('Bravo Evening');
      }
    });

    it('shows a leader only the meetings of the groups they lead', async () => {
      const res = await leader.get('/events').set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('Alpha Evening');
      expect(res.text).not.to.include('Bravo Evening');
      expect(res.text).not.to.include('Sunday Service');
      const filtered = await leader.get(`/events?group=${groupB.id}`).set('Host', host);
      expect(filtered.status).to.equal(200);
      expect(filtered.text).not.to.include('Bravo Evening');
      expect(filtered.text).not.to.include('Bravo Group');
    });

    it('shows a level-5 user who leads nothing no events', async () => {
      const res = await plain.get('/events').set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('No upcoming events');
      expect(res.text).not.to.include('Plan an event');
    });

    it('separates upcoming from past, filters by group and pages', async () => {
      const group = await createGroup(tenant, { name: 'Paged Group' });
      for (let i = 1; i <= 27; i += 1)
        await createEvent(tenant, {
          title: `Past ${i}`,
          groupId: group.id,
          startsAt: new Date(Date.now() - i * DAY),
        });
      const first = await admin.get(`/events?when=past&group=${group.id}`).set('Host', host);
      expect(first.status).to.equal(200);
      expect(first.text).to.include('27 past events');
      expect(first.text).to.include('Past 1<').and.to.include('Past 25<');
      expect(first.text).not.to.include('Past 26<');
      expect(first.text).not.to.include('Alpha Evening');
      expect(first.text.indexOf('Past 1<')).to.be.lessThan(first.text.indexOf('Past 2<'));
      const second = await admin.get(`/events?when=past&group=${group.id}&page=2`).set('Host', host);
      expect(second.text).to.include('Past 26<').and.to.include('Past 27<');
      expect(second.text).not.to.include('Past 25<');
      const upcoming = await admin.get(`/events?group=${group.id}`).set('Host', host);
      expect(upcoming.text).to.include('0 upcoming events');
    });
    it('shows how many were present and how many visitors came', async () => {
      const group = await createGroup(tenant, { name: 'Counted Group' });
      const event = await createEvent(tenant, { title: 'Counted', groupId: group.id, visitorCount: 7 });
      await markPresent(tenant, event, [await createMember(tenant), await createMember(tenant)]);
      const res = await admin.get(`/events?when=past&group=${group.id}`).set('Host', host);
      expect(res.text).to.match(
        /Counted<\/a>[\s\S]*?<td class="text-end">2<\/td>\s*<td class="text-end d-none d-sm-table-cell">7<\/td>/,
      );
    });
  });

  describe('an event page', () => {
    it('shows a service to levels 0 and 4, with attendance only for level 0', async () => {
      const own = await admin.get(`/events/${service.id}`).set('Host', host);
      expect(own.status).to.equal(200);
      expect(own.text).to.include('Sunday Service').and.to.include('Take attendance');
      const seen = await viewer.get(`/events/${service.id}`).set('Host', host);
      expect(seen.status).to.equal(200);
      expect(seen.text).not.to.include('Take attendance');
    });

    it("lets a leader open their group's meeting but answers 404 for B's meeting and for services", async () => {
      const own = await leader.get(`/events/${meetingA.id}`).set('Host', host);
      expect(own.status).to.equal(200);
      expect(own.text).to.include('Take attendance');
      for (const path of [`/events/${meetingB.id}`, `/events/${meetingB.id}/edit`, `/events/${service.id}`])
        expect((await leader.get(path).set('Host', host)).status, path).to.equal(404);
    });

    it('answers 404 to a level-5 user who leads nothing', async () => {
      for (const event of [service, meetingA])
        expect((await plain.get(`/events/${event.id}`).set('Host', host)).status).to.equal(404);
    });

    it('answers 403 to level 4 asking to edit', async () => {
      expect((await viewer.get(`/events/${service.id}/edit`).set('Host', host)).status).to.equal(403);
      expect((await viewer.get(`/events/${meetingA.id}/edit`).set('Host', host)).status).to.equal(403);
    });

    it('answers 404 for a malformed, too large or unknown id', async () => {
      for (const path of [
        '/events/abc',
        '/events/99999999999999999999',
        '/events/987654321/edit',
        '/events/-1',
      ])
        expect((await admin.get(path).set('Host', host)).status, path).to.equal(404);
    });
  });

  describe('planning', () => {
    it('offers level 0 services and meetings of every group', async () => {
      const res = await admin.get('/events/new').set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.include('value="service"').and.to.include('value="group_meeting"');
      expect(res.text).to.include('Bravo Group');
    });

    it('offers a leader meetings of their own groups only, prefilled from ?group=', async () => {
      const res = await leader.get(`/events/new?group=${groupA.id}`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).not.to.include('value="service"');
      expect(res.text).to.include('Alpha Group').and.not.to.include('Bravo Group');
      expect(res.text).to.include('value="Alpha Group meeting"').and.to.include('value="19:30"');
    });

    it('refuses the form to level 4 and to a level-5 user who leads nothing', async () => {
      for (const agent of [viewer, plain]) {
        expect((await agent.get('/events/new').set('Host', host)).status).to.equal(403);
        const _csrf = await csrfToken(agent, host, '/');
        const res = await agent
          .post('/events')
          .set('Host', host)
          .type('form')
          .send({ _csrf, title: 'Sneaky', kind: 'service', date: '2026-12-06', time: '10:00' });
        expect(res.status).to.equal(403);
      }
      expect(await inTenant(tenant, () => Event.count({ where: { title: 'Sneaky' } }))).to.equal(0);
    });

    it("stores the date and time as the tenant's wall clock, and audits the new event", async () => {
      await inTenant(tenant, () => Setting.upsert({ key: 'time_zone', value: 'Africa/Nairobi' }));
      try {
        const res = await postForm(admin, host, '/events', {
          title: 'Carol Service',
          kind: 'service',
          groupId: String(groupA.id),
          date: '2026-12-20',
          time: '18:30',
          visitorCount: '',
        });
        expect(res.status).to.equal(302);
        const event = await inTenant(tenant, () => Event.findOne({ where: { title: 'Carol Service' } }));
        expect(event?.startsAt.toISOString()).to.equal('2026-12-20T15:30:00.000Z');
        expect(event?.groupId).to.equal(null); // a service belongs to no group
        expect(res.headers.location).to.equal(`/events/${event?.id}`);
        const page = await admin.get(`/events/${event?.id}`).set('Host', host);
        expect(page.text).to.include('Sun, 20 Dec 2026, 18:30');
        const form = await admin.get(`/events/${event?.id}/edit`).set('Host', host);
        expect(form.text).to.include('value="2026-12-20"').and.to.include('value="18:30"');
        const [entry] = await auditEntries(tenant, 'event.created');
        expect(entry.recordId).to.equal(String(event?.id));
        expect(entry.changes.title).to.deep.equal({ from: null, to: 'Carol Service' });
      } finally {
        await inTenant(tenant, () => Setting.destroy({ where: { key: 'time_zone' } }));
      }
    });

    it('lets a leader plan a meeting of their group', async () => {
      const res = await postForm(leader, host, '/events', {
        title: 'Alpha Planned',
        kind: 'group_meeting',
        groupId: String(groupA.id),
        date: '2026-12-09',
        time: '19:30',
      });
      expect(res.status).to.equal(302);
      const event = await inTenant(tenant, () => Event.findOne({ where: { title: 'Alpha Planned' } }));
      expect(String(event?.groupId)).to.equal(String(groupA.id));
      expect(event?.startsAt.toISOString()).to.equal('2026-12-09T19:30:00.000Z');
    });

    it('refuses a leader a meeting of another group or a service with 422, and creates nothing', async () => {
      const before = await eventCount(tenant);
      const other = await postForm(leader, host, '/events', {
        title: 'Bravo Takeover',
        kind: 'group_meeting',
        groupId: String(groupB.id),
        date: '2026-12-09',
        time: '19:30',
      });
      expect(other.status).to.equal(422);
      expect(other.text).to.include('choose one of the listed groups');
      const svc = await postForm(leader, host, '/events', {
        title: 'Leader Service',
        kind: 'service',
        date: '2026-12-09',
        time: '10:00',
      });
      expect(svc.status).to.equal(422);
      expect(svc.text).to.include('you can plan meetings of the groups you lead only');
      expect(await eventCount(tenant)).to.equal(before);
    });

    it('refuses a group meeting without a group, a bad date and a bad time with 422 and the input kept', async () => {
      const before = await eventCount(tenant);
      const res = await postForm(admin, host, '/events', {
        title: 'Broken',
        kind: 'group_meeting',
        groupId: '',
        date: '2026-02-30',
        time: '25:00',
        visitorCount: '-3',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('is required for a group meeting');
      expect(res.text).to.include('must be a date such as 2026-12-06');
      expect(res.text).to.include('must be a time such as 19:30');
      expect(res.text).to.include('must be a whole number');
      expect(res.text).to.include('value="Broken"').and.to.include('value="25:00"');
      const missing = await postForm(admin, host, '/events', {
        title: 'No Group',
        kind: 'group_meeting',
        date: '2026-02-03',
        time: '10:00',
      });
      expect(missing.status).to.equal(422);
      expect(missing.text).to.include('is required for a group meeting');
      expect(await eventCount(tenant)).to.equal(before);
    });
  });

  describe('changing and deleting', () => {
    it('saves an edit and audits what changed', async () => {
      const event = await createEvent(tenant, { title: 'Before Edit', groupId: groupA.id });
      const res = await postForm(leader, host, `/events/${event.id}`, {
        title: 'After Edit',
        kind: 'group_meeting',
        groupId: String(groupA.id),
        date: '2026-11-04',
        time: '20:00',
        visitorCount: '2',
      });
      expect(res.status).to.equal(302);
      const saved = await findEvent(tenant, event.id);
      expect(saved?.title).to.equal('After Edit');
      expect(saved?.visitorCount).to.equal(2);
      const [entry] = await auditEntries(tenant, 'event.updated');
      expect(entry.changes.title).to.deep.equal({ from: 'Before Edit', to: 'After Edit' });
    });

    it('refuses a leader moving their meeting to another group with 422', async () => {
      const event = await createEvent(tenant, { title: 'Stay Put', groupId: groupA.id });
      const res = await postForm(leader, host, `/events/${event.id}`, {
        title: 'Moved',
        kind: 'group_meeting',
        groupId: String(groupB.id),
        date: '2026-11-04',
        time: '20:00',
      });
      expect(res.status).to.equal(422);
      expect((await findEvent(tenant, event.id))?.title).to.equal('Stay Put');
    });

    it("answers 404 to a leader of A changing or deleting B's meeting, and changes nothing", async () => {
      const update = await postForm(leader, host, `/events/${meetingB.id}`, {
        title: 'Hijacked',
        kind: 'group_meeting',
        groupId: String(groupA.id),
        date: '2026-11-04',
        time: '20:00',
      });
      expect(update.status).to.equal(404);
      expect((await postForm(leader, host, `/events/${meetingB.id}/delete`, {})).status).to.equal(404);
      const kept = await findEvent(tenant, meetingB.id);
      expect(kept?.title).to.equal('Bravo Evening');
      expect(String(kept?.groupId)).to.equal(String(groupB.id));
    });

    it('answers 403 to level 4 changing a service, 404 to a level-5 non-leader, and changes nothing', async () => {
      expect((await postForm(viewer, host, `/events/${service.id}/delete`, {})).status).to.equal(403);
      expect((await postForm(plain, host, `/events/${service.id}/delete`, {})).status).to.equal(404);
      expect(await findEvent(tenant, service.id)).not.to.equal(null);
    });

    it('deletes an event and audits it', async () => {
      const event = await createEvent(tenant, { title: 'Cancelled', groupId: groupA.id });
      const res = await postForm(leader, host, `/events/${event.id}/delete`, {});
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(`/events?group=${groupA.id}`);
      expect(await findEvent(tenant, event.id)).to.equal(null);
      const [entry] = await auditEntries(tenant, 'event.deleted');
      expect(entry.recordLabel).to.equal('Cancelled');
    });
  });

  describe('a company', () => {
    it('calls them meetings and team meetings', async () => {
      const company = await createTenant({ kind: 'company' });
      const team = await createGroup(company, { name: 'Platform Team' });
      await createEvent(company, {
        title: 'Sprint Review',
        groupId: team.id,
        startsAt: new Date(Date.now() + DAY),
      });
      const agent = await signedIn(company, adminEmail(company));
      const res = await agent.get('/events').set('Host', hostOf(company));
      expect(res.status).to.equal(200);
      expect(res.text).to.include('<h1 class="h3 mb-0 text-break">Meetings</h1>');
      expect(res.text).to.include('Team meeting · Platform Team');
      const form = await agent.get('/events/new').set('Host', hostOf(company));
      expect(form.text).to.include('All-hands meeting').and.to.include('Required for a team meeting');
    });
  });
});
