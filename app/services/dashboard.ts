import { Op, QueryTypes } from 'sequelize';
import { levelCan } from '../auth/capabilities.ts';
import { db } from '../db/database.ts';
import { Event, Group, GroupMember, Member, type User } from '../models/index.ts';
import type { MemberStatus } from '../models/member.ts';
import { visibleGroupIds } from '../policies/group.policy.ts';
import { addDays, monthStart, monthsBefore } from './calendar.ts';
import { periodTotals } from './finance-stats.ts';
import { formatDateTime, instantOf, localParts, tenantTimeZone } from './local-time.ts';

/**
 * The figures of the signed-in home page. Each block is computed only for people allowed to see it
 * (null otherwise), so a page never carries a figure its reader may not have. Dates are the
 * tenant's calendar days (its time zone), like every other page.
 */

export const TREND_WEEKS = 8;
export const UPCOMING_LIMIT = 5;

export interface PeopleFigures {
  total: number;
  newThisMonth: number;
  byStatus: Record<MemberStatus, number>;
}

export interface WeekAttendance {
  /** First and last day of the seven-day window, YYYY-MM-DD. */
  from: string;
  to: string;
  services: number;
  present: number;
  visitors: number;
  total: number;
}

export interface GivingFigures {
  thisMonth: { from: string; to: string; cents: string; count: number };
  lastMonth: { from: string; to: string; cents: string; count: number };
  /** This month so far as a percentage of last month (one decimal); null when last month had nothing. */
  percentOfLastMonth: number | null;
}

export interface UpcomingEvent {
  id: string;
  title: string;
  kind: 'service' | 'group_meeting';
  groupName: string | null;
  when: string;
  /** The start as an instant, for the API. */
  startsAt: Date;
}

export interface DashboardGroup {
  id: string;
  name: string;
  members: number;
  leads: boolean;
}

export interface Dashboard {
  today: string;
  people: PeopleFigures | null;
  attendance: WeekAttendance[] | null;
  giving: GivingFigures | null;
  upcoming: UpcomingEvent[];
  /** Groups the user leads, then those they belong to. */
  groups: DashboardGroup[];
  /** The directory record linked to the user's account, if any. */
  memberId: string | null;
}

/** Everyone in the directory by status, and those who joined this month (by joined_on, else created_at). */
export async function peopleFigures(today: string, timeZone: string): Promise<PeopleFigures> {
  const from = monthStart(today);
  const [byStatusRows, newThisMonth] = await Promise.all([
    Member.count({ group: ['status'] }),
    Member.count({
      where: {
        [Op.or]: [
          { joinedOn: { [Op.between]: [from, addDays(monthsBefore(from, -1), -1)] } },
          { joinedOn: null, createdAt: { [Op.gte]: instantOf(from, '00:00', timeZone) } },
        ],
      },
    }),
  ]);
  const byStatus: Record<MemberStatus, number> = { member: 0, regular: 0, visitor: 0, inactive: 0 };
  for (const row of byStatusRows) byStatus[row.status as MemberStatus] = Number(row.count);
  const total = Object.values(byStatus).reduce((s, n) => s + n, 0);
  return { total, newThisMonth, byStatus };
}

/**
 * Attendance at services (a company's all-hands meetings) in the last eight seven-day windows
 * ending today: people marked present plus the visitors counted, window by window, oldest first.
 */
export async function attendanceTrend(today: string, timeZone: string, now: Date): Promise<WeekAttendance[]> {
  const weeks = Array.from({ length: TREND_WEEKS }, (_, i) => {
    const to = addDays(today, -7 * (TREND_WEEKS - 1 - i));
    return { from: addDays(to, -6), to, services: 0, present: 0, visitors: 0, total: 0 };
  });
  const start = instantOf(weeks[0].from, '00:00', timeZone);
  const rows = await db().query<{ starts_at: Date; visitor_count: number; present: string }>(
    `SELECT e.starts_at, e.visitor_count,
            (SELECT COUNT(*) FROM attendances a WHERE a.event_id = e.id) AS present
       FROM events e
      WHERE e.kind = 'service' AND e.starts_at >= $1 AND e.starts_at <= $2`,
    { bind: [start, now], type: QueryTypes.SELECT },
  );
  for (const row of rows) {
    const day = localParts(new Date(row.starts_at), timeZone).date;
    const week = weeks.find((w) => w.from <= day && day <= w.to);
    if (!week) continue;
    week.services += 1;
    week.present += Number(row.present);
    week.visitors += Number(row.visitor_count);
  }
  for (const w of weeks) w.total = w.present + w.visitors;
  return weeks;
}

/** Income recorded this month so far, next to the whole of last month. */
export async function givingFigures(today: string): Promise<GivingFigures> {
  const thisFrom = monthStart(today);
  const lastFrom = monthsBefore(thisFrom, 1);
  const lastTo = addDays(thisFrom, -1);
  const [now, before] = await Promise.all([
    periodTotals({ from: thisFrom, to: today }),
    periodTotals({ from: lastFrom, to: lastTo }),
  ]);
  const last = BigInt(before.incomeCents);
  return {
    thisMonth: { from: thisFrom, to: today, cents: now.incomeCents, count: now.contributionCount },
    lastMonth: { from: lastFrom, to: lastTo, cents: before.incomeCents, count: before.contributionCount },
    percentOfLastMonth: last > 0n ? Number((BigInt(now.incomeCents) * 1000n) / last) / 10 : null,
  };
}

/** The next events the user may open: all of them for those who view members, else their groups' meetings. */
export async function upcomingEvents(user: User, now: Date, timeZone: string): Promise<UpcomingEvent[]> {
  const visible = await visibleGroupIds(user);
  if (visible !== 'all' && visible.length === 0) return [];
  const events = await Event.findAll({
    where: { startsAt: { [Op.gte]: now }, ...(visible === 'all' ? {} : { groupId: visible }) },
    include: [{ model: Group, as: 'group', attributes: ['name'] }],
    order: [
      ['startsAt', 'ASC'],
      ['id', 'ASC'],
    ],
    limit: UPCOMING_LIMIT,
  });
  return events.map((e) => ({
    id: String(e.id),
    title: e.title,
    kind: e.kind,
    groupName: (e as Event & { group?: Group | null }).group?.name ?? null,
    when: formatDateTime(e.startsAt, timeZone),
    startsAt: e.startsAt,
  }));
}

/** The groups of the member linked to the user: those they lead first, each with its size. */
export async function groupsOf(memberId: string | null): Promise<DashboardGroup[]> {
  if (!memberId) return [];
  const places = await GroupMember.findAll({
    where: { memberId },
    include: [{ model: Group, as: 'group', attributes: ['id', 'name'] }],
  });
  if (places.length === 0) return [];
  const sizes = await GroupMember.count({
    where: { groupId: places.map((p) => p.groupId) },
    group: ['groupId'],
  });
  const sizeOf = new Map(sizes.map((s) => [String(s.groupId), Number(s.count)]));
  return places
    .map((p) => {
      const group = (p as GroupMember & { group?: Group }).group;
      return {
        id: String(p.groupId),
        name: group?.name ?? '',
        members: sizeOf.get(String(p.groupId)) ?? 0,
        leads: p.role === 'leader',
      };
    })
    .sort((a, b) => Number(b.leads) - Number(a.leads) || a.name.localeCompare(b.name));
}

/** Everything the signed-in home page shows `user`, within what their level allows. */
export async function dashboardFor(user: User, now = new Date()): Promise<Dashboard> {
  const timeZone = await tenantTimeZone();
  const today = localParts(now, timeZone).date;
  const level = user.permissionLevel;
  const seesPeople = levelCan(level, 'members.view');
  const member = await Member.findOne({ where: { userId: user.id }, attributes: ['id'] });
  const [people, attendance, giving, upcoming, groups] = await Promise.all([
    seesPeople ? peopleFigures(today, timeZone) : null,
    seesPeople ? attendanceTrend(today, timeZone, now) : null,
    levelCan(level, 'finance.stats') ? givingFigures(today) : null,
    upcomingEvents(user, now, timeZone),
    groupsOf(member ? String(member.id) : null),
  ]);
  return { today, people, attendance, giving, upcoming, groups, memberId: member ? String(member.id) : null };
}
