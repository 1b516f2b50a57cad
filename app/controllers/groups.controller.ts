import type { Request, Response } from 'express';
import { ValidationError } from '../errors.ts';
import { Group } from '../models/group.ts';
import * as policy from '../policies/group.policy.ts';
import { groupTrend } from '../services/attendance.ts';
import {
  candidatesFor,
  createGroup,
  deleteGroup,
  groupInputValues,
  memberName,
  rosterOf,
  searchGroups,
  updateGroup,
  visibleGroup,
} from '../services/groups.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import type { Vocabulary } from '../services/vocabulary.ts';
import { fieldErrors } from '../validators/common.ts';
import {
  groupFilterSchema,
  groupFormValues,
  groupSchema,
  rosterSearchSchema,
  WEEKDAYS,
} from '../validators/group.validator.ts';
import { signedInUser } from './signed-in.ts';

type Errors = Record<string, string>;

// GET /groups: everyone's groups for those who view members, otherwise the groups one leads.
export async function index(req: Request, res: Response): Promise<void> {
  const filter = groupFilterSchema.parse(req.query);
  const visible = await policy.visibleGroupIds(signedInUser(req));
  const { groups, total, pages } = await searchGroups(filter, visible);
  const pageUrl = (page: number) => `/groups?${new URLSearchParams({ q: filter.q, page: String(page) })}`;
  const scoped = visible !== 'all';
  res.render('groups/index', {
    title: wordsOf(res).groups,
    groups,
    total,
    pages,
    values: filter,
    pageUrl,
    scoped,
    weekdays: WEEKDAYS,
  });
}

// GET /groups/:id: the roster, the member picker (?q=) and the attendance of recent meetings.
export async function show(req: Request, res: Response): Promise<void> {
  await renderShow(req, res, await loadGroup(req));
}

// GET /groups/new
export function newGroup(_req: Request, res: Response): void {
  renderForm(res, 200, { values: {}, errors: {} });
}

// POST /groups
export async function create(req: Request, res: Response): Promise<void> {
  const values = groupFormValues(req.body);
  const parsed = groupSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { values, errors: fieldErrors(parsed.error) });
  const group = await createGroup(signedInUser(req), parsed.data).catch(fieldMessages);
  if (!(group instanceof Group)) return renderForm(res, 422, { values, errors: group });
  req.flash('success', `${group.name} was created. Add its leaders and members below.`);
  res.redirect(`/groups/${group.id}`);
}

// GET /groups/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const group = await loadGroup(req);
  renderForm(res, 200, { group, values: groupInputValues(group), errors: {} });
}

// POST /groups/:id
export async function update(req: Request, res: Response): Promise<void> {
  const group = await loadGroup(req);
  const values = groupFormValues(req.body);
  const parsed = groupSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { group, values, errors: fieldErrors(parsed.error) });
  const saved = await updateGroup(signedInUser(req), group, parsed.data).catch(fieldMessages);
  if (!(saved instanceof Group)) return renderForm(res, 422, { group, values, errors: saved });
  req.flash('success', `${group.name} was saved.`);
  res.redirect(`/groups/${group.id}`);
}

// POST /groups/:id/delete: its roster, meetings and their attendance go with it.
export async function destroy(req: Request, res: Response): Promise<void> {
  const group = await loadGroup(req);
  await deleteGroup(signedInUser(req), group);
  req.flash('success', `${group.name} was deleted.`);
  res.redirect('/groups');
}

// Shared with the roster controllers in ./groups/ and the events controllers.

/** The signed-in person (the route line has required one). */
export function wordsOf(res: Response): Vocabulary {
  return res.locals.words as Vocabulary;
}

/** The group named by the URL; 404 when there is none or it is out of the person's reach. */
export function loadGroup(req: Request): Promise<Group> {
  return visibleGroup(signedInUser(req), req.params.id);
}

/** The group's page; `errors` explain a roster change that was just refused. */
export async function renderShow(
  req: Request,
  res: Response,
  group: Group,
  status = 200,
  errors: Errors = {},
): Promise<void> {
  const user = signedInUser(req);
  const manage = await policy.canManageRoster(user, group);
  const q = rosterSearchSchema.parse({ q: req.query.q ?? req.body?.q }).q;
  const [roster, candidates, trend, timeZone] = await Promise.all([
    rosterOf(group.id),
    manage && q ? candidatesFor(group.id, q) : Promise.resolve([]),
    groupTrend(group.id),
    tenantTimeZone(),
  ]);
  const when = (d: Date) => formatDateTime(d, timeZone);
  res.status(status).render('groups/show', {
    title: group.name,
    group,
    roster,
    candidates,
    trend,
    q,
    manage,
    errors,
    when,
    memberName,
    weekdays: WEEKDAYS,
  });
}

function renderForm(
  res: Response,
  status: number,
  locals: { group?: Group; values: Record<string, string>; errors: Errors },
): void {
  const words = wordsOf(res);
  const title = locals.group ? `Edit ${locals.group.name}` : `New ${words.group.toLowerCase()}`;
  const days = [
    { value: '', label: 'No regular day' },
    ...WEEKDAYS.map((label, value) => ({ value, label })),
  ];
  res.status(status).render(locals.group ? 'groups/edit' : 'groups/new', { title, days, ...locals });
}

/** A refusal with field messages becomes those messages; any other error goes on to the error handler. */
function fieldMessages(err: unknown): Errors {
  if (err instanceof ValidationError) return err.fields;
  throw err;
}
