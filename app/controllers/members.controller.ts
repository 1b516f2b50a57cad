import type { Request, Response } from 'express';
import { UniqueConstraintError } from 'sequelize';
import { NotFound } from '../errors.ts';
import { currentUser } from '../middleware/auth.ts';
import { Household } from '../models/household.ts';
import { MEMBER_STATUSES, Member } from '../models/member.ts';
import { User } from '../models/user.ts';
import * as policy from '../policies/member.policy.ts';
import * as audit from '../services/audit.ts';
import {
  findMember,
  fullName,
  groupChoices,
  householdChoices,
  linkableUsers,
  memberEmailTaken,
  memberFacts,
  memberLinkedTo,
  memberSnapshot,
  searchMembers,
} from '../services/member-directory.ts';
import { formatCents } from '../services/money.ts';
import { fieldErrors, idParam } from '../validators/common.ts';
import {
  filterParams,
  type MemberInput,
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
  const errors = await conflicts(parsed.data);
  if (Object.keys(errors).length) return renderForm(res, 422, { values, errors });
  const member = await Member.create(parsed.data).catch(unlessDuplicate);
  if (!member) return renderForm(res, 422, { values, errors: await raceErrors(parsed.data) });
  await recordChange('member.created', member, null);
  req.flash('success', `${fullName(member)} was added.`);
  res.redirect(`/members/${member.id}`);
}

// GET /members/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const member = await loadMember(req);
  await renderForm(res, 200, { member, values: valuesOf(member), errors: {} });
}

// POST /members/:id
export async function update(req: Request, res: Response): Promise<void> {
  const member = await loadMember(req);
  const values = memberFormValues(req.body);
  const parsed = memberSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { member, values, errors: fieldErrors(parsed.error) });
  const errors = await conflicts(parsed.data, member.id);
  if (Object.keys(errors).length) return renderForm(res, 422, { member, values, errors });
  const before = memberSnapshot(member);
  const saved = await member.update(parsed.data).catch(unlessDuplicate);
  if (!saved)
    return renderForm(res, 422, { member, values, errors: await raceErrors(parsed.data, member.id) });
  await recordChange('member.updated', member, before);
  req.flash('success', `${fullName(member)} was saved.`);
  res.redirect(`/members/${member.id}`);
}

// POST /members/:id/delete: attendance and group places go with the person; contributions stay, unlinked.
export async function destroy(req: Request, res: Response): Promise<void> {
  const member = await loadMember(req);
  const before = memberSnapshot(member);
  await member.destroy();
  await audit.record({
    action: 'member.deleted',
    recordType: 'member',
    recordId: member.id,
    recordLabel: fullName(member),
    before,
  });
  req.flash('success', `${fullName(member)} was deleted.`);
  res.redirect('/members');
}

/** The person named by the URL; 404 when this tenant has no such person. */
async function loadMember(req: Request): Promise<Member> {
  const member = await findMember(idParam(req.params.id));
  if (!member) throw new NotFound();
  return member;
}

function valuesOf(member: Member): Record<string, string> {
  const text = (v: string | null) => v ?? '';
  return {
    firstName: member.firstName,
    lastName: member.lastName,
    email: text(member.email),
    phone: text(member.phone),
    address: text(member.address),
    birthDate: text(member.birthDate),
    status: member.status,
    joinedOn: text(member.joinedOn),
    notes: text(member.notes),
    householdId: member.householdId ? String(member.householdId) : '',
    userId: member.userId ? String(member.userId) : '',
  };
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

/** What the database would refuse or what no longer exists, as field messages. */
async function conflicts(data: MemberInput, exceptId?: string): Promise<Errors> {
  const errors: Errors = {};
  if (data.email && (await memberEmailTaken(data.email, exceptId))) {
    errors.email = 'is already used by someone in the directory';
  }
  if (data.householdId && !(await Household.findByPk(data.householdId))) {
    errors.householdId = 'no longer exists';
  }
  if (data.userId) {
    const linked = await memberLinkedTo(data.userId, exceptId);
    if (linked) errors.userId = `is already linked to ${fullName(linked)}`;
    else if (!(await User.findByPk(data.userId))) errors.userId = 'no longer exists';
  }
  return errors;
}

/** Two saves that raced past the checks: the unique indexes refused one; say which field. */
async function raceErrors(data: MemberInput, exceptId?: string): Promise<Errors> {
  const errors = await conflicts(data, exceptId);
  return Object.keys(errors).length ? errors : { _: 'Someone changed this record meanwhile. Try again.' };
}

function unlessDuplicate(err: unknown): null {
  if (err instanceof UniqueConstraintError) return null;
  throw err;
}

/** A save that changed nothing is not logged. */
async function recordChange(action: string, member: Member, before: Record<string, unknown> | null) {
  const after = memberSnapshot(member);
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'member',
    recordId: member.id,
    recordLabel: fullName(member),
    before,
    after,
  });
}
