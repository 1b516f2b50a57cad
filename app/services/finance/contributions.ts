import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { NotFound, ValidationError } from '../../errors.ts';
import { Contribution, Member } from '../../models/index.ts';
import type { User } from '../../models/user.ts';
import { idParam } from '../../validators/common.ts';
import type { ContributionInput } from '../../validators/finance.validator.ts';
import * as audit from '../audit.ts';
import * as ledger from '../ledger.ts';
import { formatCents } from '../money.ts';

/**
 * Contributions (money in), for the pages and the API alike: recording, an audited correction and
 * the reversal, each with its checks and audit entry in one transaction. `input.amount` is cents.
 */

/** The contribution of that id (as the URL gives it), with its member and fund; 404 when there is none. */
export async function loadContribution(rawId: unknown): Promise<Contribution> {
  const entry = await ledger.findContribution(idParam(rawId));
  if (!entry) throw new NotFound();
  return entry;
}

/** Records a contribution by `user`; an unknown or inactive fund or an unknown person is a ValidationError. */
export function createContribution(input: ContributionInput, user: User | null): Promise<Contribution> {
  return inTransaction(db(), async () => {
    await refuseProblems(input, null);
    const { amount, ...fields } = input;
    const created = await Contribution.create({
      ...fields,
      amountCents: amount,
      createdBy: user?.id ?? null,
    });
    await record('contribution.created', created, null);
    return (await ledger.findContribution(created.id)) ?? created;
  });
}

/**
 * A correction of the entry, audited with its values before and after. Throws EntryLocked (409)
 * for a reversal or a reversed entry. The entry's own fund stays allowed when it was deactivated.
 */
export function correctContribution(entry: Contribution, input: ContributionInput): Promise<Contribution> {
  return inTransaction(db(), async () => {
    await ledger.lockForChange('contribution', entry);
    await refuseProblems(input, entry);
    const before = ledger.snapshot(entry);
    const { amount, ...fields } = input;
    await entry.update({ ...fields, amountCents: amount });
    await record('contribution.updated', entry, before);
    return entry.reload();
  });
}

/**
 * Reverses contribution `rawId` by a negative entry (the original stays, both locked from then on)
 * and returns the reversal. 404 when there is no such entry; EntryLocked (409) when it cannot be.
 */
export function reverseContribution(
  rawId: unknown,
  reason: string | null,
  user: User | null,
): Promise<Contribution> {
  const id = idParam(rawId);
  return inTransaction(db(), async () => {
    const done = await ledger.reverse('contribution', id, reason, user?.id ?? null);
    if (!done) throw new NotFound();
    const reversal = done.reversal as Contribution;
    await record('contribution.reversed', reversal, null);
    return (await ledger.findContribution(reversal.id)) ?? reversal;
  });
}

/** The entry's values as the form (and a partial API change) starts from: text, as a person types it. */
export function contributionValues(entry: Contribution): Record<string, string> {
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

/** The contribution as the API shows it; `reversed` when a later entry reverses it. */
export function presentContribution(entry: Contribution, reversed: boolean) {
  const { member, fund } = ledger.loadedWith(entry);
  return {
    id: String(entry.id),
    memberId: entry.memberId ? String(entry.memberId) : null,
    memberName: member ? ledger.memberName(member) : null,
    fundId: String(entry.fundId),
    fundName: fund?.name ?? null,
    amountCents: Number(entry.amountCents),
    receivedOn: entry.receivedOn,
    method: entry.method,
    reference: entry.reference ?? null,
    note: entry.note ?? null,
    reversesId: ledger.reversedId(entry),
    reversed,
    createdBy: entry.createdBy ? String(entry.createdBy) : null,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
  };
}

/** Audits a change to `entry` from `before` (null for a new entry); a save that changed nothing is not logged. */
async function record(
  action: string,
  entry: Contribution,
  before: Record<string, unknown> | null,
): Promise<void> {
  const after = ledger.snapshot(entry);
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'contribution',
    recordId: entry.id,
    recordLabel: `${formatCents(entry.amountCents)} on ${entry.receivedOn}`,
    before,
    after,
  });
}

/** The fund must be active (or the entry's own) and the person, when one is named, known. */
async function refuseProblems(input: ContributionInput, entry: Contribution | null): Promise<void> {
  const fields: Record<string, string> = {};
  const fund = await ledger.fundProblem(input.fundId, entry?.fundId);
  if (fund) fields.fundId = fund;
  if (input.memberId && !(await Member.findByPk(input.memberId))) fields.memberId = 'is not a known person';
  if (Object.keys(fields).length) throw new ValidationError(fields);
}
