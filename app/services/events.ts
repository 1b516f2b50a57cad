import { levelCan } from '../auth/capabilities.ts';
import { db } from '../db/database.ts';
import { inTransaction } from '../db/transaction-context.ts';
import { Forbidden, NotFound, ValidationError } from '../errors.ts';
import { Event } from '../models/event.ts';
import type { Group } from '../models/group.ts';
import type { User } from '../models/user.ts';
import * as policy from '../policies/group.policy.ts';
import { idParam } from '../validators/common.ts';
import type { EventInput, EventKind } from '../validators/event.validator.ts';
import { findEvent } from './attendance.ts';
import * as audit from './audit.ts';
import { groupChoices } from './groups.ts';
import { instantOf, localParts, tenantTimeZone } from './local-time.ts';

/**
 * Planning, changing and deleting events (services and group meetings) for the event pages and the
 * API. Each change takes the acting user and checks their reach through the group policy: a service
 * is planned by those who edit members, a meeting also by the leaders of its group.
 */

/** What a person may plan: services only with members.edit, meetings of the groups they may manage. */
export interface PlanningChoices {
  kinds: EventKind[];
  groups: Group[];
}

export async function planningChoices(user: User): Promise<PlanningChoices> {
  if (levelCan(user.permissionLevel, 'members.edit'))
    return { kinds: ['service', 'group_meeting'], groups: await groupChoices('all') };
  const led = await policy.ledGroupIds(user);
  const groups = led.length ? await groupChoices(led) : [];
  return { kinds: groups.length ? ['group_meeting'] : [], groups };
}

/** The choices of a person who may plan something; 403 for one who may plan nothing. */
export async function planningChoicesOrRefuse(user: User): Promise<PlanningChoices> {
  const choices = await planningChoices(user);
  if (!choices.kinds.length) throw new Forbidden();
  return choices;
}

/** The event with this id (as it comes from a URL), with its group, when `user` may see it; 404 otherwise. */
export async function visibleEvent(user: User, rawId: unknown): Promise<Event> {
  const event = await findEvent(idParam(rawId));
  if (!event || !(await policy.canSeeEvent(user, event))) throw new NotFound();
  return event;
}

/** The event, for a person who may change it and take its attendance (403 when they only see it). */
export async function managedEvent(user: User, rawId: unknown): Promise<Event> {
  const event = await visibleEvent(user, rawId);
  await policy.authorizeEvent(user, event);
  return event;
}

/** The event's values as its form shows them (on the tenant's clock); a partial change starts from these. */
export function eventInputValues(event: Event, timeZone: string): Record<string, string> {
  return {
    title: event.title,
    kind: event.kind,
    groupId: event.groupId ? String(event.groupId) : '',
    ...localParts(event.startsAt, timeZone),
    visitorCount: String(event.visitorCount),
  };
}

/** What the audit log says about `event`. */
export function eventRecord(event: Event) {
  return { recordType: 'event', recordId: event.id, recordLabel: event.title };
}

/** The values an event's audit entries compare. */
export function eventSnapshot(event: Event): Record<string, unknown> {
  const { title, kind, groupId, startsAt, visitorCount } = event;
  return { title, kind, groupId: groupId === null ? null : String(groupId), startsAt, visitorCount };
}

type EventAttributes = Omit<EventInput, 'date' | 'time'> & { startsAt: Date };

/** The stored attributes of `input`, the date and time read on the tenant's clock; a kind or group out of reach is a field message. */
async function attributesOf(input: EventInput, choices: PlanningChoices): Promise<EventAttributes> {
  const { date, time, ...rest } = input;
  if (!choices.kinds.includes(rest.kind))
    throw new ValidationError({ kind: 'you can plan meetings of the groups you lead only' });
  if (rest.groupId && !choices.groups.some((g) => String(g.id) === rest.groupId))
    throw new ValidationError({ groupId: 'choose one of the listed groups' });
  return { ...rest, startsAt: instantOf(date, time, await tenantTimeZone()) };
}

/** A new event, audited. */
export async function createEvent(actor: User, input: EventInput): Promise<Event> {
  const attributes = await attributesOf(input, await planningChoicesOrRefuse(actor));
  return inTransaction(db(), async () => {
    const event = await Event.create(attributes);
    await audit.record({ action: 'event.created', ...eventRecord(event), after: eventSnapshot(event) });
    return event;
  });
}

/** `event` with new values; audited when something changed. */
export async function updateEvent(actor: User, event: Event, input: EventInput): Promise<Event> {
  await policy.authorizeEvent(actor, event);
  const attributes = await attributesOf(input, await planningChoices(actor));
  return inTransaction(db(), async () => {
    const before = eventSnapshot(event);
    await event.update(attributes);
    const after = eventSnapshot(event);
    if (Object.keys(audit.diff(before, after)).length)
      await audit.record({ action: 'event.updated', ...eventRecord(event), before, after });
    return event;
  });
}

/** Deletes `event`; its attendance goes with it. */
export async function deleteEvent(actor: User, event: Event): Promise<void> {
  await policy.authorizeEvent(actor, event);
  await inTransaction(db(), async () => {
    const before = eventSnapshot(event);
    await event.destroy();
    await audit.record({ action: 'event.deleted', ...eventRecord(event), before });
  });
}
