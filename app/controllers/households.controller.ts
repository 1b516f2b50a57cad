import type { Request, Response } from 'express';
import { literal, Op } from 'sequelize';
import { NotFound } from '../errors.ts';
import { Household } from '../models/household.ts';
import { Member } from '../models/member.ts';
import * as audit from '../services/audit.ts';
import { fullName } from '../services/member-directory.ts';
import { fieldErrors, idParam } from '../validators/common.ts';
import {
  HOUSEHOLDS_PER_PAGE,
  householdFilterSchema,
  householdFormValues,
  householdSchema,
} from '../validators/member.validator.ts';

type Errors = Record<string, string>;

// GET /households: by name, with how many people each has.
export async function index(req: Request, res: Response): Promise<void> {
  const filter = householdFilterSchema.parse(req.query);
  const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows, count } = await Household.findAndCountAll({
    attributes: {
      include: [
        [literal('(SELECT count(*) FROM members m WHERE m.household_id = "Household"."id")::int'), 'size'],
      ],
    },
    where: filter.q ? { name: { [Op.iLike]: pattern } } : {},
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
    limit: HOUSEHOLDS_PER_PAGE,
    offset: (filter.page - 1) * HOUSEHOLDS_PER_PAGE,
  });
  const pages = Math.max(1, Math.ceil(count / HOUSEHOLDS_PER_PAGE));
  const pageUrl = (page: number) => `/households?${new URLSearchParams({ q: filter.q, page: String(page) })}`;
  res.render('households/index', {
    title: 'Households',
    households: rows,
    total: count,
    pages,
    values: filter,
    pageUrl,
  });
}

// GET /households/:id
export async function show(req: Request, res: Response): Promise<void> {
  const household = await loadHousehold(req);
  const members = await membersOf(household);
  res.render('households/show', { title: household.name, household, members, fullName });
}

// GET /households/new
export async function newHousehold(_req: Request, res: Response): Promise<void> {
  renderForm(res, 200, { values: {}, errors: {} });
}

// POST /households
export async function create(req: Request, res: Response): Promise<void> {
  const values = householdFormValues(req.body);
  const parsed = householdSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { values, errors: fieldErrors(parsed.error) });
  const household = await Household.create(parsed.data);
  await recordChange('household.created', household, null);
  req.flash('success', `The household "${household.name}" was added.`);
  res.redirect(`/households/${household.id}`);
}

// GET /households/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const household = await loadHousehold(req);
  const values = { name: household.name, address: household.address ?? '', phone: household.phone ?? '' };
  renderForm(res, 200, { household, values, errors: {} });
}

// POST /households/:id
export async function update(req: Request, res: Response): Promise<void> {
  const household = await loadHousehold(req);
  const values = householdFormValues(req.body);
  const parsed = householdSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { household, values, errors: fieldErrors(parsed.error) });
  const before = snapshot(household);
  await household.update(parsed.data);
  await recordChange('household.updated', household, before);
  req.flash('success', `The household "${household.name}" was saved.`);
  res.redirect(`/households/${household.id}`);
}

// POST /households/:id/delete: its people stay in the directory, without a household (FK SET NULL).
export async function destroy(req: Request, res: Response): Promise<void> {
  const household = await loadHousehold(req);
  const before = { ...snapshot(household), members: (await membersOf(household)).map(fullName) };
  await household.destroy();
  await audit.record({
    action: 'household.deleted',
    recordType: 'household',
    recordId: household.id,
    recordLabel: household.name,
    before,
  });
  req.flash('success', `The household "${household.name}" was deleted. Its people were kept.`);
  res.redirect('/households');
}

async function loadHousehold(req: Request): Promise<Household> {
  const household = await Household.findByPk(idParam(req.params.id));
  if (!household) throw new NotFound();
  return household;
}

function membersOf(household: Household): Promise<Member[]> {
  return Member.findAll({
    where: { householdId: household.id },
    order: [
      ['lastName', 'ASC'],
      ['firstName', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}

/** A copy of the fields: `get()` hands back the live values, which a later update changes. */
function snapshot(household: Household): Record<string, unknown> {
  return { ...household.get({ plain: true }) };
}

function renderForm(
  res: Response,
  status: number,
  locals: { household?: Household; values: Record<string, string>; errors: Errors },
): void {
  const view = locals.household ? 'households/edit' : 'households/new';
  const title = locals.household ? `Edit ${locals.household.name}` : 'Add a household';
  res.status(status).render(view, { title, ...locals });
}

async function recordChange(action: string, household: Household, before: Record<string, unknown> | null) {
  const after = snapshot(household);
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'household',
    recordId: household.id,
    recordLabel: household.name,
    before,
    after,
  });
}
