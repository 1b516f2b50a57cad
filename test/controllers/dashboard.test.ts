import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import {
  Attendance,
  Contribution,
  Event,
  Fund,
  Group,
  GroupMember,
  Member,
  type Tenant,
} from '../../app/models/index.ts';
import type { MemberStatus } from '../../app/models/member.ts';
import { addDays, monthStart, monthsBefore } from '../../app/services/calendar.ts';
import { formatCents } from '../../app/services/money.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';

const DAY_MS = 86_400_000;

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

/** The number shown for a `data-figure` on the page. */
function figure(page: string, name: string): string | null {
  const m = new RegExp(`data-figure="${name}"[^>]*>([^<]*)<`).exec(page);
  return m ? m[1] : null;
}

/** Today in UTC, the zone of a tenant without a time_zone setting. */
function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function at(date: string, time = '10:00'): Date {
  return new Date(`${date}T${time}:00Z`);
}

interface Known {
  leaderEmail: string;
  ledGroupId: string;
  otherGroupId: string;
  upcomingIds: string[];
  leaderMeetingId: string;
}

/**
 * A church with known data: people of each status (some joined this month), eight weeks of services
 * with attendance, an older service and a group meeting that must not count, upcoming events,
 * giving this month and last month, and a level-5 user who leads one group and belongs to another.
 */
async function seed(tenant: Tenant): Promise<Known> {
  const leader = await createUser(tenant, { level: 5, email: 'leader@dash.test', name: 'Lena Leader' });
  const d = today();
  const thisMonth = monthStart(d);
  return inTenant(tenant, async () => {
    const statuses: MemberStatus[] = [
      'member',
      'member',
      'member',
      'regular',
      'regular',
      'visitor',
      'inactive',
      'member',
    ];
    const people: Member[] = [];
    for (const [i, status] of statuses.entries()) {
      people.push(
        await Member.create({
          firstName: `Person${i}`,
          lastName: 'Known',
          email: null,
          phone: null,
          address: null,
          birthDate: null,
          status,
          // Two joined this month; one has no date and was created now (counts as new too).
          joinedOn: i < 2 ? thisMonth : i === 6 ? null : addDays(thisMonth, -3),
          notes: null,
          householdId: null,
          userId: i === 0 ? leader.id : null,
        }),
      );
    }
    // An old record without a joined date: not new this month.
    const old = await Member.create({
      firstName: 'Olga',
      lastName: 'Old',
      email: null,
      phone: null,
      address: null,
      birthDate: null,
      status: 'member',
      joinedOn: null,
      notes: null,
      householdId: null,
      userId: null,
    });
    await Member.update(
      { createdAt: new Date(Date.now() - 90 * DAY_MS) },
      { where: { id: old.id }, silent: true },
    );

    const led = await Group.create({ name: 'Choir', description: null, meetingDay: 4, meetingTime: '19:00' });
    const other = await Group.create({
      name: 'Garden Club',
      description: null,
      meetingDay: 6,
      meetingTime: '09:00',
    });
    await GroupMember.bulkCreate([
      { groupId: led.id, memberId: people[0].id, role: 'leader' },
      { groupId: led.id, memberId: people[1].id, role: 'member' },
      { groupId: led.id, memberId: people[2].id, role: 'member' },
      { groupId: other.id, memberId: people[0].id, role: 'member' },
    ]);

    // Service k (0..7) is k weeks and a day ago, with k+1 people present and 2 visitors.
    for (let k = 0; k < 8; k++) {
      const e = await Event.create({
        title: `Service ${k}`,
        kind: 'service',
        groupId: null,
        startsAt: at(addDays(d, -7 * k - 1)),
        visitorCount: 2,
      });
      await Attendance.bulkCreate(people.slice(0, k + 1).map((p) => ({ eventId: e.id, memberId: p.id })));
    }
    const tooOld = await Event.create({
      title: 'Long ago',
      kind: 'service',
      groupId: null,
      startsAt: at(addDays(d, -70)),
      visitorCount: 50,
    });
    await Attendance.bulkCreate(people.map((p) => ({ eventId: tooOld.id, memberId: p.id })));
    const meeting = await Event.create({
      title: 'Choir practice',
      kind: 'group_meeting',
      groupId: led.id,
      startsAt: at(addDays(d, -2)),
      visitorCount: 9,
    });
    await Attendance.bulkCreate(people.slice(0, 3).map((p) => ({ eventId: meeting.id, memberId: p.id })));

    // Six upcoming events: the dashboard lists the first five, soonest first.
    const upcoming: Event[] = [];
    for (let k = 6; k >= 1; k--) {
      upcoming.push(
        await Event.create({
          title: k === 3 ? 'Choir rehearsal' : `Upcoming ${k}`,
          kind: k === 3 ? 'group_meeting' : 'service',
          groupId: k === 3 ? led.id : null,
          startsAt: new Date(Date.now() + k * DAY_MS),
          visitorCount: 0,
        }),
      );
    }
    const soonest = upcoming.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());

    const tithe = await Fund.findOne({ where: { name: 'Tithe' } });
    const fundId = String(tithe?.id);
    const lastMonth = monthsBefore(thisMonth, 1);
    const gift = (receivedOn: string, amountCents: string) =>
      Contribution.create({
        memberId: null,
        fundId,
        amountCents,
        receivedOn,
        reference: null,
        note: null,
        createdBy: null,
      });
    await gift(thisMonth, '12345');
    await gift(d, '100000');
    await gift(lastMonth, '50050');
    await gift(addDays(thisMonth, -1), '25000');
    await gift(addDays(lastMonth, -1), '999999');

    return {
      leaderEmail: 'leader@dash.test',
      ledGroupId: String(led.id),
      otherGroupId: String(other.id),
      upcomingIds: soonest.slice(0, 5).map((e) => String(e.id)),
      leaderMeetingId: String(upcoming.find((e) => e.title === 'Choir rehearsal')?.id),
    };
  });
}

/** Service attendance (people present plus visitors) in the window, counted straight from the tables. */
function attendanceIn(tenant: Tenant, from: string, to: string): Promise<number> {
  return inTenant(tenant, async () => {
    const [row] = await db().query<{ n: string }>(
      `SELECT COALESCE(SUM((SELECT COUNT(*) FROM attendances a WHERE a.event_id = e.id) + e.visitor_count), 0) AS n
         FROM events e
        WHERE e.kind = 'service' AND e.starts_at >= $1::date AND e.starts_at < ($2::date + 1) AND e.starts_at <= now()`,
      { bind: [from, to], type: QueryTypes.SELECT },
    );
    return Number(row.n);
  });
}

function givingIn(tenant: Tenant, from: string, to: string): Promise<string> {
  return inTenant(tenant, async () => {
    const [row] = await db().query<{ cents: string }>(
      'SELECT COALESCE(SUM(amount_cents), 0)::bigint AS cents FROM contributions WHERE received_on BETWEEN $1 AND $2',
      { bind: [from, to], type: QueryTypes.SELECT },
    );
    return String(row.cents);
  });
}

describe('dashboard', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let known: Known;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    known = await seed(tenant);
    for (const level of [0, 3, 4, 5]) await createUser(tenant, { level, email: `level${level}@dash.test` });
  });

  it('shows figures equal to the counts in the database, each linking to its list', async () => {
    const agent = await signedIn(tenant, 'level0@dash.test');
    const page = (await agent.get('/').set('Host', host).expect(200)).text;

    const counts = await inTenant(tenant, async () => ({
      total: await Member.count(),
      member: await Member.count({ where: { status: 'member' } }),
      visitor: await Member.count({ where: { status: 'visitor' } }),
    }));
    expect(figure(page, 'people-total')).to.equal(String(counts.total));
    expect(counts.total).to.equal(9);
    expect(figure(page, 'people-member')).to.equal(String(counts.member));
    expect(figure(page, 'people-visitor')).to.equal(String(counts.visitor));
    expect(figure(page, 'people-new')).to.equal('3 new this month');
    expect(page).to.include(
      '<a class="display-6 fw-semibold text-decoration-none" href="/members" data-figure="people-total">',
    );
    expect(page).to.include('href="/members?sort=joined&amp;dir=desc" data-figure="people-new"');
    expect(page).to.include('href="/members?status=visitor"');

    // Eight seven-day windows ending today, oldest first; service k lands in the window ending k weeks ago.
    const d = today();
    for (let k = 0; k < 8; k++) {
      const to = addDays(d, -7 * k);
      const from = addDays(to, -6);
      const expected = await attendanceIn(tenant, from, to);
      expect(expected, `window ${from}`).to.equal(k + 1 + 2);
      expect(figure(page, `attendance-${from}`), `window ${from}`).to.equal(String(expected));
    }
    const values = /data-values="([^"]*)"/.exec(page)?.[1].replace(/&#34;/g, '"');
    expect(JSON.parse(values ?? '[]')).to.deep.equal([10, 9, 8, 7, 6, 5, 4, 3]);
    expect(page).to.include('<canvas id="attendance-chart"');
    expect(page).to.include('<script src="/vendor/chart.js/chart.umd.js" defer></script>');
    expect(page).to.include('<script src="/assets/js/dashboard.js" defer></script>');
    expect(page).to.include('href="/events?when=past"');

    const thisFrom = monthStart(d);
    const lastFrom = monthsBefore(thisFrom, 1);
    const lastTo = addDays(thisFrom, -1);
    const thisMonth = await givingIn(tenant, thisFrom, d);
    const lastMonth = await givingIn(tenant, lastFrom, lastTo);
    expect(thisMonth).to.equal('112345');
    expect(lastMonth).to.equal('75050');
    expect(figure(page, 'giving-this-month')).to.equal(formatCents(thisMonth));
    expect(figure(page, 'giving-last-month')).to.equal(formatCents(lastMonth));
    expect(figure(page, 'giving-percent')).to.equal('149.6%');
    expect(page).to.include(
      `href="/finance/stats?from=${thisFrom}&amp;to=${d}" data-figure="giving-this-month"`,
    );
    expect(page).to.include(
      `href="/finance/stats?from=${lastFrom}&amp;to=${lastTo}" data-figure="giving-last-month"`,
    );

    const listed = [...page.matchAll(/<a class="fw-semibold text-break" href="\/events\/(\d+)">/g)].map(
      (m) => m[1],
    );
    expect(listed).to.deep.equal(known.upcomingIds);
  });

  it('shows a level-3 user the giving figures, and a level-4 user people but no giving', async () => {
    const board = (await (await signedIn(tenant, 'level3@dash.test')).get('/').set('Host', host).expect(200))
      .text;
    expect(figure(board, 'giving-this-month')).to.equal(formatCents('112345'));
    expect(board).to.include('href="/finance/stats"');

    const staff = (await (await signedIn(tenant, 'level4@dash.test')).get('/').set('Host', host).expect(200))
      .text;
    expect(figure(staff, 'people-total')).to.equal('9');
    expect(staff).not.to.include('data-figure="giving');
    expect(staff).not.to.include(formatCents('112345'));
    expect(staff).not.to.include('/finance/stats');
  });

  it('shows a level-5 group leader a short page: their groups and meetings, no people or giving figures', async () => {
    const agent = await signedIn(tenant, known.leaderEmail);
    const page = (await agent.get('/').set('Host', host).expect(200)).text;
    expect(page).to.include('Hello, Lena');
    expect(page).to.include(`<a href="/groups/${known.ledGroupId}">Choir</a>`);
    expect(page).to.include('<span class="badge text-bg-primary">Leader</span>');
    // A group they only belong to is named, without a link they could not open.
    expect(page).to.include('Garden Club');
    expect(page).not.to.include(`/groups/${known.otherGroupId}`);
    expect(page).to.include('href="/profile"');
    // Only the meetings of the group they lead are listed.
    const listed = [...page.matchAll(/href="\/events\/(\d+)"/g)].map((m) => m[1]);
    expect(listed).to.deep.equal([known.leaderMeetingId]);
    for (const hidden of [
      'data-figure="people',
      'data-figure="giving',
      'attendance-chart',
      'href="/members',
      '/finance/',
    ])
      expect(page, hidden).not.to.include(hidden);
    // The links on the page open for this user.
    await agent.get(`/groups/${known.ledGroupId}`).set('Host', host).expect(200);
    await agent.get(`/events/${known.leaderMeetingId}`).set('Host', host).expect(200);
  });

  it('shows a level-5 user without a group a friendly short page', async () => {
    const page = (await (await signedIn(tenant, 'level5@dash.test')).get('/').set('Host', host).expect(200))
      .text;
    expect(page).to.include('You are not in any group yet.');
    expect(page).to.include('href="/profile"');
    expect(page).not.to.include('Coming up');
    expect(page).not.to.include('data-figure=');
    expect(page).not.to.include('<script src="/assets/js/dashboard.js"');
  });

  it('shows the work figures of the projects a user can see, each linking to its list', async () => {
    const agent = await signedIn(tenant, 'level0@dash.test');
    const page = (await agent.get('/').set('Host', host).expect(200)).text;
    expect(page).to.include('id="work-title"');
    expect(page).to.match(/data-figure="projects">\s*\d+\s*</);
    for (const link of ['/tasks/mine', '/tasks?due=overdue', '/work']) {
      expect(page).to.include(`href="${link}"`);
      await agent.get(link).set('Host', host).expect(200);
    }
  });

  it('links to lists that open for the people who see them', async () => {
    const agent = await signedIn(tenant, 'level0@dash.test');
    const page = (await agent.get('/').set('Host', host).expect(200)).text;
    const links = [...page.matchAll(/href="(\/(?:members|events|groups|finance)[^"]*)"/g)].map((m) =>
      m[1].replace(/&amp;/g, '&'),
    );
    expect(links.length).to.be.greaterThan(10);
    for (const link of new Set(links)) {
      const res = await agent.get(link).set('Host', host);
      expect(res.status, link).to.equal(200);
    }
  });

  it('orders the blocks for a company as people, finance, meetings, with its own words', async () => {
    const company = await createTenant({ kind: 'company' });
    await createUser(company, { level: 0, email: 'boss@dash.test' });
    const page = (
      await (await signedIn(company, 'boss@dash.test')).get('/').set('Host', hostOf(company)).expect(200)
    ).text;
    const at = (id: string) => page.indexOf(`id="${id}"`);
    expect(at('people-title')).to.be.greaterThan(0);
    expect(at('people-title')).to.be.below(at('giving-title'));
    expect(at('giving-title')).to.be.below(at('attendance-title'));
    expect(at('attendance-title')).to.be.below(at('events-title'));
    expect(page).to.include('People</h2>');
    expect(page).to.include('Income this month');
    expect(page).to.include('All-hands attendance');
    expect(page).to.include('Your teams');

    const church = (await (await signedIn(tenant, 'level0@dash.test')).get('/').set('Host', host)).text;
    const cat = (id: string) => church.indexOf(`id="${id}"`);
    expect(cat('people-title')).to.be.below(cat('attendance-title'));
    expect(cat('attendance-title')).to.be.below(cat('giving-title'));
    expect(cat('giving-title')).to.be.below(cat('events-title'));
  });
});
