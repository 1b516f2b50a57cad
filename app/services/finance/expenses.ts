import type { Readable } from 'node:stream';
import { db } from '../../db/database.ts';
import { currentTransaction, inTransaction } from '../../db/transaction-context.ts';
import { NotFound, ValidationError } from '../../errors.ts';
import { log } from '../../logger.ts';
import { Expense } from '../../models/index.ts';
import type { User } from '../../models/user.ts';
import { idParam } from '../../validators/common.ts';
import type { ExpenseInput } from '../../validators/finance.validator.ts';
import * as audit from '../audit.ts';
import * as ledger from '../ledger.ts';
import { formatCents } from '../money.ts';
import { fileStore, safeFileName } from '../storage.ts';

/**
 * Expenses (money out) and their receipts, for the pages and the API alike. A receipt is stored
 * before the entry is saved and removed again when the save fails; a replaced receipt's file is
 * removed only once the change is committed, so a rolled-back change keeps the file it names.
 */

/** A receipt whose type was recognised from its content (see controllers/finance/receipt-upload.ts). */
export interface Receipt {
  data: Buffer;
  name: string;
  type: string;
}

/** The fields of an expense; `removeReceipt` only matters to a correction. */
export type ExpenseFields = Omit<ExpenseInput, 'removeReceipt'> & { removeReceipt?: boolean };

/** The expense of that id (as the URL gives it), with its fund; 404 when there is none. */
export async function loadExpense(rawId: unknown): Promise<Expense> {
  const entry = await ledger.findExpense(idParam(rawId));
  if (!entry) throw new NotFound();
  return entry;
}

/** Records an expense by `user`, with its receipt when there is one; an inactive fund is a ValidationError. */
export async function createExpense(
  input: ExpenseFields,
  receipt: Receipt | null,
  user: User | null,
): Promise<Expense> {
  await refuseProblems(input, null);
  const { amount, removeReceipt: _ignored, ...fields } = input;
  return withStoredReceipt(receipt, async (columns) => {
    const created = await Expense.create({
      ...fields,
      amountCents: amount,
      ...(columns ?? NO_RECEIPT),
      createdBy: user?.id ?? null,
    });
    await record('expense.created', created, null);
    return (await ledger.findExpense(created.id)) ?? created;
  });
}

/**
 * A correction of the expense, audited with its values before and after: a new receipt replaces
 * the old one, `removeReceipt` drops it. Throws EntryLocked (409) for a reversal or a reversed entry.
 */
export async function correctExpense(
  entry: Expense,
  input: ExpenseFields,
  receipt: Receipt | null,
): Promise<Expense> {
  await refuseProblems(input, entry);
  const { amount, removeReceipt, ...fields } = input;
  return withStoredReceipt(receipt, async (columns) => {
    await ledger.lockForChange('expense', entry);
    const before = ledger.snapshot(entry);
    const oldKey = entry.receiptKey;
    await entry.update({ ...fields, amountCents: amount, ...(columns ?? (removeReceipt ? NO_RECEIPT : {})) });
    if (oldKey && oldKey !== entry.receiptKey) removeAfterCommit(oldKey);
    await record('expense.updated', entry, before);
    return entry.reload();
  });
}

/** Gives the expense this receipt (null: none) in place of the one it had; locked entries refuse (409). */
export function replaceReceipt(entry: Expense, receipt: Receipt | null): Promise<Expense> {
  return withStoredReceipt(receipt, async (columns) => {
    await ledger.lockForChange('expense', entry);
    const before = ledger.snapshot(entry);
    const oldKey = entry.receiptKey;
    await entry.update(columns ?? NO_RECEIPT);
    if (oldKey) removeAfterCommit(oldKey);
    await record('expense.updated', entry, before);
    return entry;
  });
}

/**
 * Reverses expense `rawId` by a negative entry (without the receipt, which stays with the original)
 * and returns the reversal. 404 when there is no such entry; EntryLocked (409) when it cannot be.
 */
export function reverseExpense(rawId: unknown, reason: string | null, user: User | null): Promise<Expense> {
  const id = idParam(rawId);
  return inTransaction(db(), async () => {
    const done = await ledger.reverse('expense', id, reason, user?.id ?? null);
    if (!done) throw new NotFound();
    const reversal = done.reversal as Expense;
    await record('expense.reversed', reversal, null);
    return (await ledger.findExpense(reversal.id)) ?? reversal;
  });
}

/** The expense's receipt file to send; 404 when it has none or the file is missing. */
export async function openReceipt(
  entry: Expense,
): Promise<{ stream: Readable; size: number; name: string; type: string }> {
  if (!entry.receiptKey) throw new NotFound('This expense has no receipt.');
  const file = await fileStore.open(entry.receiptKey).catch(() => null);
  if (!file) throw new NotFound('The receipt file is missing.');
  return {
    stream: file.stream,
    size: file.size,
    name: entry.receiptName ?? 'receipt',
    type: entry.receiptType ?? 'application/octet-stream',
  };
}

/** The entry's values as the form (and a partial API change) starts from: text, as a person types it. */
export function expenseValues(entry: Expense): Record<string, string> {
  return {
    category: entry.category,
    fundId: String(entry.fundId),
    amount: formatCents(entry.amountCents),
    spentOn: entry.spentOn,
    payee: entry.payee,
    note: entry.note ?? '',
  };
}

/** The expense as the API shows it; `reversed` when a later entry reverses it. */
export function presentExpense(entry: Expense, reversed: boolean) {
  const { fund } = ledger.loadedWith(entry);
  return {
    id: String(entry.id),
    category: entry.category,
    fundId: String(entry.fundId),
    fundName: fund?.name ?? null,
    amountCents: Number(entry.amountCents),
    spentOn: entry.spentOn,
    payee: entry.payee,
    note: entry.note ?? null,
    receipt: entry.receiptKey
      ? { name: entry.receiptName ?? 'receipt', type: entry.receiptType ?? 'application/octet-stream' }
      : null,
    reversesId: ledger.reversedId(entry),
    reversed,
    createdBy: entry.createdBy ? String(entry.createdBy) : null,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
  };
}

interface ReceiptColumns {
  receiptKey: string | null;
  receiptName: string | null;
  receiptType: string | null;
}
const NO_RECEIPT: ReceiptColumns = { receiptKey: null, receiptName: null, receiptType: null };

/**
 * Stores the receipt (when there is one), then runs `work` with its columns in the unit of work's
 * transaction; when that fails the stored file is removed again before the error goes on.
 */
async function withStoredReceipt<T>(
  receipt: Receipt | null,
  work: (columns: ReceiptColumns | null) => Promise<T>,
): Promise<T> {
  const columns = receipt
    ? {
        receiptKey: await fileStore.put('receipt', receipt.data),
        receiptName: safeFileName(receipt.name),
        receiptType: receipt.type,
      }
    : null;
  try {
    return await inTransaction(db(), () => work(columns));
  } catch (err) {
    if (columns?.receiptKey) await removeFile(columns.receiptKey);
    throw err;
  }
}

function removeAfterCommit(key: string): void {
  const transaction = currentTransaction();
  if (transaction) transaction.afterCommit(() => removeFile(key));
  else void removeFile(key);
}

async function removeFile(key: string): Promise<void> {
  await fileStore.remove(key).catch((err: unknown) => log().warn({ err, key }, 'receipt file not removed'));
}

/** Audits a change to `entry` from `before` (null for a new entry); a save that changed nothing is not logged. */
async function record(action: string, entry: Expense, before: Record<string, unknown> | null): Promise<void> {
  const after = ledger.snapshot(entry);
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'expense',
    recordId: entry.id,
    recordLabel: `${formatCents(entry.amountCents)} to ${entry.payee} on ${entry.spentOn}`,
    before,
    after,
  });
}

async function refuseProblems(input: ExpenseFields, entry: Expense | null): Promise<void> {
  const fund = await ledger.fundProblem(input.fundId, entry?.fundId);
  if (fund) throw new ValidationError({ fundId: fund });
}
