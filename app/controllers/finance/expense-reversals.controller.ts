import type { Request, Response } from 'express';
import { NotFound } from '../../errors.ts';
import { currentUser } from '../../middleware/auth.ts';
import type { Expense } from '../../models/index.ts';
import { EntryLocked, reverse } from '../../services/ledger.ts';
import { formatCents } from '../../services/money.ts';
import { fieldErrors } from '../../validators/common.ts';
import { idParam, reversalSchema } from '../../validators/finance.validator.ts';
import { loadExpense, record, renderShow } from './expenses.controller.ts';

// POST /finance/expenses/:id/reversal: a negative entry cancels the original; both stay.
export async function create(req: Request, res: Response): Promise<void> {
  const id = idParam(req.params.id);
  const parsed = reversalSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(res, await loadExpense(req), 422, fieldErrors(parsed.error));
  const userId = currentUser(req)?.id ?? null;
  const done = await reverse('expense', id, parsed.data.reason, userId).catch(unlessLocked);
  if (done === 'locked') return renderShow(res, await loadExpense(req), 409);
  if (!done) throw new NotFound();
  const reversal = done.reversal as Expense;
  await record('expense.reversed', reversal, null);
  req.flash('success', `Expense #${id} was reversed by a new entry of ${formatCents(reversal.amountCents)}.`);
  res.redirect(`/finance/expenses/${reversal.id}`);
}

function unlessLocked(err: unknown): 'locked' {
  if (err instanceof EntryLocked) return 'locked';
  throw err;
}
