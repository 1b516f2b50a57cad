import type { Request, Response } from 'express';
import { currentUser } from '../../middleware/auth.ts';
import { queueStatements } from '../../queue/jobs/statement-email.ts';
import { formatDateTime, tenantTimeZone } from '../../services/local-time.ts';
import { sendingOf } from '../../services/statements.ts';
import {
  isConfirmed,
  renderConfirmation,
  sentUpToParam,
  statementConfirmation,
} from './statement-confirmations.ts';
import { loadStatement } from './statements.controller.ts';

// POST /finance/statements/:memberId/email (year, sentUpTo for a resend, confirmed=yes): queues the
// sending of one member's statement (a worker sends it in a moment). Unconfirmed, it asks first and sends nothing.
export async function create(req: Request, res: Response): Promise<void> {
  const statement = await loadStatement(req);
  const { member, year } = statement;
  const back = `/finance/statements/${member.id}?year=${year}`;
  const name = `${member.firstName} ${member.lastName}`;
  if (!member.email?.trim()) {
    req.flash('warning', `${name} has no e-mail address, so nothing was sent. Print the statement instead.`);
    return res.redirect(back);
  }
  if (!statement.lines.length) {
    req.flash('warning', `${name} has no gifts recorded in ${year}, so there is nothing to send.`);
    return res.redirect(back);
  }
  const timeZone = await tenantTimeZone();
  if (!isConfirmed(req))
    return renderConfirmation(
      res,
      statementConfirmation(statement, await sendingOf(member.id, year), timeZone),
    );
  const userId = currentUser(req)?.id ?? null;
  const queued = await queueStatements([member.id], year, {
    sentUpTo: sentUpToParam(req.body?.sentUpTo),
    userId,
    mailing: null,
  });
  if (queued.length) req.flash('success', `The ${year} statement is being sent to ${member.email?.trim()}.`);
  else req.flash('warning', await takenMessage(member.id, year, timeZone));
  res.redirect(back);
}

/** Why a send found the statement taken: sent since the page was shown, or being sent right now. */
async function takenMessage(memberId: string, year: number, timeZone: string): Promise<string> {
  const sending = await sendingOf(memberId, year);
  if (sending?.sending) return `The ${year} statement is being sent right now, so it was not sent twice.`;
  const when = sending?.sentAt ? ` on ${formatDateTime(sending.sentAt, timeZone)}` : '';
  return `The ${year} statement was sent already${when}${sending?.sentTo ? ` to ${sending.sentTo}` : ''}, so it was not sent twice. Use "Send again" to send it once more.`;
}
