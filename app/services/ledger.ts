import { type FindOptions, literal, Op, type Order, QueryTypes, type WhereOptions } from 'sequelize';
import { db } from '../db/database.ts';
import { inTransaction } from '../db/transaction-context.ts';
import { Conflict } from '../errors.ts';
import { Contribution, Expense, Fund, Member } from '../models/index.ts';
import { ID_RE } from '../validators/common.ts';
import type { ContributionFilter, ExpenseFilter } from '../validators/finance.validator.ts';
import { matching } from './member-directory.ts';

/**
 * The finance ledger: contributions (money in) and expenses (money out). Entries are corrected by
 * editing (audited) or reversed by a negative entry that names the original in its note; nothing is
 * deleted. Reversal entries, and entries that were reversed, are locked.
 */

export const ENTRIES_PER_PAGE = 50;

export type LedgerKind = 'contribution' | 'expense';

/** The note of the entry that reverses entry `id`, with the reason when one was given. */
export function reversalNote(kind: LedgerKind, id: string, reason: string | null): string {
  return `Reversal of ${kind} #${id}${reason ? `: ${reason}` : ''}`.slice(0, 300);
}

const REVERSAL_RE = /^Reversal of (?:contribution|expense) #(\d+)/;

/** The id of the entry a reversal entry reverses, or null for an ordinary entry. */
export function reversedId(entry: { amountCents: string; note: string | null }): string | null {
  if (BigInt(entry.amountCents) >= 0n) return null;
  return REVERSAL_RE.exec(entry.note ?? '')?.[1] ?? null;
}

/** The ids among `ids` that a later negative entry reverses. */
export async function reversedAmong(kind: LedgerKind, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const table = kind === 'contribution' ? 'contributions' : 'expenses';
  const rows = await db().query<{ id: string }>(
    `SELECT substring(note from '^Reversal of ${kind} #([0-9]+)') AS id
       FROM ${table}
      WHERE amount_cents < 0 AND substring(note from '^Reversal of ${kind} #([0-9]+)') = ANY($1::text[])`,
    { bind: [ids.map(String)], type: QueryTypes.SELECT },
  );
  return new Set(rows.map((r) => r.id));
}

/** Why an entry can no longer be edited or reversed; null when it can. */
export async function lockReason(
  kind: LedgerKind,
  entry: { id: string; amountCents: string; note: string | null },
): Promise<string | null> {
  const original = reversedId(entry);
  if (original) return `This entry reverses ${kind} #${original}, so it cannot be changed.`;
  if ((await reversedAmong(kind, [String(entry.id)])).size)
    return `This ${kind} was reversed, so it cannot be changed. Record a new entry instead.`;
  return null;
}

/** The fields of an entry as the audit log keeps them. */
export function snapshot(entry: Contribution | Expense): Record<string, unknown> {
  const { member: _m, fund: _f, ...fields } = entry.get({ plain: true }) as Record<string, unknown>;
  return fields;
}

function period(column: string, from: string, to: string): WhereOptions {
  const range: Record<symbol, string> = {};
  if (from) range[Op.gte] = from;
  if (to) range[Op.lte] = to;
  return Object.getOwnPropertySymbols(range).length ? { [column]: range } : {};
}

function contributionWhere(f: ContributionFilter): WhereOptions<Contribution> {
  return {
    ...period('receivedOn', f.from, f.to),
    ...(f.fundId ? { fundId: f.fundId } : {}),
    ...(f.memberId ? { memberId: f.memberId } : {}),
    ...(f.method ? { method: f.method } : {}),
  };
}

function expenseWhere(f: ExpenseFilter): WhereOptions<Expense> {
  return {
    ...period('spentOn', f.from, f.to),
    ...(f.fundId ? { fundId: f.fundId } : {}),
    ...(f.category ? { category: f.category } : {}),
  };
}

export interface Page<T> {
  entries: T[];
  count: number;
  /** The exact sum of the whole filtered set, in cents, not just this page. */
  totalCents: string;
  pages: number;
}

async function totalsOf(
  model: typeof Contribution | typeof Expense,
  where: WhereOptions,
): Promise<{ count: number; totalCents: string }> {
  const row = (await (model as typeof Contribution).findOne({
    attributes: [
      [literal('COUNT(*)'), 'count'],
      [literal('COALESCE(SUM(amount_cents), 0)::bigint'), 'total'],
    ],
    where,
    raw: true,
  })) as unknown as { count: string; total: string } | null;
  return { count: Number(row?.count ?? 0), totalCents: String(row?.total ?? '0') };
}

const newestFirst = (column: string): [string, string][] => [
  [column, 'DESC'],
  ['id', 'DESC'],
];

/** Which entries of a filtered list to read: the page's number by default, or the API's limit and offset. */
export interface Window {
  limit: number;
  offset: number;
}

const pageWindow = (page: number): Window => ({
  limit: ENTRIES_PER_PAGE,
  offset: (page - 1) * ENTRIES_PER_PAGE,
});

export async function searchContributions(
  f: ContributionFilter,
  window = pageWindow(f.page),
): Promise<Page<Contribution>> {
  const where = contributionWhere(f);
  const { count, totalCents } = await totalsOf(Contribution, where);
  const entries = await Contribution.findAll({
    where,
    include: [
      { association: 'member', attributes: ['id', 'firstName', 'lastName'] },
      { association: 'fund', attributes: ['id', 'name'] },
    ],
    order: newestFirst('receivedOn'),
    ...window,
  });
  return { entries, count, totalCents, pages: Math.max(1, Math.ceil(count / ENTRIES_PER_PAGE)) };
}

export async function searchExpenses(f: ExpenseFilter, window = pageWindow(f.page)): Promise<Page<Expense>> {
  const where = expenseWhere(f);
  const { count, totalCents } = await totalsOf(Expense, where);
  const entries = await Expense.findAll({
    where,
    include: [{ association: 'fund', attributes: ['id', 'name'] }],
    order: newestFirst('spentOn'),
    ...window,
  });
  return { entries, count, totalCents, pages: Math.max(1, Math.ceil(count / ENTRIES_PER_PAGE)) };
}

export function findContribution(id: string): Promise<Contribution | null> {
  return Contribution.findByPk(id, { include: ['member', 'fund'] });
}

export function findExpense(id: string): Promise<Expense | null> {
  return Expense.findByPk(id, { include: ['fund'] });
}

/** Funds to choose from: the active ones, and `keepId` (the entry's current fund) even when inactive. */
export function fundChoices(keepId?: string | null): Promise<Fund[]> {
  return Fund.findAll({
    where: keepId ? { [Op.or]: [{ active: true }, { id: keepId }] } : { active: true },
    order: [['name', 'ASC']],
  });
}

/** Every fund, for filters (entries of an inactive fund can still be looked up). */
export function allFunds(): Promise<Fund[]> {
  return Fund.findAll({ order: [['name', 'ASC']] });
}

/** A person as the pickers show them. */
export interface MemberChoice {
  id: string;
  firstName: string;
  lastName: string;
  email: string | null;
}

export interface MemberChoices {
  people: MemberChoice[];
  /** True when `people` is the whole directory; otherwise only the kept people (search for more). */
  complete: boolean;
}

/** Up to this many people, a picker lists the whole directory; past it, the page searches. */
export const PICKER_FULL_LIST = 500;
const PEOPLE_FOUND = 20;

const CHOICE_ATTRIBUTES = ['id', 'firstName', 'lastName', 'email'];
const BY_NAME: Order = [
  ['lastName', 'ASC'],
  ['firstName', 'ASC'],
  ['id', 'ASC'],
];

async function choices(options: FindOptions<Member>): Promise<MemberChoice[]> {
  const rows = (await Member.findAll({
    ...options,
    attributes: CHOICE_ATTRIBUTES,
    order: BY_NAME,
    raw: true,
    // raw: true returns plain rows, which Sequelize's types still describe as instances.
  })) as unknown as MemberChoice[];
  return rows.map((r) => ({ ...r, id: String(r.id) }));
}

/**
 * The people a picker offers: the whole directory when it is small, otherwise only `keep` (the
 * people already chosen), and the page finds the others with `findPeople`.
 */
export async function memberChoices(
  keep: (string | null | undefined)[] = [],
  fullList = PICKER_FULL_LIST,
): Promise<MemberChoices> {
  // Is there a person past the limit? One step along the primary key, not the whole list read.
  const beyond = await Member.findOne({ attributes: ['id'], order: [['id', 'ASC']], offset: fullList });
  if (!beyond) return { people: await choices({}), complete: true };
  const ids = keep.filter((id): id is string => typeof id === 'string' && ID_RE.test(id));
  return { people: ids.length ? await choices({ where: { id: ids } }) : [], complete: false };
}

/** How a picker names a person: "Last, First · e-mail". */
export function choiceLabel(m: MemberChoice): string {
  return `${m.lastName}, ${m.firstName}${m.email ? ` · ${m.email}` : ''}`;
}

/** The first people, by name, whose name, e-mail or phone contains `q`. */
export function findPeople(q: string): Promise<MemberChoice[]> {
  return choices({ where: matching(q), limit: PEOPLE_FOUND });
}

/** The member and fund an entry was loaded with (`findContribution`, `findExpense`, the searches). */
export function loadedWith(entry: Contribution | Expense): {
  member: MemberChoice | null;
  fund: Fund | null;
} {
  const { member, fund } = entry as unknown as { member?: MemberChoice | null; fund?: Fund | null };
  return { member: member ?? null, fund: fund ?? null };
}

export function memberName(m: { firstName: string; lastName: string } | null | undefined): string {
  return m ? `${m.firstName} ${m.lastName}`.trim() : '';
}

/** The expense categories used so far, for suggestions and the filter. */
export async function expenseCategories(): Promise<string[]> {
  const rows = await Expense.findAll({
    attributes: [[literal('DISTINCT category'), 'category']],
    order: [[literal('category'), 'ASC']],
    raw: true,
  });
  return rows.map((r) => r.category);
}

/** An entry that is a reversal or was reversed: a 409 whose message says why. */
export class EntryLocked extends Conflict {}

/** Why `fundId` cannot take a new or corrected entry (unknown, or inactive and not `keepId`); null when it can. */
export async function fundProblem(fundId: string, keepId?: string | null): Promise<string | null> {
  const fund = await Fund.findByPk(fundId);
  return !fund || (!fund.active && String(keepId) !== fundId) ? 'choose an active fund' : null;
}

/**
 * Locks the entry's row for the rest of the transaction the caller is in, so an edit and a
 * reversal of it never run at once, and reads it again; throws EntryLocked when it can no longer
 * be changed.
 */
export async function lockForChange<E extends Contribution | Expense>(
  kind: LedgerKind,
  entry: E,
): Promise<E> {
  const model = (kind === 'contribution' ? Contribution : Expense) as unknown as typeof Contribution;
  // Only the entry's own row: FOR UPDATE cannot take the outer-joined member or fund along.
  await model.findByPk(entry.id, { lock: true, attributes: ['id'] });
  await entry.reload();
  const locked = await lockReason(kind, entry);
  if (locked) throw new EntryLocked(locked);
  return entry;
}

/**
 * Records the negative entry that cancels entry `id`, on the same date so every period's totals
 * (and a giving statement) leave the original out, in the caller's transaction (or one of its
 * own) that locks the original so two clicks cannot reverse it twice. Throws EntryLocked when it
 * is already reversed or is itself a reversal; returns null when there is no such entry.
 */
export async function reverse<K extends LedgerKind>(
  kind: K,
  id: string,
  reason: string | null,
  userId: string | null,
): Promise<{ original: Contribution | Expense; reversal: Contribution | Expense } | null> {
  return inTransaction(db(), async () => {
    const original =
      kind === 'contribution'
        ? await Contribution.findByPk(id, { lock: true })
        : await Expense.findByPk(id, { lock: true });
    if (!original) return null;
    const locked = await lockReason(kind, original);
    if (locked) throw new EntryLocked(locked);
    const note = reversalNote(kind, String(original.id), reason);
    const amountCents = (-BigInt(original.amountCents)).toString();
    const reversal =
      original instanceof Contribution
        ? await Contribution.create({
            memberId: original.memberId,
            fundId: original.fundId,
            amountCents,
            receivedOn: original.receivedOn,
            method: original.method,
            reference: original.reference,
            note,
            createdBy: userId,
          })
        : await Expense.create({
            category: original.category,
            fundId: original.fundId,
            amountCents,
            spentOn: original.spentOn,
            payee: original.payee,
            note,
            receiptKey: null,
            receiptName: null,
            receiptType: null,
            createdBy: userId,
          });
    return { original, reversal };
  });
}
