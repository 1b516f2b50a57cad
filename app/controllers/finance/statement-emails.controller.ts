import type { Request, Response } from 'express';
import { log } from '../../logger.ts';
import { emailStatement } from '../../services/statements.ts';
import { loadStatement } from './statements.controller.ts';

// POST /finance/statements/:memberId/email (year in the form): sends one member their statement.
export async function create(req: Request, res: Response): Promise<void> {
  const statement = await loadStatement(req);
  const { member, year } = statement;
  const back = `/finance/statements/${member.id}?year=${year}`;
  const name = `${member.firstName} ${member.lastName}`;
  if (!member.email?.trim()) {
    req.flash('warning', `${name} has no e-mail address. Print the statement instead.`);
    return res.redirect(back);
  }
  if (!statement.lines.length) {
    req.flash('warning', `${name} has no gifts recorded in ${year}, so there is nothing to send.`);
    return res.redirect(back);
  }
  const sent = await emailStatement(statement).then(
    () => true,
    (err: unknown) => {
      log().error({ err, memberId: member.id }, 'giving statement e-mail failed');
      return false;
    },
  );
  req.flash(
    sent ? 'success' : 'danger',
    sent
      ? `The ${year} statement was sent to ${member.email}.`
      : `The statement could not be sent. Try again in a moment.`,
  );
  res.redirect(back);
}
