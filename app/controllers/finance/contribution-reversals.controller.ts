import type { Request, Response } from 'express';
import { currentUser } from '../../middleware/auth.ts';
import { reverseContribution } from '../../services/finance/contributions.ts';
import { EntryLocked } from '../../services/ledger.ts';
import { formatCents } from '../../services/money.ts';
import { fieldErrors, idParam } from '../../validators/common.ts';
import { reversalSchema } from '../../validators/finance.validator.ts';
import { loadContribution, renderShow } from './contributions.controller.ts';

// POST /finance/contributions/:id/reversal: a negative entry cancels the original; both stay.
export async function create(req: Request, res: Response): Promise<void> {
  const id = idParam(req.params.id);
  const parsed = reversalSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderShow(res, await loadContribution(req), 422, fieldErrors(parsed.error));
  const reversal = await reverseContribution(id, parsed.data.reason, currentUser(req)).catch(unlessLocked);
  if (reversal === 'locked') return renderShow(res, await loadContribution(req), 409);
  req.flash('success', `#${id} was reversed by a new entry of ${formatCents(reversal.amountCents)}.`);
  res.redirect(`/finance/contributions/${reversal.id}`);
}

function unlessLocked(err: unknown): 'locked' {
  if (err instanceof EntryLocked) return 'locked';
  throw err;
}
