import { literal, Op } from 'sequelize';
import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { NotFound } from '../../errors.ts';
import { Household } from '../../models/household.ts';
import { Member } from '../../models/member.ts';
import type { HouseholdInput } from '../../validators/member.validator.ts';
import * as audit from '../audit.ts';
import { fullName } from '../member-directory.ts';

/** Households of the directory: the list, the people of one, and its changes with their audit entries. */

/**
 * One window of the households whose name contains `q`, by name, with the count of all matches;
 * each row carries how many people it has (`row.get('size')`).
 */
export async function searchHouseholds(
  filter: { q: string },
  window: { limit: number; offset: number },
): Promise<{ rows: Household[]; total: number }> {
  const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows, count } = await Household.findAndCountAll({
    attributes: {
      include: [
        [literal('(SELECT count(*) FROM members m WHERE m.household_id = "Household"."id")::int'), 'size'],
      ],
    },
    where: filter.q ? { name: { [Op.iLike]: pattern } } : {},
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
    limit: window.limit,
    offset: window.offset,
  });
  return { rows, total: count };
}

/** The household named by `id`; NotFound when this tenant has none. */
export async function loadHousehold(id: string): Promise<Household> {
  const household = await Household.findByPk(id);
  if (!household) throw new NotFound();
  return household;
}

/** Its people, by name. */
export function membersOf(household: Household): Promise<Member[]> {
  return Member.findAll({
    where: { householdId: household.id },
    order: [
      ['lastName', 'ASC'],
      ['firstName', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}

/** Each change and its audit entry are one transaction (the caller's, when it is in one). */
function unitOfWork<T>(work: () => Promise<T>): Promise<T> {
  return inTransaction(db(), work);
}

export function createHousehold(data: HouseholdInput): Promise<Household> {
  return unitOfWork(async () => {
    const household = await Household.create(data);
    await recordChange('household.created', household, null);
    return household;
  });
}

export function updateHousehold(household: Household, data: HouseholdInput): Promise<Household> {
  return unitOfWork(async () => {
    const before = snapshot(household);
    await household.update(data);
    await recordChange('household.updated', household, before);
    return household;
  });
}

/** Its people stay in the directory, without a household (FK SET NULL); the entry names them. */
export function deleteHousehold(household: Household): Promise<void> {
  return unitOfWork(async () => {
    const before = { ...snapshot(household), members: (await membersOf(household)).map(fullName) };
    await household.destroy();
    await audit.record({
      action: 'household.deleted',
      recordType: 'household',
      recordId: household.id,
      recordLabel: household.name,
      before,
    });
  });
}

/** The record as its form holds it. */
export function householdFormOf(household: Household): Record<string, string> {
  return { name: household.name, address: household.address ?? '', phone: household.phone ?? '' };
}

/** A household as an API client sees it: a row of the list, or with `people` as its page lists them. */
export function presentHousehold(household: Household, people?: Member[]) {
  return {
    id: String(household.id),
    name: household.name,
    address: household.address,
    phone: household.phone,
    size: people ? people.length : Number(household.get('size') ?? 0),
    ...(people
      ? {
          people: people.map((m) => ({
            id: String(m.id),
            firstName: m.firstName,
            lastName: m.lastName,
            status: m.status,
          })),
        }
      : {}),
    createdAt: household.createdAt.toISOString(),
    updatedAt: household.updatedAt.toISOString(),
  };
}

/** A copy of the fields: `get()` hands back the live values, which a later update changes. */
function snapshot(household: Household): Record<string, unknown> {
  return { ...household.get({ plain: true }) };
}

/** A save that changed nothing is not logged. */
async function recordChange(action: string, household: Household, before: Record<string, unknown> | null) {
  const after = snapshot(household);
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'household',
    recordId: household.id,
    recordLabel: household.name,
    before,
    after,
  });
}
