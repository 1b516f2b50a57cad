import type { Request, Response } from 'express';
import { currentUser } from '../../middleware/auth.ts';
import { reverseExpense } from '../../services/finance/expenses.ts';
import { EntryLocked } from '../../services/ledger.ts';
import { formatCents } from '../../services/money.ts';
import { fieldErrors, idParam } from '../../validators/common.ts';
import { reversalSchema } from '../../validators/finance.validator.ts';
import { loadExpense, renderShow } from './expenses.controller.ts';

// POST /finance/expenses/:id/reversal: a negative entry cancels the original; both stay.
export async function create(req: Request, res: Response): Promise<void> {
  const id = idParam(req.params.id);
  const parsed = reversalSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(res, await loadExpense(req), 422, fieldErrors(parsed.error));
  const reversal = await reverseExpense(id, parsed.data.reason, currentUser(req)).catch(unlessLocked);
  if (reversal === 'locked') return renderShow(res, await loadExpense(req), 409);
  req.flash('success', `Expense #${id} was reversed by a new entry of ${formatCents(reversal.amountCents)}.`);
  res.redirect(`/finance/expenses/${reversal.id}`);
}

function unlessLocked(err: unknown): 'locked' {
  if (err instanceof EntryLocked) return 'locked';
  throw err;
}
