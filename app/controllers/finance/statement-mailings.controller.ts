import type { Request, Response } from 'express';
import { currentUser } from '../../middleware/auth.ts';
import { queueMailing } from '../../queue/jobs/statement-email.ts';
import { giversOf, type MailingResult, mailingPlan } from '../../services/statements.ts';
import { yearParam } from '../../validators/finance.validator.ts';
import { isConfirmed, mailingConfirmation, renderConfirmation } from './statement-confirmations.ts';

// POST /finance/statements/email-all (year, confirmed=yes): queues every giver of the year with an
// e-mail address who was not sent their statement yet, one job each, and returns at once; the
// statements page shows the mailing's progress. Unconfirmed, it asks first and queues nothing.
export async function create(req: Request, res: Response): Promise<void> {
  const year = yearParam(req.body?.year);
  if (!isConfirmed(req))
    return renderConfirmation(res, mailingConfirmation(year, mailingPlan(await giversOf(year))));
  const result = await queueMailing(year, { userId: currentUser(req)?.id ?? null });
  req.flash('success', mailingReport(year, result));
  res.redirect(`/finance/statements?year=${year}`);
}

/** "2025: 2 statements are being sent, 3 sent already or being sent, 1 skipped (no e-mail address)." */
export function mailingReport(year: number, { queued, alreadySent, skipped }: MailingResult): string {
  const parts = [
    `${queued} ${queued === 1 ? 'statement is' : 'statements are'} being sent`,
    ...(alreadySent ? [`${alreadySent} sent already or being sent`] : []),
    `${skipped} skipped (no e-mail address)`,
  ];
  return `${year}: ${parts.join(', ')}.`;
}
