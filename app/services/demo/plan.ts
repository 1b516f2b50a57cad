import {
  Attendance,
  Contribution,
  Event,
  Expense,
  Fund,
  Group,
  GroupMember,
  Household,
  Member,
  Setting,
  User,
} from '../../models/index.ts';
import type { MemberStatus } from '../../models/member.ts';
import { type DemoCounts, insertChunks, insertColumns } from './insert.ts';

/**
 * A demo tenant's data as plain values, built first and inserted afterwards. Records point at each
 * other by their index in these lists; `insertPlan` turns the indexes into ids.
 */
export interface DemoPlan {
  settings: Record<string, string>;
  funds: { name: string; description: string }[];
  households: { name: string; address: string | null; phone: string | null }[];
  people: PlannedPerson[];
  groups: PlannedGroup[];
  events: PlannedEvent[];
  contributions: PlannedContribution[];
  expenses: PlannedExpense[];
}

export interface PlannedPerson {
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  birthDate: string | null;
  status: MemberStatus;
  joinedOn: string | null;
  notes?: string | null;
  household: number | null;
  /** The staff account (by e-mail) this person is, if any. */
  userEmail?: string | null;
}

export interface PlannedGroup {
  name: string;
  description: string;
  meetingDay: number;
  meetingTime: string;
  members: { person: number; role: 'leader' | 'member' }[];
}

export interface PlannedEvent {
  title: string;
  kind: 'service' | 'group_meeting';
  group: number | null;
  startsAt: Date;
  visitorCount: number;
  attendees: number[];
}

export interface PlannedContribution {
  person: number | null;
  fund: string;
  amountCents: number;
  receivedOn: string;
  method: 'cash' | 'check' | 'card' | 'transfer' | 'online' | 'other';
  reference: string | null;
  note: string | null;
}

export interface PlannedExpense {
  category: string;
  fund: string;
  amountCents: number;
  spentOn: string;
  payee: string;
  note: string | null;
}

async function fundIds(funds: DemoPlan['funds']): Promise<Map<string, string>> {
  const existing = await Fund.findAll({ attributes: ['id', 'name'] });
  const have = new Set(existing.map((f) => f.name));
  const created = await insertChunks(
    Fund,
    funds.filter((f) => !have.has(f.name)),
    { returning: true },
  );
  return new Map([...existing, ...created].map((f) => [f.name, f.id]));
}

function fundOf(ids: Map<string, string>, name: string): string {
  const id = ids.get(name);
  if (!id) throw new Error(`demo data names a fund that is not planned: ${name}`);
  return id;
}

/** Inserts a plan into the current tenant (call inside `withTenant`, ideally in one transaction). */
export async function insertPlan(plan: DemoPlan): Promise<DemoCounts> {
  const funds = await fundIds(plan.funds);
  const households = await insertChunks(Household, plan.households, { returning: true });
  const users = new Map((await User.findAll({ attributes: ['id', 'email'] })).map((u) => [u.email, u.id]));
  const members = await insertChunks(
    Member,
    plan.people.map(({ household, userEmail, ...p }) => ({
      ...p,
      notes: p.notes ?? null,
      householdId: household === null ? null : households[household].id,
      userId: userEmail ? (users.get(userEmail) ?? null) : null,
    })),
    { returning: true },
  );
  const memberId = (i: number) => members[i].id;

  const groups = await insertChunks(
    Group,
    plan.groups.map(({ members: _, ...g }) => g),
    { returning: true },
  );
  const groupMembers = plan.groups.flatMap((g, i) =>
    g.members.map((m) => ({ groupId: groups[i].id, memberId: memberId(m.person), role: m.role })),
  );
  await insertChunks(GroupMember, groupMembers);

  const events = await insertChunks(
    Event,
    plan.events.map(({ attendees: _, group, ...e }) => ({
      ...e,
      groupId: group === null ? null : groups[group].id,
    })),
    { returning: true },
  );
  const attendances = plan.events.flatMap((e, i) =>
    e.attendees.map((person) => [events[i].id, memberId(person)]),
  );
  await insertColumns(Attendance, { eventId: 'bigint', memberId: 'bigint' }, attendances);

  await insertColumns(
    Contribution,
    {
      memberId: 'bigint',
      fundId: 'bigint',
      amountCents: 'bigint',
      receivedOn: 'date',
      method: 'text',
      reference: 'text',
      note: 'text',
    },
    plan.contributions.map((c) => [
      c.person === null ? null : memberId(c.person),
      fundOf(funds, c.fund),
      String(c.amountCents),
      c.receivedOn,
      c.method,
      c.reference,
      c.note,
    ]),
  );
  await insertChunks(
    Expense,
    plan.expenses.map(({ fund, amountCents, ...e }) => ({
      ...e,
      fundId: fundOf(funds, fund),
      amountCents: String(amountCents),
      receiptKey: null,
      receiptName: null,
      receiptType: null,
      createdBy: null,
    })),
  );
  await Setting.bulkCreate(
    Object.entries(plan.settings).map(([key, value]) => ({ key, value })),
    { updateOnDuplicate: ['value', 'updatedAt'] },
  );

  return {
    households: households.length,
    members: members.length,
    groups: groups.length,
    groupMembers: groupMembers.length,
    events: events.length,
    attendances: attendances.length,
    funds: funds.size,
    contributions: plan.contributions.length,
    expenses: plan.expenses.length,
  };
}
