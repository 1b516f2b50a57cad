import type { Request, Response } from 'express';
import { ForeignKeyConstraintError, Op, QueryTypes, UniqueConstraintError } from 'sequelize';
import { db } from '../../db/database.ts';
import { NotFound } from '../../errors.ts';
import { Fund } from '../../models/index.ts';
import * as audit from '../../services/audit.ts';
import { fieldErrors } from '../../validators/common.ts';
import { type FundInput, fundFormValues, fundSchema, idParam } from '../../validators/finance.validator.ts';

type Errors = Record<string, string>;
const NAME_TAKEN = 'is already the name of another fund';

// GET /finance/funds
export async function index(_req: Request, res: Response): Promise<void> {
  const funds = await Fund.findAll({ order: [['name', 'ASC']] });
  const entries = await entryCounts();
  res.render('finance/funds/index', { title: 'Funds', funds, entries });
}

// GET /finance/funds/new
export function newFund(_req: Request, res: Response): void {
  renderForm(res, 200, { values: { name: '', description: '', active: true }, errors: {} });
}

// POST /finance/funds
export async function create(req: Request, res: Response): Promise<void> {
  const values = fundFormValues(req.body);
  const input = await validFund(req.body, null);
  if ('errors' in input) return renderForm(res, 422, { values, errors: input.errors });
  const fund = await Fund.create(input.data).catch(unlessDuplicate);
  if (!fund) return renderForm(res, 422, { values, errors: { name: NAME_TAKEN } });
  await record('fund.created', fund, null);
  req.flash('success', `The fund "${fund.name}" was created.`);
  res.redirect('/finance/funds');
}

// GET /finance/funds/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const fund = await loadFund(req);
  renderForm(res, 200, { fund, values: valuesOf(fund), errors: {}, entries: await entryCount(fund) });
}

// POST /finance/funds/:id
export async function update(req: Request, res: Response): Promise<void> {
  const fund = await loadFund(req);
  const values = fundFormValues(req.body);
  const input = await validFund(req.body, fund.id);
  if ('errors' in input)
    return renderForm(res, 422, { fund, values, errors: input.errors, entries: await entryCount(fund) });
  const before = { ...fund.get({ plain: true }) };
  const saved = await fund.update(input.data).catch(unlessDuplicate);
  if (!saved) {
    const errors = { name: NAME_TAKEN };
    return renderForm(res, 422, { fund, values, errors, entries: await entryCount(fund) });
  }
  await record('fund.updated', fund, before);
  req.flash('success', `The fund "${fund.name}" was saved.`);
  res.redirect('/finance/funds');
}

// POST /finance/funds/:id/delete: only a fund without entries; one with entries is deactivated instead.
export async function destroy(req: Request, res: Response): Promise<void> {
  const fund = await loadFund(req);
  const before = { ...fund.get({ plain: true }) };
  const deleted = (await entryCount(fund)) === 0 && (await fund.destroy().then(() => true, unlessInUse));
  if (!deleted) return deactivate(req, res, fund);
  await audit.record({
    action: 'fund.deleted',
    recordType: 'fund',
    recordId: fund.id,
    recordLabel: fund.name,
    before,
  });
  req.flash('success', `The fund "${fund.name}" was deleted.`);
  res.redirect('/finance/funds');
}

/** A fund with entries keeps them: it is only hidden from new entries. */
async function deactivate(req: Request, res: Response, fund: Fund): Promise<void> {
  const before = { ...fund.get({ plain: true }) };
  if (fund.active) {
    await fund.update({ active: false });
    await record('fund.deactivated', fund, before);
  }
  req.flash(
    'warning',
    `The fund "${fund.name}" has entries, so it cannot be deleted. It was deactivated instead: it keeps its entries and no longer appears on new ones.`,
  );
  res.redirect(`/finance/funds/${fund.id}/edit`);
}

async function loadFund(req: Request): Promise<Fund> {
  const fund = await Fund.findByPk(idParam(req.params.id));
  if (!fund) throw new NotFound();
  return fund;
}

function valuesOf(fund: Fund): Record<string, unknown> {
  return { name: fund.name, description: fund.description ?? '', active: fund.active };
}

/** The form's fields, with a friendly message when the name is taken (case-insensitively). */
async function validFund(
  body: unknown,
  selfId: string | null,
): Promise<{ data: FundInput } | { errors: Errors }> {
  const parsed = fundSchema.safeParse(body ?? {});
  if (!parsed.success) return { errors: fieldErrors(parsed.error) };
  const taken = await Fund.findOne({
    where: {
      name: { [Op.iLike]: parsed.data.name.replace(/[\\%_]/g, (c) => `\\${c}`) },
      ...(selfId ? { id: { [Op.ne]: selfId } } : {}),
    },
  });
  return taken ? { errors: { name: NAME_TAKEN } } : { data: parsed.data };
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

async function record(action: string, fund: Fund, before: Record<string, unknown> | null): Promise<void> {
  const after = { ...fund.get({ plain: true }) };
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'fund',
    recordId: fund.id,
    recordLabel: fund.name,
    before,
    after,
  });
}

/** Contributions and expenses per fund id. */
async function entryCounts(): Promise<Map<string, number>> {
  const rows = await db().query<{ fund_id: string; n: string }>(
    `SELECT fund_id, COUNT(*) AS n FROM (
       SELECT fund_id FROM contributions UNION ALL SELECT fund_id FROM expenses
     ) e GROUP BY fund_id`,
    { type: QueryTypes.SELECT },
  );
  return new Map(rows.map((r) => [String(r.fund_id), Number(r.n)]));
}

async function entryCount(fund: Fund): Promise<number> {
  const [row] = await db().query<{ n: string }>(
    `SELECT (SELECT COUNT(*) FROM contributions WHERE fund_id = $1)
          + (SELECT COUNT(*) FROM expenses WHERE fund_id = $1) AS n`,
    { bind: [fund.id], type: QueryTypes.SELECT },
  );
  return Number(row?.n ?? 0);
}

function unlessDuplicate(err: unknown): null {
  if (err instanceof UniqueConstraintError) return null;
  throw err;
}

/** An entry recorded since the count (FK RESTRICT) is the last guard: deactivate rather than fail. */
function unlessInUse(err: unknown): false {
  if (err instanceof ForeignKeyConstraintError) return false;
  throw err;
}
