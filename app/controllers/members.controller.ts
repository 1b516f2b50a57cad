import type { Request, Response } from 'express';
import { ValidationError } from '../errors.ts';
import { currentUser } from '../middleware/auth.ts';
import { MEMBER_STATUSES, Member } from '../models/member.ts';
import * as policy from '../policies/member.policy.ts';
import {
  fullName,
  groupChoices,
  householdChoices,
  linkableUsers,
  memberFacts,
  searchMembers,
} from '../services/member-directory.ts';
import { formatCents } from '../services/money.ts';
import {
  createMember,
  deleteMember,
  loadMember as loadMemberById,
  memberFormOf,
  updateMember,
} from '../services/people/members.ts';
import { fieldErrors, idParam } from '../validators/common.ts';
import {
  filterParams,
  type MemberSort,
  memberFilterSchema,
  memberFormValues,
  memberSchema,
} from '../validators/member.validator.ts';

type Errors = Record<string, string>;

// GET /members
export async function index(req: Request, res: Response): Promise<void> {
  const filter = memberFilterSchema.parse(req.query);
  const [{ members, total, pages }, groups] = await Promise.all([searchMembers(filter), groupChoices()]);
  const pageUrl = (page: number) => `/members?${filterParams(filter, { page })}`;
  const sortUrl = (sort: MemberSort) =>
    `/members?${filterParams(filter, { sort, dir: filter.sort === sort && filter.dir === 'asc' ? 'desc' : 'asc', page: 1 })}`;
  const exportUrl = `/members/export.csv?${filterParams(filter, { page: 1 })}`;
  const title = res.locals.words.members;
  const locals = { members, total, pages, groups, statuses: MEMBER_STATUSES, pageUrl, sortUrl, exportUrl };
  res.render('members/index', { title, values: filter, ...locals });
}

// GET /members/:id: contact facts, household, groups, attendance, giving (finance viewers) and history.
export async function show(req: Request, res: Response): Promise<void> {
  const member = await loadMember(req);
  const viewer = currentUser(req);
  const facts = await memberFacts(member, { withGiving: policy.canSeeGiving(viewer) });
  const showNotes = policy.canSeeNotes(viewer);
  const changesOf = (entry: { changes: Parameters<typeof policy.visibleChanges>[0] }) =>
    policy.visibleChanges(entry.changes, viewer);
  res.render('members/show', { title: fullName(member), member, facts, showNotes, changesOf, formatCents });
}

// GET /members/new (?householdId= picks the household, from a household's page)
export async function newMember(req: Request, res: Response): Promise<void> {
  const householdId = typeof req.query.householdId === 'string' ? req.query.householdId : '';
  await renderForm(res, 200, { values: { status: 'visitor', householdId }, errors: {} });
}

// POST /members
export async function create(req: Request, res: Response): Promise<void> {
  const values = memberFormValues(req.body);
  const parsed = memberSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { values, errors: fieldErrors(parsed.error) });
  const member = await createMember(parsed.data).catch(refusedFields);
  if (!(member instanceof Member)) return renderForm(res, 422, { values, errors: member });
  req.flash('success', `${fullName(member)} was added.`);
  res.redirect(`/members/${member.id}`);
}

// GET /members/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const member = await loadMember(req);
  await renderForm(res, 200, { member, values: memberFormOf(member), errors: {} });
}

// POST /members/:id
export async function update(req: Request, res: Response): Promise<void> {
  const member = await loadMember(req);
  const values = memberFormValues(req.body);
  const parsed = memberSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { member, values, errors: fieldErrors(parsed.error) });
  const saved = await updateMember(member, parsed.data).catch(refusedFields);
  if (!(saved instanceof Member)) return renderForm(res, 422, { member, values, errors: saved });
  req.flash('success', `${fullName(member)} was saved.`);
  res.redirect(`/members/${member.id}`);
}

// POST /members/:id/delete: attendance and group places go with the person; contributions stay, unlinked.
export async function destroy(req: Request, res: Response): Promise<void> {
  const member = await loadMember(req);
  await deleteMember(member);
  req.flash('success', `${fullName(member)} was deleted.`);
  res.redirect('/members');
}

/** The person named by the URL; 404 when this tenant has no such person. */
function loadMember(req: Request): Promise<Member> {
  return loadMemberById(idParam(req.params.id));
}

async function renderForm(
  res: Response,
  status: number,
  locals: { member?: Member; values: Record<string, string>; errors: Errors },
): Promise<void> {
  const [households, users] = await Promise.all([householdChoices(), linkableUsers(locals.member)]);
  const words = res.locals.words;
  const view = locals.member ? 'members/edit' : 'members/new';
  const title = locals.member ? `Edit ${fullName(locals.member)}` : `Add a ${words.member.toLowerCase()}`;
  res.status(status).render(view, { title, households, users, statuses: MEMBER_STATUSES, ...locals });
}

/** The field messages of a refused save; any other error goes on to the error handler. */
function refusedFields(err: unknown): Errors {
  if (err instanceof ValidationError) return err.fields;
  throw err;
}
