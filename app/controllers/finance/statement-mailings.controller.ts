import type { Request, Response } from 'express';
import { emailAllStatements } from '../../services/statements.ts';
import { yearParam } from '../../validators/finance.validator.ts';

// POST /finance/statements/email-all (year in the form): every giver of the year with an e-mail address.
export async function create(req: Request, res: Response): Promise<void> {
  const year = yearParam(req.body?.year);
  const { sent, skipped, failed } = await emailAllStatements(year);
  const parts = [
    `${sent} ${sent === 1 ? 'statement was' : 'statements were'} sent`,
    `${skipped} skipped (no e-mail address)`,
    ...(failed ? [`${failed} could not be sent`] : []),
  ];
  req.flash(failed ? 'warning' : 'success', `${year}: ${parts.join(', ')}.`);
  res.redirect(`/finance/statements?year=${year}`);
}
