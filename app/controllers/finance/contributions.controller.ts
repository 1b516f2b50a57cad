import type { Request, Response } from 'express';
import { NotFound } from '../../errors.ts';
import { currentUser } from '../../middleware/auth.ts';
import { CONTRIBUTION_METHODS } from '../../models/contribution.ts';
import { Contribution, Fund, Member } from '../../models/index.ts';
import * as audit from '../../services/audit.ts';
import * as ledger from '../../services/ledger.ts';
import { formatCents } from '../../services/money.ts';
import { fieldErrors, ID_RE } from '../../validators/common.ts';
import {
  type ContributionInput,
  contributionFilterSchema,
  contributionFormValues,
  contributionSchema,
  idParam,
  today,
} from '../../validators/finance.validator.ts';

type Errors = Record<string, string>;

// GET /finance/contributions
export async function index(req: Request, res: Response): Promise<void> {
  const filter = contributionFilterSchema.parse(req.query);
  const [page, funds, people] = await Promise.all([
    ledger.searchContributions(filter),
    ledger.allFunds(),
    ledger.memberChoices([filter.memberId]),
  ]);
  const reversed = await ledger.reversedAmong(
    'contribution',
    page.entries.map((e) => String(e.id)),
  );
  const { page: _page, ...kept } = filter;
  const pageUrl = (n: number) =>
    `/finance/contributions?${new URLSearchParams([...Object.entries(kept).filter(([, v]) => v), ['page', String(n)]])}`;
  res.render('finance/contributions/index', {
    title: res.locals.words.contributions,
    ...page,
    reversed,
    funds,
    people,
    choiceLabel: ledger.choiceLabel,
    methods: CONTRIBUTION_METHODS,
    values: filter,
    pageUrl,
    formatCents,
    memberName: ledger.memberName,
    reversedId: ledger.reversedId,
  });
}

// GET /finance/people?q=: the people pickers' search when the directory is too big to list whole.
export async function people(req: Request, res: Response): Promise<void> {
  const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 100) : '';
  const found = q ? await ledger.findPeople(q) : [];
  res.json({ people: found.map((m) => ({ id: m.id, label: ledger.choiceLabel(m) })) });
}

// GET /finance/contributions/:id
export async function show(req: Request, res: Response): Promise<void> {
  await renderShow(res, await loadContribution(req));
}

/** The entry's page; `errors.reason` explains a refused reversal. */
export async function renderShow(res: Response, entry: Contribution, status = 200, errors: Errors = {}) {
  res.status(status).render('finance/contributions/show', {
    title: `${res.locals.words.contribution} #${entry.id}`,
    entry,
    locked: await ledger.lockReason('contribution', entry),
    original: ledger.reversedId(entry),
    errors,
    formatCents,
    memberName: ledger.memberName,
  });
}

// GET /finance/contributions/new (?member=<id> preselects a person)
export async function newContribution(req: Request, res: Response): Promise<void> {
  const member = typeof req.query.member === 'string' ? await findMember(req.query.member) : null;
  const values = { memberId: member ? String(member.id) : '', method: 'cash', receivedOn: today() };
  await renderForm(res, 200, { values, errors: {} });
}

// POST /finance/contributions
export async function create(req: Request, res: Response): Promise<void> {
  const values = contributionFormValues(req.body);
  const input = await validContribution(req.body, null);
  if ('errors' in input) return renderForm(res, 422, { values, errors: input.errors });
  const { amount, ...fields } = input.data;
  const createdBy = currentUser(req)?.id ?? null;
  const entry = await Contribution.create({ ...fields, amountCents: amount, createdBy });
  await record('contribution.created', entry, null);
  req.flash('success', `${formatCents(entry.amountCents)} was recorded.`);
  res.redirect(`/finance/contributions/${entry.id}`);
}

// GET /finance/contributions/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const entry = await loadContribution(req);
  const locked = await ledger.lockReason('contribution', entry);
  if (locked) return refuseLocked(req, res, entry, locked);
  await renderForm(res, 200, { entry, values: valuesOf(entry), errors: {} });
}

// POST /finance/contributions/:id: a correction, audited with the values before and after.
export async function update(req: Request, res: Response): Promise<void> {
  const entry = await loadContribution(req);
  const locked = await ledger.lockReason('contribution', entry);
  if (locked) return refuseLocked(req, res, entry, locked);
  const values = contributionFormValues(req.body);
  const input = await validContribution(req.body, entry);
  if ('errors' in input) return renderForm(res, 422, { entry, values, errors: input.errors });
  const before = ledger.snapshot(entry);
  const { amount, ...fields } = input.data;
  await entry.update({ ...fields, amountCents: amount });
  await record('contribution.updated', entry, before);
  req.flash('success', `${res.locals.words.contribution} #${entry.id} was corrected.`);
  res.redirect(`/finance/contributions/${entry.id}`);
}

/** The entry named by the URL, with its member and fund; 404 when this tenant has none. */
export async function loadContribution(req: Request): Promise<Contribution> {
  const entry = await ledger.findContribution(idParam(req.params.id));
  if (!entry) throw new NotFound();
  return entry;
}

/** Audits a change to `entry` from `before` (null for a new entry); a save that changed nothing is not logged. */
export async function record(
  action: string,
  entry: Contribution,
  before: Record<string, unknown> | null,
): Promise<void> {
  const after = ledger.snapshot(entry);
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  const label = `${formatCents(entry.amountCents)} on ${entry.receivedOn}`;
  await audit.record({
    action,
    recordType: 'contribution',
    recordId: entry.id,
    recordLabel: label,
    before,
    after,
  });
}

function refuseLocked(req: Request, res: Response, entry: Contribution, reason: string): void {
  req.flash('warning', reason);
  res.redirect(`/finance/contributions/${entry.id}`);
}

async function findMember(raw: string): Promise<Member | null> {
  return ID_RE.test(raw) ? Member.findByPk(raw) : null;
}

/** The form's fields, with the fund (active, or the entry's own) and the person checked to exist. */
async function validContribution(
  body: unknown,
  entry: Contribution | null,
): Promise<{ data: ContributionInput } | { errors: Errors }> {
  const parsed = contributionSchema.safeParse(body ?? {});
  const errors: Errors = parsed.success ? {} : fieldErrors(parsed.error);
  if (!parsed.success) return { errors };
  const { fundId, memberId } = parsed.data;
  const fund = await Fund.findByPk(fundId);
  if (!fund || (!fund.active && String(entry?.fundId) !== fundId)) errors.fundId = 'choose an active fund';
  if (memberId && !(await Member.findByPk(memberId))) errors.memberId = 'is not a known person';
  return Object.keys(errors).length ? { errors } : { data: parsed.data };
}

function valuesOf(entry: Contribution): Record<string, string> {
  return {
    memberId: entry.memberId ? String(entry.memberId) : '',
    fundId: String(entry.fundId),
    amount: formatCents(entry.amountCents),
    receivedOn: entry.receivedOn,
    method: entry.method,
    reference: entry.reference ?? '',
    note: entry.note ?? '',
  };
}

async function renderForm(
  res: Response,
  status: number,
  locals: { entry?: Contribution; values: Record<string, string>; errors: Errors },
): Promise<void> {
  const [funds, people] = await Promise.all([
    ledger.fundChoices(locals.entry?.fundId),
    ledger.memberChoices([locals.values.memberId]),
  ]);
  const w = res.locals.words;
  const view = locals.entry ? 'finance/contributions/edit' : 'finance/contributions/new';
  const title = locals.entry
    ? `Correct ${w.contribution.toLowerCase()} #${locals.entry.id}`
    : `New ${w.contribution.toLowerCase()}`;
  res.status(status).render(view, {
    title,
    funds,
    people,
    choiceLabel: ledger.choiceLabel,
    methods: CONTRIBUTION_METHODS,
    memberName: ledger.memberName,
    ...locals,
  });
}
