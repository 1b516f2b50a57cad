/**
 * Finance: funds, contributions, expenses with their receipts, reversals, the statistics and the
 * giving statements. Each handler parses with the page's schema (money as integer cents) and calls
 * the service the page calls; the capabilities are the pages' (finance.view, finance.edit,
 * finance.stats). Entries are never deleted: they are corrected (audited) or reversed.
 */
import { z } from 'zod';
import { apiReceiptUpload, receiptFrom } from '../../controllers/finance/receipt-upload.ts';
import { sendReceipt } from '../../controllers/finance/receipts.controller.ts';
import { NotFound, ValidationError } from '../../errors.ts';
import { CONTRIBUTION_METHODS } from '../../models/contribution.ts';
import type { Contribution, Expense } from '../../models/index.ts';
import * as contributions from '../../services/finance/contributions.ts';
import * as expenses from '../../services/finance/expenses.ts';
import * as funds from '../../services/finance/funds.ts';
import { financeStats, presentStats } from '../../services/finance-stats.ts';
import * as ledger from '../../services/ledger.ts';
import { EntryLocked } from '../../services/ledger.ts';
import {
  giversOf,
  presentGiver,
  presentStatement,
  sendingOf,
  statementFor,
} from '../../services/statements.ts';
import { lineField } from '../../validators/common.ts';
import {
  contributionApiFields,
  contributionApiSchema,
  dateQuery,
  expenseApiFields,
  expenseApiSchema,
  FIRST_YEAR,
  fundApiSchema,
  LAST_YEAR,
  reversalApiSchema,
  thisYear,
} from '../../validators/finance.validator.ts';
import { apiRoutes, mergePatch } from '../kit.ts';
import { listResult, offsetOf } from '../pagination.ts';
import { day, idPath, idString, listQuery, pageOf, timestamp } from '../schemas.ts';

// ---------------------------------------------------------------------------------------------
// Representations

const cents = z.number().int().meta({ description: 'An amount in integer cents.', example: 102007 });

export const fundOut = z
  .object({
    id: idString,
    name: z.string(),
    description: z.string().nullable(),
    active: z.boolean().meta({ description: 'Inactive funds keep their entries but take no new ones.' }),
    entries: z.number().int().meta({ description: 'Contributions and expenses recorded on the fund.' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Fund' });

const entryFlags = {
  reversesId: idString
    .nullable()
    .meta({ description: 'For a reversal entry (negative amount): the entry it reverses.' }),
  reversed: z.boolean().meta({ description: 'A later entry reverses this one.' }),
  createdBy: idString.nullable().meta({ description: 'The user who recorded it.' }),
  createdAt: timestamp,
  updatedAt: timestamp,
};

export const contributionOut = z
  .object({
    id: idString,
    memberId: idString.nullable().meta({ description: 'The giver; null for an anonymous gift.' }),
    memberName: z.string().nullable(),
    fundId: idString,
    fundName: z.string().nullable(),
    amountCents: cents.meta({ description: 'Negative for a reversal entry.' }),
    receivedOn: day,
    method: z.enum(CONTRIBUTION_METHODS),
    reference: z.string().nullable(),
    note: z.string().nullable(),
    ...entryFlags,
  })
  .meta({ id: 'Contribution' });

export const expenseOut = z
  .object({
    id: idString,
    category: z.string(),
    fundId: idString,
    fundName: z.string().nullable(),
    amountCents: cents.meta({ description: 'Negative for a reversal entry.' }),
    spentOn: day,
    payee: z.string(),
    note: z.string().nullable(),
    receipt: z
      .object({ name: z.string(), type: z.string() })
      .nullable()
      .meta({ description: 'The receipt file, fetched from GET /api/v1/expenses/{id}/receipt.' }),
    ...entryFlags,
  })
  .meta({ id: 'Expense' });

const withTotal = <T extends z.ZodType>(item: T) =>
  pageOf(item).extend({ totalCents: cents.meta({ description: 'The sum of every matching entry.' }) });

const amounts = { incomeCents: cents, expenseCents: cents, netCents: cents };

export const statsOut = z
  .object({
    period: z.object({ from: day, to: day }),
    totals: z.object({
      ...amounts,
      contributionCount: z.number().int(),
      expenseCount: z.number().int(),
    }),
    months: z.array(z.object({ month: z.string().meta({ example: '2026-03' }), ...amounts })),
    funds: z.array(z.object({ fundId: idString, name: z.string(), active: z.boolean(), ...amounts })),
    comparedYear: z.number().int(),
    yearOverYear: z.array(
      z.object({
        month: z.number().int().min(1).max(12),
        incomeCents: cents,
        lastYearIncomeCents: cents,
        expenseCents: cents,
        lastYearExpenseCents: cents,
      }),
    ),
  })
  .meta({ id: 'FinanceStatistics' });

const emailedOut = z
  .object({
    sentAt: timestamp.nullable(),
    sentTo: z.string().nullable(),
    sending: z.boolean().meta({ description: 'A send is under way right now.' }),
  })
  .meta({ id: 'StatementEmailed', description: "When the year's statement last went out by e-mail." });

export const giverOut = z
  .object({
    memberId: idString,
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().nullable(),
    totalCents: cents,
    gifts: z.number().int(),
    emailed: emailedOut,
  })
  .meta({ id: 'Giver' });

export const statementOut = z
  .object({
    member: z.object({
      id: idString,
      firstName: z.string(),
      lastName: z.string(),
      email: z.string().nullable(),
      address: z.string().nullable(),
    }),
    year: z.number().int(),
    lines: z.array(
      z.object({
        id: idString,
        receivedOn: day,
        fundName: z.string(),
        method: z.string(),
        reference: z.string().nullable(),
        amountCents: cents,
      }),
    ),
    byFund: z.array(z.object({ name: z.string(), totalCents: cents })),
    totalCents: cents,
    organisation: z.object({ name: z.string(), address: z.string(), phone: z.string(), email: z.string() }),
    emailed: emailedOut,
  })
  .meta({ id: 'GivingStatement' });

// ---------------------------------------------------------------------------------------------
// Queries

const yearQuery = z.coerce
  .number({ error: `must be a year from ${FIRST_YEAR} to ${LAST_YEAR}` })
  .int(`must be a year from ${FIRST_YEAR} to ${LAST_YEAR}`)
  .min(FIRST_YEAR, `must be a year from ${FIRST_YEAR} to ${LAST_YEAR}`)
  .max(LAST_YEAR, `must be a year from ${FIRST_YEAR} to ${LAST_YEAR}`);

const period = {
  from: dateQuery.optional().meta({ description: 'First day (YYYY-MM-DD), included.' }),
  to: dateQuery.optional().meta({ description: 'Last day (YYYY-MM-DD), included.' }),
};

const contributionQuery = listQuery.extend({
  ...period,
  fundId: idString.optional(),
  memberId: idString.optional(),
  method: z.enum(CONTRIBUTION_METHODS).optional(),
});

const expenseQuery = listQuery.extend({
  ...period,
  fundId: idString.optional(),
  category: lineField(80).optional(),
});

const statsQuery = z.object({
  year: yearQuery
    .optional()
    .meta({ description: 'A calendar year; this year when neither it nor from/to is given.' }),
  ...period,
});

const statementYear = {
  year: yearQuery.optional().meta({ description: 'The calendar year; this year by default.' }),
};
const statementsQuery = listQuery.extend(statementYear);
const statementQuery = z.object(statementYear);
const memberPath = z.object({ memberId: idString });

// The file is required. The schema checks the text fields, and the file arrives beside them, so
// it is marked optional here; the handler refuses a request without one (422).
const receiptBody = z.object({
  receipt: z.string().optional().meta({
    format: 'binary',
    description: 'Required: a PDF, PNG, JPEG, WebP or HEIC file, recognised by its content.',
  }),
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** A from/to window must be whole and in order, as the pages read it. */
function refuseBadPeriod(q: { from?: string; to?: string }): void {
  if (q.from && q.to && q.from > q.to) throw new ValidationError({ to: 'must not be before from' });
}

async function fundView(fund: Parameters<typeof funds.presentFund>[0]) {
  return funds.presentFund(fund, await funds.entryCount(fund));
}

async function contributionView(entry: Contribution) {
  const reversed = await ledger.reversedAmong('contribution', [String(entry.id)]);
  return contributions.presentContribution(entry, reversed.has(String(entry.id)));
}

async function expenseView(entry: Expense) {
  const reversed = await ledger.reversedAmong('expense', [String(entry.id)]);
  return expenses.presentExpense(entry, reversed.has(String(entry.id)));
}

/** Refuses a change to an entry that is a reversal or was reversed (409), before reading the change. */
async function refuseLocked(kind: ledger.LedgerKind, entry: Contribution | Expense): Promise<void> {
  const reason = await ledger.lockReason(kind, entry);
  if (reason) throw new EntryLocked(reason);
}

function contributionInputOf(entry: Contribution): Record<string, unknown> {
  return {
    memberId: entry.memberId ? String(entry.memberId) : null,
    fundId: String(entry.fundId),
    amountCents: Number(entry.amountCents),
    receivedOn: entry.receivedOn,
    method: entry.method,
    reference: entry.reference,
    note: entry.note,
  };
}

function expenseInputOf(entry: Expense): Record<string, unknown> {
  return {
    category: entry.category,
    fundId: String(entry.fundId),
    amountCents: Number(entry.amountCents),
    spentOn: entry.spentOn,
    payee: entry.payee,
    note: entry.note,
  };
}

const LOCKED = 'A reversal entry, or an entry that was reversed, cannot be changed (409).';

// ---------------------------------------------------------------------------------------------
// Routes

export default apiRoutes(
  {
    tag: 'Finance',
    host: 'tenant',
    description:
      'Funds, contributions, expenses and their receipts, reversals, statistics and giving statements. Amounts are integer cents.',
  },
  (r) => {
    // Funds

    r.get(
      '/funds',
      {
        summary: 'List the funds',
        description: 'Every fund by name, active or not, with how many entries each has.',
        capability: 'finance.view',
        query: listQuery.extend({
          active: z
            .enum(['true', 'false'])
            .optional()
            .meta({ description: 'Only active (or inactive) funds.' }),
        }),
        responses: { 200: pageOf(fundOut) },
      },
      async (ctx) => {
        const { limit, cursor, active } = ctx.query;
        const offset = offsetOf(cursor);
        const all = await funds.fundsWithEntries();
        const shown = all.funds.filter((f) => active === undefined || f.active === (active === 'true'));
        const rows = shown
          .slice(offset, offset + limit)
          .map((f) => funds.presentFund(f, all.entries.get(String(f.id)) ?? 0));
        return listResult(ctx, rows, { limit, offset, total: shown.length });
      },
    );

    r.get(
      '/funds/:id',
      { summary: 'Show a fund', capability: 'finance.view', params: idPath, responses: { 200: fundOut } },
      async (ctx) => ({ body: await fundView(await funds.loadFund(ctx.params.id)) }),
    );

    r.post(
      '/funds',
      {
        summary: 'Create a fund',
        description: 'A name not used by another fund (whatever its case); `active` is true unless given.',
        capability: 'finance.edit',
        body: fundApiSchema,
        responses: { 201: fundOut },
        idempotent: true,
      },
      async (ctx) => {
        const fund = await funds.createFund(ctx.body);
        return { status: 201, body: await fundView(fund), location: `/api/v1/funds/${fund.id}` };
      },
    );

    r.patch(
      '/funds/:id',
      {
        summary: 'Change a fund',
        description: 'Send only the fields to change; `active: false` deactivates it (its entries stay).',
        capability: 'finance.edit',
        params: idPath,
        body: fundApiSchema.partial(),
        responses: { 200: fundOut },
        errors: [412],
      },
      async (ctx) => {
        const fund = await funds.loadFund(ctx.params.id);
        ctx.ifMatch(await fundView(fund));
        const current = { name: fund.name, description: fund.description, active: fund.active };
        await funds.updateFund(fund, mergePatch(fundApiSchema, current, ctx.req.body));
        return { body: await fundView(fund) };
      },
    );

    // Contributions

    r.get(
      '/contributions',
      {
        summary: 'List contributions',
        description:
          'Newest first, filtered as on the contributions page; `totalCents` is the sum of every matching entry (reversals included).',
        capability: 'finance.view',
        query: contributionQuery,
        responses: { 200: withTotal(contributionOut) },
      },
      async (ctx) => {
        const { limit, cursor, ...q } = ctx.query;
        refuseBadPeriod(q);
        const offset = offsetOf(cursor);
        const filter = {
          from: q.from ?? '',
          to: q.to ?? '',
          fundId: q.fundId ?? '',
          memberId: q.memberId ?? '',
          method: q.method ?? ('' as const),
          page: 1,
        };
        const page = await ledger.searchContributions(filter, { limit, offset });
        const reversed = await ledger.reversedAmong(
          'contribution',
          page.entries.map((e) => String(e.id)),
        );
        const rows = page.entries.map((e) =>
          contributions.presentContribution(e, reversed.has(String(e.id))),
        );
        const result = listResult(ctx, rows, { limit, offset, total: page.count });
        return { ...result, body: { ...(result.body as object), totalCents: Number(page.totalCents) } };
      },
    );

    r.get(
      '/contributions/:id',
      {
        summary: 'Show a contribution',
        capability: 'finance.view',
        params: idPath,
        responses: { 200: contributionOut },
      },
      async (ctx) => ({ body: await contributionView(await contributions.loadContribution(ctx.params.id)) }),
    );

    r.post(
      '/contributions',
      {
        summary: 'Record a contribution',
        description:
          'An active fund, an amount in cents, the day it was received and how; `memberId` null (or left out) for an anonymous gift.',
        capability: 'finance.edit',
        body: contributionApiSchema,
        responses: { 201: contributionOut },
        idempotent: true,
      },
      async (ctx) => {
        const entry = await contributions.createContribution(ctx.body, ctx.user);
        return {
          status: 201,
          body: await contributionView(entry),
          location: `/api/v1/contributions/${entry.id}`,
        };
      },
    );

    r.patch(
      '/contributions/:id',
      {
        summary: 'Correct a contribution',
        description: `Send only the fields to change; the correction is audited with the values before and after. ${LOCKED}`,
        capability: 'finance.edit',
        params: idPath,
        body: contributionApiFields.partial(),
        responses: { 200: contributionOut },
        errors: [409, 412],
      },
      async (ctx) => {
        const entry = await contributions.loadContribution(ctx.params.id);
        ctx.ifMatch(await contributionView(entry));
        await refuseLocked('contribution', entry);
        const input = mergePatch(contributionApiSchema, contributionInputOf(entry), ctx.req.body);
        return { body: await contributionView(await contributions.correctContribution(entry, input)) };
      },
    );

    r.post(
      '/contributions/:id/reversal',
      {
        summary: 'Reverse a contribution',
        description:
          'Records the negative entry that cancels it, on the same day; both stay and neither can change afterwards. Answers the new entry.',
        capability: 'finance.edit',
        params: idPath,
        body: reversalApiSchema,
        responses: { 201: contributionOut },
        errors: [409],
        idempotent: true,
      },
      async (ctx) => {
        const reversal = await contributions.reverseContribution(ctx.params.id, ctx.body.reason, ctx.user);
        return {
          status: 201,
          body: await contributionView(reversal),
          location: `/api/v1/contributions/${reversal.id}`,
        };
      },
    );

    // Expenses

    r.get(
      '/expenses',
      {
        summary: 'List expenses',
        description:
          'Newest first, filtered as on the expenses page; `totalCents` is the sum of every matching entry (reversals included).',
        capability: 'finance.view',
        query: expenseQuery,
        responses: { 200: withTotal(expenseOut) },
      },
      async (ctx) => {
        const { limit, cursor, ...q } = ctx.query;
        refuseBadPeriod(q);
        const offset = offsetOf(cursor);
        const filter = {
          from: q.from ?? '',
          to: q.to ?? '',
          fundId: q.fundId ?? '',
          category: q.category ?? '',
          page: 1,
        };
        const page = await ledger.searchExpenses(filter, { limit, offset });
        const reversed = await ledger.reversedAmong(
          'expense',
          page.entries.map((e) => String(e.id)),
        );
        const rows = page.entries.map((e) => expenses.presentExpense(e, reversed.has(String(e.id))));
        const result = listResult(ctx, rows, { limit, offset, total: page.count });
        return { ...result, body: { ...(result.body as object), totalCents: Number(page.totalCents) } };
      },
    );

    r.get(
      '/expenses/:id',
      {
        summary: 'Show an expense',
        capability: 'finance.view',
        params: idPath,
        responses: { 200: expenseOut },
      },
      async (ctx) => ({ body: await expenseView(await expenses.loadExpense(ctx.params.id)) }),
    );

    r.post(
      '/expenses',
      {
        summary: 'Record an expense',
        description:
          'An active fund, an amount in cents, the day, the payee and a category. Attach the receipt afterwards with POST /api/v1/expenses/{id}/receipt.',
        capability: 'finance.edit',
        body: expenseApiSchema,
        responses: { 201: expenseOut },
        idempotent: true,
      },
      async (ctx) => {
        const entry = await expenses.createExpense(ctx.body, null, ctx.user);
        return { status: 201, body: await expenseView(entry), location: `/api/v1/expenses/${entry.id}` };
      },
    );

    r.patch(
      '/expenses/:id',
      {
        summary: 'Correct an expense',
        description: `Send only the fields to change; the correction is audited with the values before and after. ${LOCKED}`,
        capability: 'finance.edit',
        params: idPath,
        body: expenseApiFields.partial(),
        responses: { 200: expenseOut },
        errors: [409, 412],
      },
      async (ctx) => {
        const entry = await expenses.loadExpense(ctx.params.id);
        ctx.ifMatch(await expenseView(entry));
        await refuseLocked('expense', entry);
        const input = mergePatch(expenseApiSchema, expenseInputOf(entry), ctx.req.body);
        return { body: await expenseView(await expenses.correctExpense(entry, input, null)) };
      },
    );

    r.post(
      '/expenses/:id/reversal',
      {
        summary: 'Reverse an expense',
        description:
          'Records the negative entry that cancels it, on the same day (the receipt stays with the original); both stay and neither can change afterwards. Answers the new entry.',
        capability: 'finance.edit',
        params: idPath,
        body: reversalApiSchema,
        responses: { 201: expenseOut },
        errors: [409],
        idempotent: true,
      },
      async (ctx) => {
        const reversal = await expenses.reverseExpense(ctx.params.id, ctx.body.reason, ctx.user);
        return {
          status: 201,
          body: await expenseView(reversal),
          location: `/api/v1/expenses/${reversal.id}`,
        };
      },
    );

    r.post(
      '/expenses/:id/receipt',
      {
        summary: "Upload an expense's receipt",
        description: `Multipart, the file in \`receipt\`; it replaces the receipt the expense had. The same checks as the expense form: type recognised from the content, size limit. ${LOCKED}`,
        capability: 'finance.edit',
        params: idPath,
        body: receiptBody,
        bodyType: 'multipart',
        before: [apiReceiptUpload],
        responses: { 200: expenseOut },
        errors: [409],
      },
      async (ctx) => {
        const entry = await expenses.loadExpense(ctx.params.id);
        await refuseLocked('expense', entry);
        const receipt = receiptFrom(ctx.req, ctx.res);
        if (!receipt) throw new ValidationError({ receipt: 'choose a file' });
        if ('error' in receipt) throw new ValidationError({ receipt: receipt.error });
        return { body: await expenseView(await expenses.replaceReceipt(entry, receipt)) };
      },
    );

    r.get(
      '/expenses/:id/receipt',
      {
        summary: "Download an expense's receipt",
        description:
          "The file's bytes as uploaded, to save (its type is the expense's `receipt.type`); 404 when the expense has none.",
        capability: 'finance.view',
        params: idPath,
        responses: { 200: null },
        download: 'application/octet-stream',
      },
      async (ctx) => {
        await sendReceipt(ctx.res, await expenses.loadExpense(ctx.params.id), true);
        return undefined;
      },
    );

    r.delete(
      '/expenses/:id/receipt',
      {
        summary: "Remove an expense's receipt",
        description: `The file is deleted once the change is saved; the change is audited. ${LOCKED}`,
        capability: 'finance.edit',
        params: idPath,
        responses: { 204: null },
        errors: [409, 412],
      },
      async (ctx) => {
        const entry = await expenses.loadExpense(ctx.params.id);
        ctx.ifMatch(await expenseView(entry));
        if (!entry.receiptKey) throw new NotFound('This expense has no receipt.');
        await refuseLocked('expense', entry);
        await expenses.replaceReceipt(entry, null);
        return { status: 204 };
      },
    );

    // Statistics and statements

    r.get(
      '/finance/statistics',
      {
        summary: 'Finance statistics',
        description:
          'The figures of the statistics page: totals, months, funds and the year against the year before, for `year` or a `from`/`to` period (at most 20 years). Totals only, no single entry.',
        capability: 'finance.stats',
        query: statsQuery,
        responses: { 200: statsOut },
      },
      async (ctx) => {
        const { year, from, to } = ctx.query;
        if (from || to) {
          if (!from || !to)
            throw new ValidationError(
              from ? { to: 'is required with from' } : { from: 'is required with to' },
            );
          refuseBadPeriod({ from, to });
          if (Number(to.slice(0, 4)) - Number(from.slice(0, 4)) >= 20)
            throw new ValidationError({ to: 'must be less than 20 years after from' });
          return { body: presentStats(await financeStats({ from, to })) };
        }
        const y = year ?? thisYear();
        return { body: presentStats(await financeStats({ from: `${y}-01-01`, to: `${y}-12-31` })) };
      },
    );

    r.get(
      '/finance/statements',
      {
        summary: 'People who gave in a year',
        description:
          "Each giver of the year with their total, those without an e-mail address first, then by name, and when the year's statement last went out.",
        capability: 'finance.view',
        query: statementsQuery,
        responses: { 200: withTotal(giverOut) },
      },
      async (ctx) => {
        const { limit, cursor, year } = ctx.query;
        const offset = offsetOf(cursor);
        const givers = await giversOf(year ?? thisYear());
        const rows = givers.slice(offset, offset + limit).map(presentGiver);
        const result = listResult(ctx, rows, { limit, offset, total: givers.length });
        const totalCents = givers.reduce((sum, g) => sum + BigInt(g.totalCents), 0n);
        return { ...result, body: { ...(result.body as object), totalCents: Number(totalCents) } };
      },
    );

    r.get(
      '/finance/statements/:memberId',
      {
        summary: "One person's giving statement",
        description:
          "Every gift of the year by date, the totals by fund and the year's total (reversals included).",
        capability: 'finance.view',
        params: memberPath,
        query: statementQuery,
        responses: { 200: statementOut },
      },
      async (ctx) => {
        const year = ctx.query.year ?? thisYear();
        const statement = await statementFor(ctx.params.memberId, year);
        if (!statement) throw new NotFound();
        return { body: presentStatement(statement, await sendingOf(statement.member.id, year)) };
      },
    );
  },
);
