import type { Request, Response } from 'express';
import { formatDateTime } from '../../services/local-time.ts';
import type { MailingPlan, Statement } from '../../services/statements.ts';

/**
 * The questions asked before statements are e-mailed. Each is shown as a dialog on its page and,
 * when a send arrives without `confirmed=yes` (a form posted some other way), as a page of its own:
 * nothing is sent until the question was answered.
 */
export interface Confirmation {
  id: string;
  title: string;
  lines: string[];
  action: string;
  fields: Record<string, string>;
  /** The button's label; null when there is nothing to send. */
  submit: string | null;
  cancel: string;
}

const statements = (n: number) => `${n} ${n === 1 ? 'statement' : 'statements'}`;
const were = (n: number) => (n === 1 ? 'was' : 'were');

export function isConfirmed(req: Request): boolean {
  return req.body?.confirmed === 'yes';
}

/** The send a resend answers to, as the form carries it back; null when there is none or it is no time. */
export function sentUpToParam(raw: unknown): Date | null {
  if (typeof raw !== 'string' || !raw) return null;
  const at = new Date(raw);
  return Number.isNaN(at.getTime()) ? null : at;
}

export function renderConfirmation(res: Response, confirmation: Confirmation): void {
  res.render('finance/statements/confirm', { title: confirmation.title, confirmation });
}

/** "E-mail all": only those not sent yet. */
export function mailingConfirmation(year: number, plan: MailingPlan): Confirmation {
  const lines = [
    plan.toSend
      ? `${statements(plan.toSend)} will be sent now.`
      : `Every statement of ${year} with an e-mail address was sent already.`,
  ];
  if (plan.alreadySent)
    lines.push(
      `${statements(plan.alreadySent)} ${were(plan.alreadySent)} sent already and will not be sent again.`,
    );
  if (plan.sending)
    lines.push(`${statements(plan.sending)} ${plan.sending === 1 ? 'is' : 'are'} being sent right now.`);
  if (plan.withoutEmail)
    lines.push(`${plan.withoutEmail} without an e-mail address will not be sent: print those.`);
  return {
    id: 'email-all',
    title: `E-mail ${statements(plan.toSend)} of ${year}?`,
    lines,
    action: '/finance/statements/email-all',
    fields: { year: String(year) },
    submit: plan.toSend ? `Send ${statements(plan.toSend)}` : null,
    cancel: `/finance/statements?year=${year}`,
  };
}

/** "E-mail all again": those sent up to the latest send the page showed, and those never sent. */
export function resendAllConfirmation(year: number, plan: MailingPlan, timeZone: string): Confirmation {
  const total = plan.toSend + plan.alreadySent;
  const lines = [`${statements(total)} will be sent now.`];
  if (plan.alreadySent && plan.lastSentAt)
    lines.push(
      `${plan.alreadySent} of them ${were(plan.alreadySent)} sent before (the latest on ${formatDateTime(plan.lastSentAt, timeZone)}) and will be sent again.`,
    );
  if (plan.sending) lines.push(`${statements(plan.sending)} being sent right now will not be sent twice.`);
  if (plan.withoutEmail)
    lines.push(`${plan.withoutEmail} without an e-mail address will not be sent: print those.`);
  return {
    id: 'resend-all',
    title: `E-mail all ${statements(total)} of ${year} again?`,
    lines,
    action: '/finance/statements/resend-all',
    fields: { year: String(year), sentUpTo: plan.lastSentAt?.toISOString() ?? '' },
    submit: total ? `Send ${statements(total)}` : null,
    cancel: `/finance/statements?year=${year}`,
  };
}

/** One person's statement: the first send, or again after the send the page showed. */
export function statementConfirmation(
  s: Statement,
  sent: { sentAt: Date | null; sentTo: string | null } | null,
  timeZone: string,
): Confirmation {
  const to = s.member.email?.trim() ?? '';
  const name = `${s.member.firstName} ${s.member.lastName}`;
  const sentAt = sent?.sentAt ?? null;
  return {
    id: 'email-statement',
    title: sentAt ? `Send the ${s.year} statement again?` : `E-mail the ${s.year} statement?`,
    lines: sentAt
      ? [
          `It was sent on ${formatDateTime(sentAt, timeZone)} to ${sent?.sentTo ?? ''}.`,
          `${name} will get it again at ${to}.`,
        ]
      : [`${name} will get the statement of ${s.year} at ${to}.`],
    action: `/finance/statements/${s.member.id}/email`,
    fields: { year: String(s.year), sentUpTo: sentAt?.toISOString() ?? '' },
    submit: sentAt ? 'Send again' : 'Send',
    cancel: `/finance/statements/${s.member.id}?year=${s.year}`,
  };
}
