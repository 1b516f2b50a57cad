import type { Request, Response } from 'express';
import type { Household } from '../models/household.ts';
import { fullName } from '../services/member-directory.ts';
import {
  createHousehold,
  deleteHousehold,
  householdFormOf,
  loadHousehold as loadHouseholdById,
  membersOf,
  searchHouseholds,
  updateHousehold,
} from '../services/people/households.ts';
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
  const window = { limit: HOUSEHOLDS_PER_PAGE, offset: (filter.page - 1) * HOUSEHOLDS_PER_PAGE };
  const { rows, total } = await searchHouseholds(filter, window);
  const pages = Math.max(1, Math.ceil(total / HOUSEHOLDS_PER_PAGE));
  const pageUrl = (page: number) => `/households?${new URLSearchParams({ q: filter.q, page: String(page) })}`;
  res.render('households/index', {
    title: 'Households',
    households: rows,
    total,
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
  const household = await createHousehold(parsed.data);
  req.flash('success', `The household "${household.name}" was added.`);
  res.redirect(`/households/${household.id}`);
}

// GET /households/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const household = await loadHousehold(req);
  renderForm(res, 200, { household, values: householdFormOf(household), errors: {} });
}

// POST /households/:id
export async function update(req: Request, res: Response): Promise<void> {
  const household = await loadHousehold(req);
  const values = householdFormValues(req.body);
  const parsed = householdSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { household, values, errors: fieldErrors(parsed.error) });
  await updateHousehold(household, parsed.data);
  req.flash('success', `The household "${household.name}" was saved.`);
  res.redirect(`/households/${household.id}`);
}

// POST /households/:id/delete: its people stay in the directory, without a household (FK SET NULL).
export async function destroy(req: Request, res: Response): Promise<void> {
  const household = await loadHousehold(req);
  await deleteHousehold(household);
  req.flash('success', `The household "${household.name}" was deleted. Its people were kept.`);
  res.redirect('/households');
}

function loadHousehold(req: Request): Promise<Household> {
  return loadHouseholdById(idParam(req.params.id));
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
