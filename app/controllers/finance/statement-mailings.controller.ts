import type { Request, Response } from 'express';
import { currentUser } from '../../middleware/auth.ts';
import { emailAllStatements, giversOf, type MailingResult, mailingPlan } from '../../services/statements.ts';
import { yearParam } from '../../validators/finance.validator.ts';
import { isConfirmed, mailingConfirmation, renderConfirmation } from './statement-confirmations.ts';

// POST /finance/statements/email-all (year, confirmed=yes): every giver of the year with an e-mail
// address who was not sent their statement yet. Unconfirmed, it asks first and sends nothing.
export async function create(req: Request, res: Response): Promise<void> {
  const year = yearParam(req.body?.year);
  if (!isConfirmed(req))
    return renderConfirmation(res, mailingConfirmation(year, mailingPlan(await giversOf(year))));
  const result = await emailAllStatements(year, { userId: currentUser(req)?.id ?? null });
  req.flash(result.failed ? 'warning' : 'success', mailingReport(year, result));
  res.redirect(`/finance/statements?year=${year}`);
}

/** "2025: 2 statements were sent, 3 were sent already, 1 skipped (no e-mail address)." */
export function mailingReport(year: number, { sent, alreadySent, skipped, failed }: MailingResult): string {
  const parts = [
    `${sent} ${sent === 1 ? 'statement was' : 'statements were'} sent`,
    ...(alreadySent ? [`${alreadySent} ${alreadySent === 1 ? 'was' : 'were'} sent already`] : []),
    `${skipped} skipped (no e-mail address)`,
    ...(failed ? [`${failed} could not be sent`] : []),
  ];
  return `${year}: ${parts.join(', ')}.`;
}
