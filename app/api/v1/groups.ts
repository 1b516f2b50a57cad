import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { currentUser } from '../../middleware/auth.ts';
import type { Event } from '../../models/event.ts';
import type { Group } from '../../models/group.ts';
import * as policy from '../../policies/group.policy.ts';
import {
  attendeeCounts,
  attendeesOf,
  eventGroup,
  findEvent,
  findEvents,
  recordAttendance,
} from '../../services/attendance.ts';
import { addDays } from '../../services/calendar.ts';
import {
  createEvent,
  deleteEvent,
  eventInputValues,
  managedEvent,
  planningChoicesOrRefuse,
  updateEvent,
  visibleEvent,
} from '../../services/events.ts';
import {
  addToRoster,
  changeRosterRole,
  createGroup,
  deleteGroup,
  entryOf,
  findGroups,
  groupInputValues,
  managedPlace,
  type RosterEntry,
  removeFromRoster,
  rosterOf,
  updateGroup,
  visibleEntry,
  visibleGroup,
  withRosterFigures,
} from '../../services/groups.ts';
import { instantOf, localParts, tenantTimeZone } from '../../services/local-time.ts';
import { isCleanText } from '../../validators/common.ts';
import {
  attendanceApiSchema,
  dateField,
  EVENT_KINDS,
  EVENT_WHEN,
  eventFields,
  eventSchema,
} from '../../validators/event.validator.ts';
import {
  GROUP_ROLES,
  groupSchema,
  rosterAddSchema,
  rosterRoleSchema,
} from '../../validators/group.validator.ts';
import { apiRoutes, mergePatch } from '../kit.ts';
import { listResult, offsetOf } from '../pagination.ts';
import { day, idPath, idString, iso, listQuery, pageOf, timestamp } from '../schemas.ts';

/**
 * Groups, their rosters (leaders are the people with the leader role), events and attendance.
 * Access is the pages': those who view members see every group and event, a group's leaders see
 * that group and its meetings, and anything out of a caller's reach is a 404.
 */

// ------------------------------------------------------------------------------------------------
// Representations

export const groupOut = z
  .object({
    id: idString,
    name: z.string(),
    description: z.string().nullable(),
    meetingDay: z.number().int().min(0).max(6).nullable().meta({ description: '0 Sunday to 6 Saturday.' }),
    meetingTime: z.string().nullable().meta({ example: '19:30' }),
    leaders: z.array(z.string()).meta({ description: "The leaders' names, sorted." }),
    memberCount: z.number().int().meta({ description: 'People on the roster, leaders included.' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Group' });

export const rosterEntryOut = z
  .object({
    memberId: idString,
    firstName: z.string(),
    lastName: z.string(),
    role: z.enum(GROUP_ROLES),
    since: timestamp,
  })
  .meta({ id: 'GroupMember', description: "A person's place on a group's roster." });

export const eventOut = z
  .object({
    id: idString,
    title: z.string(),
    kind: z.enum(EVENT_KINDS),
    groupId: idString.nullable(),
    groupName: z.string().nullable(),
    startsAt: timestamp,
    date: day.meta({ description: "The day on the tenant's clock." }),
    time: z.string().meta({ example: '10:30', description: "The time on the tenant's clock." }),
    visitorCount: z.number().int(),
    attendeeCount: z.number().int().meta({ description: 'People marked present.' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Event' });

const attendeeOut = z.object({ memberId: idString, firstName: z.string(), lastName: z.string() });

export const attendanceOut = z
  .object({
    eventId: idString,
    visitorCount: z.number().int(),
    attendeeCount: z.number().int(),
    present: z.array(attendeeOut).meta({ description: 'The people marked present, by surname.' }),
  })
  .meta({ id: 'Attendance' });

const attendanceChangeOut = attendanceOut
  .extend({
    added: z.number().int().meta({ description: 'People marked present by this request.' }),
    removed: z.number().int().meta({ description: 'People no longer marked present.' }),
  })
  .meta({ id: 'AttendanceChange' });

function presentGroup({
  group,
  leaders,
  memberCount,
}: {
  group: Group;
  leaders: string[];
  memberCount: number;
}) {
  return {
    id: String(group.id),
    name: group.name,
    description: group.description,
    meetingDay: group.meetingDay,
    meetingTime: group.meetingTime?.slice(0, 5) ?? null,
    leaders,
    memberCount,
    createdAt: iso(group.createdAt) as string,
    updatedAt: iso(group.updatedAt) as string,
  };
}

async function groupBody(group: Group) {
  const [row] = await withRosterFigures([group]);
  return presentGroup(row);
}

function presentEntry(entry: RosterEntry) {
  return {
    memberId: String(entry.member.id),
    firstName: entry.member.firstName,
    lastName: entry.member.lastName,
    role: entry.role,
    since: iso(entry.since) as string,
  };
}

function presentEvent(event: Event, attendees: number, timeZone: string) {
  const group = eventGroup(event);
  return {
    id: String(event.id),
    title: event.title,
    kind: event.kind,
    groupId: event.groupId === null ? null : String(event.groupId),
    groupName: group?.name ?? null,
    startsAt: iso(event.startsAt) as string,
    ...localParts(event.startsAt, timeZone),
    visitorCount: event.visitorCount,
    attendeeCount: attendees,
    createdAt: iso(event.createdAt) as string,
    updatedAt: iso(event.updatedAt) as string,
  };
}

async function eventBody(event: Event) {
  const [counts, timeZone] = await Promise.all([attendeeCounts([event.id]), tenantTimeZone()]);
  return presentEvent(event, counts.get(String(event.id)) ?? 0, timeZone);
}

async function attendanceBody(event: Event) {
  const people = await attendeesOf(event.id);
  return {
    eventId: String(event.id),
    visitorCount: event.visitorCount,
    attendeeCount: people.length,
    present: people.map((m) => ({ memberId: String(m.id), firstName: m.firstName, lastName: m.lastName })),
  };
}

/** The event as stored now, with its group (after a change that may have moved it). */
async function reloaded(event: Event): Promise<Event> {
  return (await findEvent(event.id)) ?? event;
}

// ------------------------------------------------------------------------------------------------
// Requests

const searchText = z
  .string()
  .trim()
  .max(100)
  .refine((v) => isCleanText(v), 'must not contain control characters');

const groupListQuery = listQuery.extend({
  q: searchText.optional().meta({ description: 'Part of the name.' }),
});

const rosterPath = idPath.extend({ memberId: idString });

const rosterListQuery = listQuery.extend({
  role: z.enum(GROUP_ROLES).optional().meta({ description: 'Only the leaders, or only the members.' }),
});

const eventListQuery = listQuery.extend({
  when: z.enum(EVENT_WHEN).optional().meta({
    description: 'Upcoming (soonest first) or past (latest first); both when left out (soonest first).',
  }),
  group: idString.optional().meta({ description: "One group's meetings." }),
  // The page's day rule (years 1900 to 2200), not any ISO date: a far year has no instant to compare.
  from: dateField.optional().meta({ description: "Starting on or after this day (the tenant's clock)." }),
  to: dateField.optional().meta({ description: "Starting on or before this day (the tenant's clock)." }),
});

/** POST /events refuses before reading the body anyone who may plan nothing, as the page does. */
async function refuseNonPlanners(req: Request, _res: Response, next: NextFunction): Promise<void> {
  const user = currentUser(req);
  if (user) await planningChoicesOrRefuse(user).then(() => next(), next);
  else next();
}

// ------------------------------------------------------------------------------------------------

export default apiRoutes(
  {
    tag: 'Groups',
    host: 'tenant',
    description:
      'Groups and their rosters, events (services and group meetings) and their attendance. Group leaders ' +
      'reach only the groups they lead and those groups’ meetings.',
  },
  (r) => {
    // Groups

    r.get(
      '/groups',
      {
        summary: 'List groups',
        description:
          'Every group for those who view members; otherwise the groups the caller leads. By name.',
        query: groupListQuery,
        responses: { 200: pageOf(groupOut) },
      },
      async (ctx) => {
        const { limit, cursor, q } = ctx.query;
        const offset = offsetOf(cursor);
        const visible = await policy.visibleGroupIds(ctx.user);
        const { groups, total } = await findGroups(q ?? '', visible, { limit, offset });
        return listResult(ctx, groups.map(presentGroup), { limit, offset, total });
      },
    );

    r.get(
      '/groups/:id',
      { summary: 'Show a group', params: idPath, responses: { 200: groupOut }, errors: [404] },
      async (ctx) => ({ body: await groupBody(await visibleGroup(ctx.user, ctx.params.id)) }),
    );

    r.post(
      '/groups',
      {
        summary: 'Create a group',
        capability: 'members.edit',
        body: groupSchema,
        responses: { 201: groupOut },
        errors: [403],
        idempotent: true,
      },
      async (ctx) => {
        const group = await createGroup(ctx.user, ctx.body);
        return { status: 201, body: await groupBody(group), location: `/api/v1/groups/${group.id}` };
      },
    );

    r.patch(
      '/groups/:id',
      {
        summary: 'Change a group',
        description: 'Send only the fields to change.',
        capability: 'members.edit',
        params: idPath,
        body: groupSchema.partial(),
        responses: { 200: groupOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const group = await visibleGroup(ctx.user, ctx.params.id);
        ctx.ifMatch(await groupBody(group));
        const input = mergePatch(groupSchema, groupInputValues(group), ctx.req.body);
        return { body: await groupBody(await updateGroup(ctx.user, group, input)) };
      },
    );

    r.delete(
      '/groups/:id',
      {
        summary: 'Delete a group',
        description: 'Its roster, its meetings and their attendance go with it.',
        capability: 'members.edit',
        params: idPath,
        responses: { 204: null },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const group = await visibleGroup(ctx.user, ctx.params.id);
        ctx.ifMatch(await groupBody(group));
        await deleteGroup(ctx.user, group);
        return { status: 204 };
      },
    );

    // Rosters

    r.get(
      '/groups/:id/members',
      {
        summary: "List a group's roster",
        description: 'Leaders first, then by surname.',
        params: idPath,
        query: rosterListQuery,
        responses: { 200: pageOf(rosterEntryOut) },
        errors: [404],
      },
      async (ctx) => {
        const { limit, cursor, role } = ctx.query;
        const offset = offsetOf(cursor);
        const group = await visibleGroup(ctx.user, ctx.params.id);
        const roster = (await rosterOf(group.id)).filter((e) => !role || e.role === role);
        const page = roster.slice(offset, offset + limit).map(presentEntry);
        return listResult(ctx, page, { limit, offset, total: roster.length });
      },
    );

    r.get(
      '/groups/:id/members/:memberId',
      {
        summary: "Show a person's place in a group",
        params: rosterPath,
        responses: { 200: rosterEntryOut },
        errors: [404],
      },
      async (ctx) => {
        const group = await visibleGroup(ctx.user, ctx.params.id);
        return { body: presentEntry(await visibleEntry(group, ctx.params.memberId)) };
      },
    );

    r.post(
      '/groups/:id/members',
      {
        summary: 'Add a person to a group',
        description:
          'As a member unless `role` says leader. Those who edit members, and the group’s own leaders.',
        params: idPath,
        body: rosterAddSchema,
        responses: { 201: rosterEntryOut },
        errors: [403, 404],
        idempotent: true,
      },
      async (ctx) => {
        const group = await visibleGroup(ctx.user, ctx.params.id);
        const entry = await addToRoster(ctx.user, group, ctx.body);
        return {
          status: 201,
          body: presentEntry(entry),
          location: `/api/v1/groups/${group.id}/members/${entry.member.id}`,
        };
      },
    );

    r.patch(
      '/groups/:id/members/:memberId',
      {
        summary: "Change a person's role in a group",
        description: 'Leader or member.',
        params: rosterPath,
        body: rosterRoleSchema,
        responses: { 200: rosterEntryOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const group = await visibleGroup(ctx.user, ctx.params.id);
        const place = await managedPlace(ctx.user, group, ctx.params.memberId);
        ctx.ifMatch(presentEntry(entryOf(place)));
        const entry = await changeRosterRole(ctx.user, group, ctx.params.memberId, ctx.body.role);
        return { body: presentEntry(entry) };
      },
    );

    r.delete(
      '/groups/:id/members/:memberId',
      {
        summary: 'Remove a person from a group',
        params: rosterPath,
        responses: { 204: null },
        errors: [403, 404],
      },
      async (ctx) => {
        const group = await visibleGroup(ctx.user, ctx.params.id);
        await removeFromRoster(ctx.user, group, ctx.params.memberId);
        return { status: 204 };
      },
    );

    // Events

    r.get(
      '/events',
      {
        summary: 'List events',
        description:
          'Services and every meeting for those who view members; otherwise the meetings of the groups ' +
          'the caller leads. Days are read on the tenant’s clock.',
        query: eventListQuery,
        responses: { 200: pageOf(eventOut) },
      },
      async (ctx) => {
        const { limit, cursor, when, group, from, to } = ctx.query;
        const offset = offsetOf(cursor);
        const timeZone = await tenantTimeZone();
        const visible = await policy.visibleGroupIds(ctx.user);
        const criteria = {
          when,
          group,
          from: from ? instantOf(from, '00:00', timeZone) : undefined,
          before: to ? instantOf(addDays(to, 1), '00:00', timeZone) : undefined,
        };
        const { events, counts, total } = await findEvents(criteria, visible, { limit, offset });
        const data = events.map((e) => presentEvent(e, counts.get(String(e.id)) ?? 0, timeZone));
        return listResult(ctx, data, { limit, offset, total });
      },
    );

    r.get(
      '/events/:id',
      { summary: 'Show an event', params: idPath, responses: { 200: eventOut }, errors: [404] },
      async (ctx) => ({ body: await eventBody(await visibleEvent(ctx.user, ctx.params.id)) }),
    );

    r.post(
      '/events',
      {
        summary: 'Plan an event',
        description:
          'A service (those who edit members) or a meeting of a group (also that group’s leaders). `date` ' +
          'and `time` are read on the tenant’s clock.',
        body: eventSchema,
        responses: { 201: eventOut },
        errors: [403],
        idempotent: true,
        before: [refuseNonPlanners],
      },
      async (ctx) => {
        const event = await reloaded(await createEvent(ctx.user, ctx.body));
        return { status: 201, body: await eventBody(event), location: `/api/v1/events/${event.id}` };
      },
    );

    r.patch(
      '/events/:id',
      {
        summary: 'Change an event',
        description: 'Send only the fields to change.',
        params: idPath,
        body: eventFields.partial(),
        responses: { 200: eventOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const event = await managedEvent(ctx.user, ctx.params.id);
        ctx.ifMatch(await eventBody(event));
        const input = mergePatch(eventSchema, eventInputValues(event, await tenantTimeZone()), ctx.req.body);
        return { body: await eventBody(await reloaded(await updateEvent(ctx.user, event, input))) };
      },
    );

    r.delete(
      '/events/:id',
      {
        summary: 'Delete an event',
        description: 'Its attendance goes with it.',
        params: idPath,
        responses: { 204: null },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const event = await managedEvent(ctx.user, ctx.params.id);
        ctx.ifMatch(await eventBody(event));
        await deleteEvent(ctx.user, event);
        return { status: 204 };
      },
    );

    // Attendance

    r.get(
      '/events/:id/attendance',
      {
        summary: "Show an event's attendance",
        params: idPath,
        responses: { 200: attendanceOut },
        errors: [404],
      },
      async (ctx) => ({ body: await attendanceBody(await visibleEvent(ctx.user, ctx.params.id)) }),
    );

    r.put(
      '/events/:id/attendance',
      {
        summary: "Record an event's attendance",
        description:
          'The people in `present` become the attendees. With `shown`, only the people listed there are ' +
          'changed (a checklist that showed part of the list); without it, `present` replaces everyone. ' +
          'A meeting takes the people of its group; a service anyone on record.',
        params: idPath,
        body: attendanceApiSchema,
        responses: { 200: attendanceChangeOut },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const event = await managedEvent(ctx.user, ctx.params.id);
        ctx.ifMatch(await attendanceBody(event));
        const { visitorCount = event.visitorCount, ...people } = ctx.body;
        const change = await recordAttendance(ctx.user, event, { ...people, visitorCount });
        return { body: { ...(await attendanceBody(event)), ...change } };
      },
    );
  },
);
