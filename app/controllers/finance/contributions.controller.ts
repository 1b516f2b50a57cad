import type { Request, Response } from 'express';
import { ValidationError } from '../../errors.ts';
import { currentUser } from '../../middleware/auth.ts';
import { CONTRIBUTION_METHODS } from '../../models/contribution.ts';
import { type Contribution, Member } from '../../models/index.ts';
import * as contributions from '../../services/finance/contributions.ts';
import * as ledger from '../../services/ledger.ts';
import { EntryLocked } from '../../services/ledger.ts';
import { formatCents } from '../../services/money.ts';
import { fieldErrors, ID_RE } from '../../validators/common.ts';
import {
  contributionFilterSchema,
  contributionFormValues,
  contributionSchema,
  today,
} from '../../validators/finance.validator.ts';
import { refusal, refusalOrLock } from './refusals.ts';

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
  const parsed = contributionSchema.safeParse(req.body ?? {});
  const entry = parsed.success
    ? await contributions.createContribution(parsed.data, currentUser(req)).catch(refusal)
    : new ValidationError(fieldErrors(parsed.error));
  if (entry instanceof ValidationError) return renderForm(res, 422, { values, errors: entry.fields });
  req.flash('success', `${formatCents(entry.amountCents)} was recorded.`);
  res.redirect(`/finance/contributions/${entry.id}`);
}

// GET /finance/contributions/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const entry = await loadContribution(req);
  const locked = await ledger.lockReason('contribution', entry);
  if (locked) return refuseLocked(req, res, entry, locked);
  await renderForm(res, 200, { entry, values: contributions.contributionValues(entry), errors: {} });
}

// POST /finance/contributions/:id: a correction, audited with the values before and after.
export async function update(req: Request, res: Response): Promise<void> {
  const entry = await loadContribution(req);
  const locked = await ledger.lockReason('contribution', entry);
  if (locked) return refuseLocked(req, res, entry, locked);
  const values = contributionFormValues(req.body);
  const parsed = contributionSchema.safeParse(req.body ?? {});
  const saved = parsed.success
    ? await contributions.correctContribution(entry, parsed.data).catch(refusalOrLock)
    : new ValidationError(fieldErrors(parsed.error));
  if (saved instanceof EntryLocked) return refuseLocked(req, res, entry, saved.message);
  if (saved instanceof ValidationError) return renderForm(res, 422, { entry, values, errors: saved.fields });
  req.flash('success', `${res.locals.words.contribution} #${entry.id} was corrected.`);
  res.redirect(`/finance/contributions/${entry.id}`);
}

/** The entry named by the URL, with its member and fund; 404 when this tenant has none. */
export function loadContribution(req: Request): Promise<Contribution> {
  return contributions.loadContribution(req.params.id);
}

function refuseLocked(req: Request, res: Response, entry: Contribution, reason: string): void {
  req.flash('warning', reason);
  res.redirect(`/finance/contributions/${entry.id}`);
}

async function findMember(raw: string): Promise<Member | null> {
  return ID_RE.test(raw) ? Member.findByPk(raw) : null;
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
