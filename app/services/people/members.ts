import { UniqueConstraintError } from 'sequelize';
import { db } from '../../db/database.ts';
import { currentTransaction, inTransaction } from '../../db/transaction-context.ts';
import { NotFound, ValidationError } from '../../errors.ts';
import {
  type Contribution,
  type Fund,
  type Group,
  type GroupMember,
  Household,
  Member,
  User,
} from '../../models/index.ts';
import * as policy from '../../policies/member.policy.ts';
import type { MemberInput } from '../../validators/member.validator.ts';
import * as audit from '../audit.ts';
import {
  findMember,
  fullName,
  memberEmailTaken,
  memberFacts,
  memberLinkedTo,
  memberSnapshot,
} from '../member-directory.ts';

/**
 * Adding, changing and removing a person of the directory: the checks, the write and the audit
 * entry, for the pages and the API alike. Refusals are ValidationErrors with a message per field.
 */

type Errors = Record<string, string>;

/** The person named by `id` with their household; NotFound when this tenant has none. */
export async function loadMember(id: string): Promise<Member> {
  const member = await findMember(id);
  if (!member) throw new NotFound();
  return member;
}

/** Each change and its audit entry are one transaction (the caller's, when it is in one). */
function unitOfWork<T>(work: () => Promise<T>): Promise<T> {
  return inTransaction(db(), work);
}

export function createMember(data: MemberInput): Promise<Member> {
  return unitOfWork(async () => {
    await refuseConflicts(data);
    const member = await unlessDuplicate(() => Member.create(data));
    if (!member) throw new ValidationError(await raceErrors(data));
    await recordChange('member.created', member, null);
    return member;
  });
}

export function updateMember(member: Member, data: MemberInput): Promise<Member> {
  return unitOfWork(async () => {
    await refuseConflicts(data, member.id);
    const before = memberSnapshot(member);
    const saved = await unlessDuplicate(() => member.update(data));
    if (!saved) throw new ValidationError(await raceErrors(data, member.id));
    await member.reload({ include: [{ model: Household, as: 'household' }] });
    await recordChange('member.updated', member, before);
    return member;
  });
}

/** Attendance and group places go with the person; contributions stay, unlinked. */
export function deleteMember(member: Member): Promise<void> {
  return unitOfWork(async () => {
    const before = memberSnapshot(member);
    await member.destroy();
    await audit.record({
      action: 'member.deleted',
      recordType: 'member',
      recordId: member.id,
      recordLabel: fullName(member),
      before,
    });
  });
}

/** The record as its form holds it: text for every field, '' for what is empty. */
export function memberFormOf(member: Member): Record<string, string> {
  const text = (v: string | null) => v ?? '';
  return {
    firstName: member.firstName,
    lastName: member.lastName,
    email: text(member.email),
    phone: text(member.phone),
    address: text(member.address),
    birthDate: text(member.birthDate),
    status: member.status,
    joinedOn: text(member.joinedOn),
    notes: text(member.notes),
    householdId: member.householdId ? String(member.householdId) : '',
    userId: member.userId ? String(member.userId) : '',
  };
}

/**
 * A person as an API client sees them: what the person's page shows. Notes only for those who may
 * read notes, giving only for finance viewers (member.policy.ts decides both, as on the page).
 */
export async function presentMember(member: Member, viewer: User | null) {
  const withGiving = policy.canSeeGiving(viewer);
  const facts = await memberFacts(member, { withGiving });
  return {
    id: String(member.id),
    firstName: member.firstName,
    lastName: member.lastName,
    email: member.email,
    phone: member.phone,
    address: member.address,
    birthDate: member.birthDate,
    status: member.status,
    joinedOn: member.joinedOn,
    ...(policy.canSeeNotes(viewer) ? { notes: member.notes } : {}),
    household: member.household ? { id: String(member.household.id), name: member.household.name } : null,
    householdMates: facts.mates.map((m) => ({
      id: String(m.id),
      firstName: m.firstName,
      lastName: m.lastName,
    })),
    userId: member.userId ? String(member.userId) : null,
    groups: facts.memberships.map((gm) => ({
      id: String(gm.groupId),
      name: (gm as GroupMember & { group?: Group }).group?.name ?? '',
      role: gm.role,
    })),
    attendanceLast90Days: facts.recentAttendance,
    ...(facts.giving
      ? {
          giving: {
            year: facts.giving.year,
            totalCents: Number(facts.giving.totalCents),
            latest: facts.giving.latest.map((c: Contribution & { fund?: Fund | null }) => ({
              id: String(c.id),
              amountCents: Number(c.amountCents),
              receivedOn: c.receivedOn,
              fund: c.fund ? { id: String(c.fund.id), name: c.fund.name } : null,
            })),
          },
        }
      : {}),
    createdAt: member.createdAt.toISOString(),
    updatedAt: member.updatedAt.toISOString(),
  };
}

export type MemberView = Awaited<ReturnType<typeof presentMember>>;

/** What the database would refuse or what no longer exists, as field messages. */
async function conflicts(data: MemberInput, exceptId?: string): Promise<Errors> {
  const errors: Errors = {};
  if (data.email && (await memberEmailTaken(data.email, exceptId))) {
    errors.email = 'is already used by someone in the directory';
  }
  if (data.householdId && !(await Household.findByPk(data.householdId))) {
    errors.householdId = 'no longer exists';
  }
  if (data.userId) {
    const linked = await memberLinkedTo(data.userId, exceptId);
    if (linked) errors.userId = `is already linked to ${fullName(linked)}`;
    else if (!(await User.findByPk(data.userId))) errors.userId = 'no longer exists';
  }
  return errors;
}

async function refuseConflicts(data: MemberInput, exceptId?: string): Promise<void> {
  const errors = await conflicts(data, exceptId);
  if (Object.keys(errors).length) throw new ValidationError(errors);
}

/** Two saves that raced past the checks: the unique indexes refused one; say which field. */
async function raceErrors(data: MemberInput, exceptId?: string): Promise<Errors> {
  const errors = await conflicts(data, exceptId);
  return Object.keys(errors).length ? errors : { _: 'Someone changed this record meanwhile. Try again.' };
}

/**
 * Runs `write`, null when a unique index refuses it. Inside a transaction the write gets a
 * savepoint, so the refusal leaves the transaction usable for the queries that explain it.
 */
async function unlessDuplicate<T>(write: () => Promise<T>): Promise<T | null> {
  const transaction = currentTransaction();
  const guarded = transaction ? () => db().transaction({ transaction }, write) : write;
  return guarded().catch((err: unknown) => {
    if (err instanceof UniqueConstraintError) return null;
    throw err;
  });
}

/** A save that changed nothing is not logged. */
async function recordChange(action: string, member: Member, before: Record<string, unknown> | null) {
  const after = memberSnapshot(member);
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'member',
    recordId: member.id,
    recordLabel: fullName(member),
    before,
    after,
  });
}
