import type { Request, Response } from 'express';
import { ValidationError } from '../../errors.ts';
import type { Fund } from '../../models/index.ts';
import * as funds from '../../services/finance/funds.ts';
import { fieldErrors } from '../../validators/common.ts';
import { fundFormValues, fundSchema } from '../../validators/finance.validator.ts';
import { refusal } from './refusals.ts';

type Errors = Record<string, string>;

// GET /finance/funds
export async function index(_req: Request, res: Response): Promise<void> {
  res.render('finance/funds/index', { title: 'Funds', ...(await funds.fundsWithEntries()) });
}

// GET /finance/funds/new
export function newFund(_req: Request, res: Response): void {
  renderForm(res, 200, { values: { name: '', description: '', active: true }, errors: {} });
}

// POST /finance/funds
export async function create(req: Request, res: Response): Promise<void> {
  const values = fundFormValues(req.body);
  const parsed = fundSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { values, errors: fieldErrors(parsed.error) });
  const fund = await funds.createFund(parsed.data).catch(refusal);
  if (fund instanceof ValidationError) return renderForm(res, 422, { values, errors: fund.fields });
  req.flash('success', `The fund "${fund.name}" was created.`);
  res.redirect('/finance/funds');
}

// GET /finance/funds/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const fund = await funds.loadFund(req.params.id);
  renderForm(res, 200, { fund, values: valuesOf(fund), errors: {}, entries: await funds.entryCount(fund) });
}

// POST /finance/funds/:id
export async function update(req: Request, res: Response): Promise<void> {
  const fund = await funds.loadFund(req.params.id);
  const values = fundFormValues(req.body);
  const parsed = fundSchema.safeParse(req.body ?? {});
  const saved = parsed.success
    ? await funds.updateFund(fund, parsed.data).catch(refusal)
    : new ValidationError(fieldErrors(parsed.error));
  if (saved instanceof ValidationError)
    return renderForm(res, 422, {
      fund,
      values,
      errors: saved.fields,
      entries: await funds.entryCount(fund),
    });
  req.flash('success', `The fund "${fund.name}" was saved.`);
  res.redirect('/finance/funds');
}

// POST /finance/funds/:id/delete: only a fund without entries; one with entries is deactivated instead.
export async function destroy(req: Request, res: Response): Promise<void> {
  const fund = await funds.loadFund(req.params.id);
  if ((await funds.removeFund(fund)) === 'deleted') {
    req.flash('success', `The fund "${fund.name}" was deleted.`);
    return res.redirect('/finance/funds');
  }
  req.flash(
    'warning',
    `The fund "${fund.name}" has entries, so it cannot be deleted. It was deactivated instead: it keeps its entries and no longer appears on new ones.`,
  );
  res.redirect(`/finance/funds/${fund.id}/edit`);
}

function valuesOf(fund: Fund): Record<string, unknown> {
  return { name: fund.name, description: fund.description ?? '', active: fund.active };
}

function renderForm(
  res: Response,
  status: number,
  locals: { fund?: Fund; values: Record<string, unknown>; errors: Errors; entries?: number },
): void {
  const view = locals.fund ? 'finance/funds/edit' : 'finance/funds/new';
  const title = locals.fund ? `Edit ${locals.fund.name}` : 'New fund';
  res.status(status).render(view, { title, entries: 0, ...locals });
}
