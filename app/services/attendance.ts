import { literal, Op, QueryTypes, type WhereOptions } from 'sequelize';
import { db } from '../db/database.ts';
import { inTransaction } from '../db/transaction-context.ts';
import { ValidationError } from '../errors.ts';
import { Attendance } from '../models/attendance.ts';
import { Event } from '../models/event.ts';
import type { Group } from '../models/group.ts';
import { GroupMember } from '../models/group-member.ts';
import { Member } from '../models/member.ts';
import type { User } from '../models/user.ts';
import * as policy from '../policies/group.policy.ts';
import type { AttendanceInput, EventFilter } from '../validators/event.validator.ts';
import * as audit from './audit.ts';
import { memberMatches } from './groups.ts';

/** Events, who attended them, and the counts the pages show. */

export const EVENTS_PER_PAGE = 25;
/** A service's checklist stops here; a search finds the others. */
export const CHECKLIST_LIMIT = 300;

export interface AttendedEvent {
  eventId: string;
  title: string;
  kind: 'service' | 'group_meeting';
  groupId: string | null;
  groupName: string | null;
  startsAt: Date;
}

/**
 * The events `memberId` attended, the latest first (at most `limit`), for a person's attendance
 * history. The caller decides who may see it.
 */
export async function attendanceOf(memberId: string, limit = 50): Promise<AttendedEvent[]> {
  const rows = await db().query<{
    event_id: string;
    title: string;
    kind: 'service' | 'group_meeting';
    group_id: string | null;
    group_name: string | null;
    starts_at: Date;
  }>(
    `SELECT e.id AS event_id, e.title, e.kind, e.group_id, g.name AS group_name, e.starts_at
       FROM attendances a
       JOIN events e ON e.id = a.event_id
       LEFT JOIN groups g ON g.id = e.group_id
      WHERE a.member_id = :memberId
      ORDER BY e.starts_at DESC, e.id DESC
      LIMIT :limit`,
    { replacements: { memberId, limit: Math.max(1, Math.min(limit, 1000)) }, type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    eventId: String(r.event_id),
    title: r.title,
    kind: r.kind,
    groupId: r.group_id === null ? null : String(r.group_id),
    groupName: r.group_name,
    startsAt: new Date(r.starts_at),
  }));
}

/** Number of attendees per event id (0 for an event nobody was marked at). */
export async function attendeeCounts(eventIds: string[]): Promise<Map<string, number>> {
  const counts = new Map(eventIds.map((id) => [String(id), 0]));
  if (!eventIds.length) return counts;
  const rows = (await Attendance.count({
    where: { eventId: eventIds },
    group: ['eventId'],
  })) as unknown as { eventId: string; count: number | string }[];
  for (const row of rows) counts.set(String(row.eventId), Number(row.count));
  return counts;
}

/** A page of events, upcoming (soonest first) or past (latest first), of the groups `visible` allows. */
export async function searchEvents(filter: EventFilter, visible: 'all' | string[], now = new Date()) {
  const { events, counts, total } = await findEvents(
    { when: filter.when, group: filter.group },
    visible,
    { limit: EVENTS_PER_PAGE, offset: (filter.page - 1) * EVENTS_PER_PAGE },
    now,
  );
  return { events, counts, total, pages: Math.max(1, Math.ceil(total / EVENTS_PER_PAGE)) };
}

export interface EventCriteria {
  /** Started before `now`, or not yet; both when unset. */
  when?: 'upcoming' | 'past';
  /** One group's meetings only. */
  group?: string;
  /** Starting at or after this instant. */
  from?: Date;
  /** Starting before this instant. */
  before?: Date;
}

/**
 * `limit` events from `offset` of the groups `visible` allows that meet `criteria`, with their
 * attendee counts: past events latest first, all others soonest first.
 */
export async function findEvents(
  criteria: EventCriteria,
  visible: 'all' | string[],
  window: { limit: number; offset: number },
  now = new Date(),
) {
  const conditions: WhereOptions<Event>[] = [];
  if (criteria.when)
    conditions.push({ startsAt: criteria.when === 'upcoming' ? { [Op.gte]: now } : { [Op.lt]: now } });
  if (criteria.from) conditions.push({ startsAt: { [Op.gte]: criteria.from } });
  if (criteria.before) conditions.push({ startsAt: { [Op.lt]: criteria.before } });
  // Services belong to no group, so a list limited to some groups never shows them.
  if (visible !== 'all') conditions.push({ groupId: visible });
  if (criteria.group) conditions.push({ groupId: criteria.group });
  const direction = criteria.when === 'past' ? 'DESC' : 'ASC';
  const { rows, count } = await Event.findAndCountAll({
    where: { [Op.and]: conditions },
    include: [{ association: 'group', attributes: ['id', 'name'] }],
    order: [
      ['startsAt', direction],
      ['id', direction],
    ],
    ...window,
  });
  const counts = await attendeeCounts(rows.map((e) => e.id));
  return { events: rows, counts, total: count };
}

export function eventGroup(event: Event): Group | null {
  return (event as Event & { group?: Group | null }).group ?? null;
}

/** The event with its group, or null. */
export function findEvent(id: string): Promise<Event | null> {
  return Event.findByPk(id, { include: [{ association: 'group', attributes: ['id', 'name'] }] });
}

/** The people marked present at the event, by surname. */
export function attendeesOf(eventId: string): Promise<Member[]> {
  return Member.findAll({
    where: { id: { [Op.in]: attendeeIdsQuery(eventId) } },
    order: [
      ['lastName', 'ASC'],
      ['firstName', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}

function attendeeIdsQuery(eventId: string) {
  return literal(`(SELECT member_id FROM attendances WHERE event_id = ${db().escape(eventId)})`);
}

export interface Checklist {
  people: Member[];
  present: Set<string>;
  /** More people match than the list shows. */
  more: boolean;
}

/**
 * The people to tick for an event: a group meeting lists the group's roster, a service the members
 * and regulars; both filtered by `q`, and both always list whoever is already marked present.
 */
export async function checklistFor(event: Event, q: string): Promise<Checklist> {
  const present = new Set(
    (await Attendance.findAll({ where: { eventId: event.id } })).map((a) => String(a.memberId)),
  );
  const eligible: WhereOptions<Member> =
    event.kind === 'group_meeting' && event.groupId
      ? { id: { [Op.in]: rosterIdsQuery(event.groupId) } }
      : { status: ['member', 'regular'] };
  const matching = await Member.findAll({
    where: { [Op.and]: [eligible, ...(q ? [memberMatches(q)] : [])] },
    order: [
      ['lastName', 'ASC'],
      ['firstName', 'ASC'],
      ['id', 'ASC'],
    ],
    limit: CHECKLIST_LIMIT + 1,
  });
  const more = matching.length > CHECKLIST_LIMIT;
  const listed = matching.slice(0, CHECKLIST_LIMIT);
  const missing = [...present].filter((id) => !listed.some((m) => String(m.id) === id));
  const extra = missing.length ? await Member.findAll({ where: { id: missing } }) : [];
  const people = [...listed, ...extra].sort(
    (a, b) =>
      a.lastName.localeCompare(b.lastName) ||
      a.firstName.localeCompare(b.firstName) ||
      Number(a.id) - Number(b.id),
  );
  return { people, present, more };
}

function rosterIdsQuery(groupId: string) {
  return literal(`(SELECT member_id FROM group_members WHERE group_id = ${db().escape(groupId)})`);
}

export interface AttendanceChange {
  added: number;
  removed: number;
}

/**
 * Makes the ticked people the attendees among those the form showed (everyone recorded, when it
 * says nothing about what it showed), and sets the visitor count: one transaction, one audit entry.
 * A group meeting only takes people of the group (or already marked); a service anyone on record.
 * Taken by those who may manage the event (404 for one out of reach, 403 for one only seen).
 */
export async function recordAttendance(
  actor: User,
  event: Event,
  input: AttendanceInput,
): Promise<AttendanceChange> {
  await policy.authorizeEvent(actor, event);
  return inTransaction(db(), async () => {
    // Two people saving the same event at once take turns.
    const locked = await Event.findByPk(event.id, { lock: true });
    if (!locked) throw new ValidationError({ _: 'This event was deleted meanwhile.' });
    const current = new Set(
      (await Attendance.findAll({ where: { eventId: event.id } })).map((a) => String(a.memberId)),
    );
    const present = new Set(input.present);
    const scope = input.shown ? new Set(input.shown) : current;
    const added = [...present].filter((id) => !current.has(id));
    const removed = [...current].filter((id) => scope.has(id) && !present.has(id));
    if (!(await allEligible(locked, added)))
      throw new ValidationError({ present: 'contains someone who cannot be marked at this event' });
    if (added.length) await Attendance.bulkCreate(added.map((memberId) => ({ eventId: event.id, memberId })));
    if (removed.length) await Attendance.destroy({ where: { eventId: event.id, memberId: removed } });
    const before = { visitorCount: locked.visitorCount };
    await locked.update({ visitorCount: input.visitorCount });
    const after = { visitorCount: locked.visitorCount };
    if (added.length || removed.length || before.visitorCount !== after.visitorCount)
      await audit.record({
        action: 'attendance.recorded',
        recordType: 'event',
        recordId: event.id,
        recordLabel: event.title,
        before,
        after,
        changes: {
          attendees: { from: current.size, to: current.size + added.length - removed.length },
          added: { from: null, to: added.length },
          removed: { from: null, to: removed.length },
        },
      });
    event.visitorCount = locked.visitorCount;
    return { added: added.length, removed: removed.length };
  });
}

async function allEligible(event: Event, ids: string[]): Promise<boolean> {
  if (!ids.length) return true;
  if (event.kind === 'group_meeting' && event.groupId)
    return (await GroupMember.count({ where: { groupId: event.groupId, memberId: ids } })) === ids.length;
  return (await Member.count({ where: { id: ids } })) === ids.length;
}

export interface MeetingCount {
  eventId: string;
  title: string;
  startsAt: Date;
  attendees: number;
  visitors: number;
}

/** The group's last `limit` meetings that have started, the latest first, with their head counts. */
export async function groupTrend(groupId: string, limit = 12, now = new Date()): Promise<MeetingCount[]> {
  const rows = await db().query<{
    id: string;
    title: string;
    starts_at: Date;
    visitor_count: number;
    attendees: string;
  }>(
    `SELECT e.id, e.title, e.starts_at, e.visitor_count,
            (SELECT COUNT(*) FROM attendances a WHERE a.event_id = e.id) AS attendees
       FROM events e
      WHERE e.group_id = :groupId AND e.kind = 'group_meeting' AND e.starts_at <= :now
      ORDER BY e.starts_at DESC, e.id DESC
      LIMIT :limit`,
    { replacements: { groupId, now, limit }, type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    eventId: String(r.id),
    title: r.title,
    startsAt: new Date(r.starts_at),
    attendees: Number(r.attendees),
    visitors: Number(r.visitor_count),
  }));
}
