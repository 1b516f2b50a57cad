import type { Request, Response } from 'express';
import { levelCan } from '../auth/capabilities.ts';
import { Forbidden, NotFound } from '../errors.ts';
import { Event } from '../models/event.ts';
import type { Group } from '../models/group.ts';
import type { User } from '../models/user.ts';
import * as policy from '../policies/group.policy.ts';
import { attendeesOf, eventGroup, findEvent, searchEvents } from '../services/attendance.ts';
import * as audit from '../services/audit.ts';
import { groupChoices, memberName } from '../services/groups.ts';
import { formatDateTime, instantOf, localParts, tenantTimeZone } from '../services/local-time.ts';
import type { Vocabulary } from '../services/vocabulary.ts';
import { fieldErrors, idParam } from '../validators/common.ts';
import {
  type EventInput,
  type EventKind,
  eventFilterSchema,
  eventFormValues,
  eventSchema,
} from '../validators/event.validator.ts';
import { wordsOf } from './groups.controller.ts';
import { signedInUser } from './signed-in.ts';

type Errors = Record<string, string>;

/** What a person may plan: services only with members.edit, meetings of the groups they may manage. */
interface Choices {
  kinds: EventKind[];
  groups: Group[];
}

// GET /events: upcoming or past, of the groups within reach, optionally one group's.
export async function index(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const filter = eventFilterSchema.parse(req.query);
  const visible = await policy.visibleGroupIds(user);
  const [found, groups, timeZone, canPlan] = await Promise.all([
    searchEvents(filter, visible),
    groupChoices(visible),
    tenantTimeZone(),
    policy.canPlanEvents(user),
  ]);
  const pageUrl = (page: number) =>
    `/events?${new URLSearchParams({ when: filter.when, group: filter.group, page: String(page) })}`;
  res.render('events/index', {
    title: wordsOf(res).events,
    ...found,
    groups,
    values: filter,
    pageUrl,
    canPlan,
    kindLabels: kindLabels(wordsOf(res), req),
    when: (d: Date) => formatDateTime(d, timeZone),
  });
}

// GET /events/:id: who attended, the count and the visitors.
export async function show(req: Request, res: Response): Promise<void> {
  const event = await loadEvent(req);
  const [attendees, manage, timeZone] = await Promise.all([
    attendeesOf(event.id),
    policy.canManageEvent(signedInUser(req), event),
    tenantTimeZone(),
  ]);
  res.render('events/show', {
    title: event.title,
    event,
    group: eventGroup(event),
    attendees,
    manage,
    memberName,
    kindLabels: kindLabels(wordsOf(res), req),
    when: (d: Date) => formatDateTime(d, timeZone),
  });
}

// GET /events/new (?group=<id> plans a meeting of that group)
export async function newEvent(req: Request, res: Response): Promise<void> {
  const choices = await choicesOrRefuse(signedInUser(req));
  const timeZone = await tenantTimeZone();
  const group = choices.groups.find((g) => String(g.id) === req.query.group);
  const meeting = Boolean(group) || !choices.kinds.includes('service');
  const values = {
    title: group ? `${group.name} meeting` : '',
    kind: meeting ? 'group_meeting' : 'service',
    groupId: group ? String(group.id) : '',
    date: localParts(new Date(), timeZone).date,
    time: group?.meetingTime?.slice(0, 5) ?? '',
    visitorCount: '0',
  };
  renderForm(req, res, 200, { choices, values, errors: {} });
}

// POST /events
export async function create(req: Request, res: Response): Promise<void> {
  const choices = await choicesOrRefuse(signedInUser(req));
  const values = eventFormValues(req.body);
  const input = await validInput(req, choices);
  if ('errors' in input) return renderForm(req, res, 422, { choices, values, errors: input.errors });
  const event = await Event.create(input.attributes);
  await audit.record({ action: 'event.created', ...recordOf(event), after: eventSnapshot(event) });
  req.flash('success', `${event.title} was added.`);
  res.redirect(`/events/${event.id}`);
}

// GET /events/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const event = await loadManagedEvent(req);
  const choices = await choicesFor(signedInUser(req));
  const local = localParts(event.startsAt, await tenantTimeZone());
  const values = {
    title: event.title,
    kind: event.kind,
    groupId: event.groupId ? String(event.groupId) : '',
    ...local,
    visitorCount: String(event.visitorCount),
  };
  renderForm(req, res, 200, { event, choices, values, errors: {} });
}

// POST /events/:id
export async function update(req: Request, res: Response): Promise<void> {
  const event = await loadManagedEvent(req);
  const choices = await choicesFor(signedInUser(req));
  const values = eventFormValues(req.body);
  const input = await validInput(req, choices);
  if ('errors' in input) return renderForm(req, res, 422, { event, choices, values, errors: input.errors });
  const before = eventSnapshot(event);
  await event.update(input.attributes);
  const after = eventSnapshot(event);
  if (Object.keys(audit.diff(before, after)).length)
    await audit.record({ action: 'event.updated', ...recordOf(event), before, after });
  req.flash('success', `${event.title} was saved.`);
  res.redirect(`/events/${event.id}`);
}

// POST /events/:id/delete: its attendance goes with it.
export async function destroy(req: Request, res: Response): Promise<void> {
  const event = await loadManagedEvent(req);
  const before = eventSnapshot(event);
  await event.destroy();
  await audit.record({ action: 'event.deleted', ...recordOf(event), before });
  req.flash('success', `${event.title} was deleted.`);
  res.redirect(event.groupId ? `/events?group=${event.groupId}` : '/events');
}

// Shared with ./events/attendance.controller.ts.

/** The event named by the URL, with its group; 404 when there is none or it is out of reach. */
export async function loadEvent(req: Request): Promise<Event> {
  const event = await findEvent(idParam(req.params.id));
  if (!event || !(await policy.canSeeEvent(signedInUser(req), event))) throw new NotFound();
  return event;
}

/** The event, for a person who may change it and take its attendance (403 when they only see it). */
export async function loadManagedEvent(req: Request): Promise<Event> {
  const event = await loadEvent(req);
  await policy.authorizeEvent(signedInUser(req), event);
  return event;
}

/** "Service" and "Group meeting" in the tenant's words. */
export function kindLabels(words: Vocabulary, req: Request): Record<EventKind, string> {
  const company = req.tenant?.kind === 'company';
  return { service: company ? 'All-hands meeting' : 'Service', group_meeting: `${words.group} meeting` };
}

export function recordOf(event: Event) {
  return { recordType: 'event', recordId: event.id, recordLabel: event.title };
}

function eventSnapshot(event: Event): Record<string, unknown> {
  const { title, kind, groupId, startsAt, visitorCount } = event;
  return { title, kind, groupId: groupId === null ? null : String(groupId), startsAt, visitorCount };
}

async function choicesFor(user: User): Promise<Choices> {
  if (levelCan(user.permissionLevel, 'members.edit'))
    return { kinds: ['service', 'group_meeting'], groups: await groupChoices('all') };
  const led = await policy.ledGroupIds(user);
  const groups = led.length ? await groupChoices(led) : [];
  return { kinds: groups.length ? ['group_meeting'] : [], groups };
}

async function choicesOrRefuse(user: User): Promise<Choices> {
  const choices = await choicesFor(user);
  if (!choices.kinds.length) throw new Forbidden();
  return choices;
}

/** The event's attributes from the form, or field messages (including a kind or group out of reach). */
async function validInput(
  req: Request,
  choices: Choices,
): Promise<{ attributes: Omit<EventInput, 'date' | 'time'> & { startsAt: Date } } | { errors: Errors }> {
  const parsed = eventSchema.safeParse(req.body ?? {});
  if (!parsed.success) return { errors: fieldErrors(parsed.error) };
  const { date, time, ...rest } = parsed.data;
  if (!choices.kinds.includes(rest.kind))
    return { errors: { kind: 'you can plan meetings of the groups you lead only' } };
  if (rest.groupId && !choices.groups.some((g) => String(g.id) === rest.groupId))
    return { errors: { groupId: 'choose one of the listed groups' } };
  return { attributes: { ...rest, startsAt: instantOf(date, time, await tenantTimeZone()) } };
}

function renderForm(
  req: Request,
  res: Response,
  status: number,
  locals: { event?: Event; choices: Choices; values: Record<string, string>; errors: Errors },
): void {
  const labels = kindLabels(wordsOf(res), req);
  const kinds = locals.choices.kinds.map((value) => ({ value, label: labels[value] }));
  const groups = [
    { value: '', label: 'None' },
    ...locals.choices.groups.map((g) => ({ value: String(g.id), label: g.name })),
  ];
  const title = locals.event ? `Edit ${locals.event.title}` : 'Plan an event';
  res.status(status).render(locals.event ? 'events/edit' : 'events/new', { title, kinds, groups, ...locals });
}
