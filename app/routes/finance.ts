import { Router } from 'express';
import * as contributionReversals from '../controllers/finance/contribution-reversals.controller.ts';
import * as contributions from '../controllers/finance/contributions.controller.ts';
import * as expenseReversals from '../controllers/finance/expense-reversals.controller.ts';
import * as expenses from '../controllers/finance/expenses.controller.ts';
import * as funds from '../controllers/finance/funds.controller.ts';
import { receiptUpload } from '../controllers/finance/receipt-upload.ts';
import * as receipts from '../controllers/finance/receipts.controller.ts';
import * as statementEmails from '../controllers/finance/statement-emails.controller.ts';
import * as statementMailings from '../controllers/finance/statement-mailings.controller.ts';
import * as statementResendings from '../controllers/finance/statement-resendings.controller.ts';
import * as statements from '../controllers/finance/statements.controller.ts';
import * as stats from '../controllers/finance/stats.controller.ts';
import { can } from '../middleware/auth.ts';

/** The finance area of a tenant's host. Each line names the access it needs. */
export function financeRoutes(): Router {
  const r = Router();

  r.get('/finance/funds', can('finance.view'), funds.index);
  r.get('/finance/funds/new', can('finance.edit'), funds.newFund);
  r.post('/finance/funds', can('finance.edit'), funds.create);
  r.get('/finance/funds/:id/edit', can('finance.edit'), funds.edit);
  r.post('/finance/funds/:id', can('finance.edit'), funds.update);
  r.post('/finance/funds/:id/delete', can('finance.edit'), funds.destroy);

  r.get('/finance/people', can('finance.view'), contributions.people);
  r.get('/finance/contributions', can('finance.view'), contributions.index);
  r.get('/finance/contributions/new', can('finance.edit'), contributions.newContribution);
  r.post('/finance/contributions', can('finance.edit'), contributions.create);
  r.get('/finance/contributions/:id', can('finance.view'), contributions.show);
  r.get('/finance/contributions/:id/edit', can('finance.edit'), contributions.edit);
  r.post('/finance/contributions/:id', can('finance.edit'), contributions.update);
  r.post('/finance/contributions/:id/reversal', can('finance.edit'), contributionReversals.create);

  r.get('/finance/expenses', can('finance.view'), expenses.index);
  r.get('/finance/expenses/new', can('finance.edit'), expenses.newExpense);
  r.post('/finance/expenses', can('finance.edit'), receiptUpload, expenses.create);
  r.get('/finance/expenses/:id', can('finance.view'), expenses.show);
  r.get('/finance/expenses/:id/edit', can('finance.edit'), expenses.edit);
  r.post('/finance/expenses/:id', can('finance.edit'), receiptUpload, expenses.update);
  r.post('/finance/expenses/:id/reversal', can('finance.edit'), expenseReversals.create);
  r.get('/finance/expenses/:id/receipt', can('finance.view'), receipts.show);

  r.get('/finance/stats', can('finance.stats'), stats.show);

  r.get('/finance/statements', can('finance.view'), statements.index);
  r.post('/finance/statements/email-all', can('finance.edit'), statementMailings.create);
  r.post('/finance/statements/resend-all', can('finance.edit'), statementResendings.create);
  r.get('/finance/statements/:memberId', can('finance.view'), statements.show);
  r.post('/finance/statements/:memberId/email', can('finance.edit'), statementEmails.create);

  return r;
}
