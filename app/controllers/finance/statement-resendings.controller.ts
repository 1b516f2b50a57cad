import type { Request, Response } from 'express';
import { currentUser } from '../../middleware/auth.ts';
import { queueMailing } from '../../queue/jobs/statement-email.ts';
import { tenantTimeZone } from '../../services/local-time.ts';
import { giversOf, mailingPlan } from '../../services/statements.ts';
import { yearParam } from '../../validators/finance.validator.ts';
import {
  isConfirmed,
  renderConfirmation,
  resendAllConfirmation,
  sentUpToParam,
} from './statement-confirmations.ts';
import { mailingReport } from './statement-mailings.controller.ts';

// POST /finance/statements/resend-all (year, sentUpTo, confirmed=yes): queues every giver of the year
// with an e-mail address again, up to the latest send the page showed, so a second click sends nothing more.
export async function create(req: Request, res: Response): Promise<void> {
  const year = yearParam(req.body?.year);
  if (!isConfirmed(req)) {
    const plan = mailingPlan(await giversOf(year));
    return renderConfirmation(res, resendAllConfirmation(year, plan, await tenantTimeZone()));
  }
  const result = await queueMailing(year, {
    sentUpTo: sentUpToParam(req.body?.sentUpTo),
    userId: currentUser(req)?.id ?? null,
  });
  req.flash('success', mailingReport(year, result));
  res.redirect(`/finance/statements?year=${year}`);
}
