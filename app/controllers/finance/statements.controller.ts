import type { Request, Response } from 'express';
import { NotFound } from '../../errors.ts';
import { formatDateTime, tenantTimeZone } from '../../services/local-time.ts';
import { formatCents, sumCents } from '../../services/money.ts';
import {
  giversOf,
  mailingPlan,
  mailingProgress,
  sendingOf,
  statementFor,
} from '../../services/statements.ts';
import { idParam, thisYear, yearParam } from '../../validators/finance.validator.ts';
import {
  mailingConfirmation,
  resendAllConfirmation,
  statementConfirmation,
} from './statement-confirmations.ts';

// GET /finance/statements?year=YYYY: who gave that year, those without an e-mail address first,
// with when each statement was e-mailed and the progress of the latest "E-mail all".
export async function index(req: Request, res: Response): Promise<void> {
  const year = yearParam(req.query.year);
  const [givers, timeZone, progress] = await Promise.all([
    giversOf(year),
    tenantTimeZone(),
    mailingProgress(year),
  ]);
  const plan = mailingPlan(givers);
  const current = thisYear();
  res.render('finance/statements/index', {
    title: `Giving statements ${year}`,
    year,
    years: Array.from({ length: 10 }, (_, i) => current - i),
    withoutEmail: givers.filter((g) => !g.email),
    withEmail: givers.filter((g) => g.email),
    totalCents: sumCents(givers.map((g) => g.totalCents)),
    plan,
    progress,
    emailAll: mailingConfirmation(year, plan),
    resendAll: resendAllConfirmation(year, plan, timeZone),
    when: (at: Date) => formatDateTime(at, timeZone),
    formatCents,
  });
}

// GET /finance/statements/:memberId?year=YYYY: one printable statement, and when it was e-mailed.
export async function show(req: Request, res: Response): Promise<void> {
  const statement = await loadStatement(req);
  const [sending, timeZone] = await Promise.all([
    sendingOf(statement.member.id, statement.year),
    tenantTimeZone(),
  ]);
  const name = `${statement.member.firstName} ${statement.member.lastName}`;
  res.render('finance/statements/show', {
    title: `${statement.year} statement: ${name}`,
    statement,
    sending,
    emailOne: statementConfirmation(statement, sending, timeZone),
    when: (at: Date) => formatDateTime(at, timeZone),
    formatCents,
  });
}

/** The statement of the member named by the URL for ?year=; 404 when this tenant has no such member. */
export async function loadStatement(req: Request) {
  const statement = await statementFor(
    idParam(req.params.memberId),
    yearParam(req.query.year ?? req.body?.year),
  );
  if (!statement) throw new NotFound();
  return statement;
}
