import type { Request, Response } from 'express';
import { NotFound } from '../../errors.ts';
import { log } from '../../logger.ts';
import { currentUser } from '../../middleware/auth.ts';
import { Expense, Fund } from '../../models/index.ts';
import * as audit from '../../services/audit.ts';
import * as ledger from '../../services/ledger.ts';
import { formatCents } from '../../services/money.ts';
import { fileStore, safeFileName } from '../../services/storage.ts';
import { fieldErrors } from '../../validators/common.ts';
import {
  type ExpenseInput,
  expenseFilterSchema,
  expenseFormValues,
  expenseSchema,
  idParam,
  today,
} from '../../validators/finance.validator.ts';
import { RECEIPT_ACCEPT, type ReceiptFile, receiptFrom } from './receipt-upload.ts';

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
  if ('errors' in input) return renderForm(res, 422, { values, errors: input.errors });
  const { amount, removeReceipt: _ignored, ...fields } = input.data;
  const receipt = input.receipt ? await storeReceipt(input.receipt) : noReceipt;
  const createdBy = currentUser(req)?.id ?? null;
  const entry = await Expense.create({ ...fields, amountCents: amount, ...receipt, createdBy }).catch(
    forget(receipt.receiptKey),
  );
  await record('expense.created', entry, null);
  req.flash('success', `The expense of ${formatCents(entry.amountCents)} was recorded.`);
  res.redirect(`/finance/expenses/${entry.id}`);
}

// GET /finance/expenses/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const entry = await loadExpense(req);
  const locked = await ledger.lockReason('expense', entry);
  if (locked) return refuseLocked(req, res, entry, locked);
  await renderForm(res, 200, { entry, values: valuesOf(entry), errors: {} });
}

// POST /finance/expenses/:id: a correction; a new receipt replaces (and removes) the old file.
export async function update(req: Request, res: Response): Promise<void> {
  const entry = await loadExpense(req);
  const locked = await ledger.lockReason('expense', entry);
  if (locked) return refuseLocked(req, res, entry, locked);
  const values = expenseFormValues(req.body);
  const input = await validExpense(req, res, entry);
  if ('errors' in input) return renderForm(res, 422, { entry, values, errors: input.errors });
  const before = ledger.snapshot(entry);
  const oldKey = entry.receiptKey;
  const { amount, removeReceipt, ...fields } = input.data;
  const receipt = input.receipt ? await storeReceipt(input.receipt) : removeReceipt ? noReceipt : {};
  await entry.update({ ...fields, amountCents: amount, ...receipt }).catch(forget(receipt.receiptKey));
  if (oldKey && oldKey !== entry.receiptKey) await removeFile(oldKey);
  await record('expense.updated', entry, before);
  req.flash('success', `Expense #${entry.id} was corrected.`);
  res.redirect(`/finance/expenses/${entry.id}`);
}

/** The expense named by the URL, with its fund; 404 when this tenant has none. */
export async function loadExpense(req: Request): Promise<Expense> {
  const entry = await ledger.findExpense(idParam(req.params.id));
  if (!entry) throw new NotFound();
  return entry;
}

/** Audits a change to `entry` from `before` (null for a new entry); a save that changed nothing is not logged. */
export async function record(action: string, entry: Expense, before: Record<string, unknown> | null) {
  const after = ledger.snapshot(entry);
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  const label = `${formatCents(entry.amountCents)} to ${entry.payee} on ${entry.spentOn}`;
  await audit.record({
    action,
    recordType: 'expense',
    recordId: entry.id,
    recordLabel: label,
    before,
    after,
  });
}

interface ReceiptColumns {
  receiptKey?: string | null;
  receiptName?: string | null;
  receiptType?: string | null;
}
const noReceipt = { receiptKey: null, receiptName: null, receiptType: null } satisfies ReceiptColumns;

async function storeReceipt(file: ReceiptFile): Promise<ReceiptColumns> {
  const receiptKey = await fileStore.put('receipt', file.data);
  return { receiptKey, receiptName: safeFileName(file.name), receiptType: file.type };
}

/** A file stored for a save that then failed is removed again before the error goes on. */
function forget(key: string | null | undefined) {
  return async (err: unknown): Promise<never> => {
    if (key) await removeFile(key);
    throw err;
  };
}

async function removeFile(key: string): Promise<void> {
  await fileStore.remove(key).catch((err: unknown) => log().warn({ err, key }, 'receipt file not removed'));
}

function refuseLocked(req: Request, res: Response, entry: Expense, reason: string): void {
  req.flash('warning', reason);
  res.redirect(`/finance/expenses/${entry.id}`);
}

/** The fields and the receipt, with the fund checked to be active (or the entry's own). */
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
    const fund = await Fund.findByPk(parsed.data.fundId);
    if (!fund || (!fund.active && String(entry?.fundId) !== parsed.data.fundId))
      errors.fundId = 'choose an active fund';
  }
  if (!parsed.success || Object.keys(errors).length) return { errors };
  return { data: parsed.data, receipt: receipt && !('error' in receipt) ? receipt : null };
}

function valuesOf(entry: Expense): Record<string, string> {
  return {
    category: entry.category,
    fundId: String(entry.fundId),
    amount: formatCents(entry.amountCents),
    spentOn: entry.spentOn,
    payee: entry.payee,
    note: entry.note ?? '',
  };
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
