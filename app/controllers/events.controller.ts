import type { Request, Response } from 'express';
import { ValidationError } from '../errors.ts';
import { Event } from '../models/event.ts';
import * as policy from '../policies/group.policy.ts';
import { attendeesOf, eventGroup, searchEvents } from '../services/attendance.ts';
import {
  createEvent,
  deleteEvent,
  eventInputValues,
  managedEvent,
  type PlanningChoices,
  planningChoices,
  planningChoicesOrRefuse,
  updateEvent,
  visibleEvent,
} from '../services/events.ts';
import { groupChoices, memberName } from '../services/groups.ts';
import { formatDateTime, localParts, tenantTimeZone } from '../services/local-time.ts';
import type { Vocabulary } from '../services/vocabulary.ts';
import { fieldErrors } from '../validators/common.ts';
import {
  type EventKind,
  eventFilterSchema,
  eventFormValues,
  eventSchema,
} from '../validators/event.validator.ts';
import { wordsOf } from './groups.controller.ts';
import { signedInUser } from './signed-in.ts';

type Errors = Record<string, string>;

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
  const choices = await planningChoicesOrRefuse(signedInUser(req));
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
  const user = signedInUser(req);
  const choices = await planningChoicesOrRefuse(user);
  const values = eventFormValues(req.body);
  const parsed = eventSchema.safeParse(req.body ?? {});
  if (!parsed.success)
    return renderForm(req, res, 422, { choices, values, errors: fieldErrors(parsed.error) });
  const event = await createEvent(user, parsed.data).catch(fieldMessages);
  if (!(event instanceof Event)) return renderForm(req, res, 422, { choices, values, errors: event });
  req.flash('success', `${event.title} was added.`);
  res.redirect(`/events/${event.id}`);
}

// GET /events/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const event = await loadManagedEvent(req);
  const choices = await planningChoices(signedInUser(req));
  const values = eventInputValues(event, await tenantTimeZone());
  renderForm(req, res, 200, { event, choices, values, errors: {} });
}

// POST /events/:id
export async function update(req: Request, res: Response): Promise<void> {
  const event = await loadManagedEvent(req);
  const user = signedInUser(req);
  const choices = await planningChoices(user);
  const values = eventFormValues(req.body);
  const parsed = eventSchema.safeParse(req.body ?? {});
  if (!parsed.success)
    return renderForm(req, res, 422, { event, choices, values, errors: fieldErrors(parsed.error) });
  const saved = await updateEvent(user, event, parsed.data).catch(fieldMessages);
  if (!(saved instanceof Event)) return renderForm(req, res, 422, { event, choices, values, errors: saved });
  req.flash('success', `${event.title} was saved.`);
  res.redirect(`/events/${event.id}`);
}

// POST /events/:id/delete: its attendance goes with it.
export async function destroy(req: Request, res: Response): Promise<void> {
  const event = await loadManagedEvent(req);
  await deleteEvent(signedInUser(req), event);
  req.flash('success', `${event.title} was deleted.`);
  res.redirect(event.groupId ? `/events?group=${event.groupId}` : '/events');
}

// Shared with ./events/attendance.controller.ts.

/** The event named by the URL, with its group; 404 when there is none or it is out of reach. */
export function loadEvent(req: Request): Promise<Event> {
  return visibleEvent(signedInUser(req), req.params.id);
}

/** The event, for a person who may change it and take its attendance (403 when they only see it). */
export function loadManagedEvent(req: Request): Promise<Event> {
  return managedEvent(signedInUser(req), req.params.id);
}

/** "Service" and "Group meeting" in the tenant's words. */
export function kindLabels(words: Vocabulary, req: Request): Record<EventKind, string> {
  const company = req.tenant?.kind === 'company';
  return { service: company ? 'All-hands meeting' : 'Service', group_meeting: `${words.group} meeting` };
}

/** A refusal with field messages becomes those messages; any other error goes on to the error handler. */
function fieldMessages(err: unknown): Errors {
  if (err instanceof ValidationError) return err.fields;
  throw err;
}

function renderForm(
  req: Request,
  res: Response,
  status: number,
  locals: { event?: Event; choices: PlanningChoices; values: Record<string, string>; errors: Errors },
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
