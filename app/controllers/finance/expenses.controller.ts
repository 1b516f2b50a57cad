import type { Request, Response } from 'express';
import { ValidationError } from '../../errors.ts';
import { currentUser } from '../../middleware/auth.ts';
import type { Expense } from '../../models/index.ts';
import * as expenses from '../../services/finance/expenses.ts';
import * as ledger from '../../services/ledger.ts';
import { EntryLocked } from '../../services/ledger.ts';
import { formatCents } from '../../services/money.ts';
import { fieldErrors } from '../../validators/common.ts';
import {
  type ExpenseInput,
  expenseFilterSchema,
  expenseFormValues,
  expenseSchema,
  today,
} from '../../validators/finance.validator.ts';
import { RECEIPT_ACCEPT, type ReceiptFile, receiptFrom } from './receipt-upload.ts';
import { refusal, refusalOrLock } from './refusals.ts';

type Errors = Record<string, string>;

// GET /finance/expenses
export async function index(req: Request, res: Response): Promise<void> {
  const filter = expenseFilterSchema.parse(req.query);
  const [page, funds, categories] = await Promise.all([
    ledger.searchExpenses(filter),
    ledger.allFunds(),
    ledger.expenseCategories(),
  ]);
  const reversed = await ledger.reversedAmong(
    'expense',
    page.entries.map((e) => String(e.id)),
  );
  const kept = Object.entries({
    from: filter.from,
    to: filter.to,
    fundId: filter.fundId,
    category: filter.category,
  });
  const pageUrl = (n: number) =>
    `/finance/expenses?${new URLSearchParams([...kept.filter(([, v]) => v), ['page', String(n)]])}`;
  res.render('finance/expenses/index', {
    title: 'Expenses',
    ...page,
    reversed,
    funds,
    categories,
    values: filter,
    pageUrl,
    formatCents,
    reversedId: ledger.reversedId,
  });
}

// GET /finance/expenses/:id
export async function show(req: Request, res: Response): Promise<void> {
  await renderShow(res, await loadExpense(req));
}

/** The entry's page; `errors.reason` explains a refused reversal. */
export async function renderShow(res: Response, entry: Expense, status = 200, errors: Errors = {}) {
  res.status(status).render('finance/expenses/show', {
    title: `Expense #${entry.id}`,
    entry,
    locked: await ledger.lockReason('expense', entry),
    original: ledger.reversedId(entry),
    errors,
    formatCents,
  });
}

// GET /finance/expenses/new
export async function newExpense(_req: Request, res: Response): Promise<void> {
  await renderForm(res, 200, { values: { spentOn: today() }, errors: {} });
}

// POST /finance/expenses (multipart: the fields and an optional receipt)
export async function create(req: Request, res: Response): Promise<void> {
  const values = expenseFormValues(req.body);
  const input = await validExpense(req, res, null);
  const entry =
    'errors' in input
      ? new ValidationError(input.errors)
      : await expenses.createExpense(input.data, input.receipt, currentUser(req)).catch(refusal);
  if (entry instanceof ValidationError) return renderForm(res, 422, { values, errors: entry.fields });
  req.flash('success', `The expense of ${formatCents(entry.amountCents)} was recorded.`);
  res.redirect(`/finance/expenses/${entry.id}`);
}

// GET /finance/expenses/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const entry = await loadExpense(req);
  const locked = await ledger.lockReason('expense', entry);
  if (locked) return refuseLocked(req, res, entry, locked);
  await renderForm(res, 200, { entry, values: expenses.expenseValues(entry), errors: {} });
}

// POST /finance/expenses/:id: a correction; a new receipt replaces (and removes) the old file.
export async function update(req: Request, res: Response): Promise<void> {
  const entry = await loadExpense(req);
  const locked = await ledger.lockReason('expense', entry);
  if (locked) return refuseLocked(req, res, entry, locked);
  const values = expenseFormValues(req.body);
  const input = await validExpense(req, res, entry);
  const saved =
    'errors' in input
      ? new ValidationError(input.errors)
      : await expenses.correctExpense(entry, input.data, input.receipt).catch(refusalOrLock);
  if (saved instanceof EntryLocked) return refuseLocked(req, res, entry, saved.message);
  if (saved instanceof ValidationError) return renderForm(res, 422, { entry, values, errors: saved.fields });
  req.flash('success', `Expense #${entry.id} was corrected.`);
  res.redirect(`/finance/expenses/${entry.id}`);
}

/** The expense named by the URL, with its fund; 404 when this tenant has none. */
export function loadExpense(req: Request): Promise<Expense> {
  return expenses.loadExpense(req.params.id);
}

function refuseLocked(req: Request, res: Response, entry: Expense, reason: string): void {
  req.flash('warning', reason);
  res.redirect(`/finance/expenses/${entry.id}`);
}

/**
 * The fields and the receipt, every problem the form shows at once: the fields, the receipt, and
 * (when the fields parse) the fund, checked to be active or the entry's own.
 */
async function validExpense(
  req: Request,
  res: Response,
  entry: Expense | null,
): Promise<{ data: ExpenseInput; receipt: ReceiptFile | null } | { errors: Errors }> {
  const parsed = expenseSchema.safeParse(req.body ?? {});
  const errors: Errors = parsed.success ? {} : fieldErrors(parsed.error);
  const receipt = receiptFrom(req, res);
  if (receipt && 'error' in receipt) errors.receipt = receipt.error;
  if (parsed.success) {
    const fund = await ledger.fundProblem(parsed.data.fundId, entry?.fundId);
    if (fund) errors.fundId = fund;
  }
  if (!parsed.success || Object.keys(errors).length) return { errors };
  return { data: parsed.data, receipt: receipt && !('error' in receipt) ? receipt : null };
}

async function renderForm(
  res: Response,
  status: number,
  locals: { entry?: Expense; values: Record<string, string>; errors: Errors },
): Promise<void> {
  const [funds, categories] = await Promise.all([
    ledger.fundChoices(locals.entry?.fundId),
    ledger.expenseCategories(),
  ]);
  const view = locals.entry ? 'finance/expenses/edit' : 'finance/expenses/new';
  const title = locals.entry ? `Correct expense #${locals.entry.id}` : 'Record an expense';
  res.status(status).render(view, { title, funds, categories, accept: RECEIPT_ACCEPT, ...locals });
}
