import { Op, QueryTypes, UniqueConstraintError } from 'sequelize';
import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { NotFound, ValidationError } from '../../errors.ts';
import { Fund } from '../../models/index.ts';
import { idParam } from '../../validators/common.ts';
import type { FundInput } from '../../validators/finance.validator.ts';
import * as audit from '../audit.ts';

/**
 * Funds, for the pages and the API alike: each change checks the name, writes the fund and its
 * audit entry in one transaction. A fund with entries is never deleted, only deactivated.
 */

export const FUND_NAME_TAKEN = 'is already the name of another fund';

/** Every fund by name, and how many contributions and expenses each has. */
export async function fundsWithEntries(): Promise<{ funds: Fund[]; entries: Map<string, number> }> {
  const [funds, entries] = await Promise.all([Fund.findAll({ order: [['name', 'ASC']] }), entryCounts()]);
  return { funds, entries };
}

/** The fund of that id (as the URL gives it); 404 when this tenant has none. */
export async function loadFund(rawId: unknown): Promise<Fund> {
  const fund = await Fund.findByPk(idParam(rawId));
  if (!fund) throw new NotFound();
  return fund;
}

/** Creates the fund; a name already used (case-insensitively) is a ValidationError on `name`. */
export function createFund(input: FundInput): Promise<Fund> {
  return inTransaction(db(), async () => {
    await refuseTakenName(input.name, null);
    const fund = await Fund.create(input).catch(nameTaken);
    await record('fund.created', fund, null);
    return fund;
  });
}

/** Saves the fund's new values, audited with the values before; same name rule as creating. */
export function updateFund(fund: Fund, input: FundInput): Promise<Fund> {
  return inTransaction(db(), async () => {
    await refuseTakenName(input.name, fund.id);
    const before = { ...fund.get({ plain: true }) };
    await fund.update(input).catch(nameTaken);
    await record('fund.updated', fund, before);
    return fund;
  });
}

/**
 * Deletes a fund without entries; one with entries keeps them and is deactivated instead (hidden
 * from new entries). The fund's row is locked first: recording an entry locks it too (the foreign
 * key), so no entry can arrive between the count and the delete.
 */
export function removeFund(fund: Fund): Promise<'deleted' | 'deactivated'> {
  return inTransaction(db(), async () => {
    const locked = await Fund.findByPk(fund.id, { lock: true });
    if (!locked) throw new NotFound();
    const before = { ...locked.get({ plain: true }) };
    if ((await entryCount(locked)) > 0) {
      if (locked.active) {
        await locked.update({ active: false });
        await record('fund.deactivated', locked, before);
      }
      fund.set(locked.get({ plain: true }));
      return 'deactivated';
    }
    await locked.destroy();
    await audit.record({
      action: 'fund.deleted',
      recordType: 'fund',
      recordId: locked.id,
      recordLabel: locked.name,
      before,
    });
    return 'deleted';
  });
}

/** The number of contributions and expenses recorded on the fund. */
export async function entryCount(fund: Fund): Promise<number> {
  const [row] = await db().query<{ n: string }>(
    `SELECT (SELECT COUNT(*) FROM contributions WHERE fund_id = $1)
          + (SELECT COUNT(*) FROM expenses WHERE fund_id = $1) AS n`,
    { bind: [fund.id], type: QueryTypes.SELECT },
  );
  return Number(row?.n ?? 0);
}

/** The fund as the API shows it. */
export function presentFund(fund: Fund, entries: number) {
  return {
    id: String(fund.id),
    name: fund.name,
    description: fund.description ?? null,
    active: fund.active,
    entries,
    createdAt: fund.createdAt.toISOString(),
    updatedAt: fund.updatedAt.toISOString(),
  };
}

/** Contributions and expenses per fund id. */
async function entryCounts(): Promise<Map<string, number>> {
  const rows = await db().query<{ fund_id: string; n: string }>(
    `SELECT fund_id, COUNT(*) AS n FROM (
       SELECT fund_id FROM contributions UNION ALL SELECT fund_id FROM expenses
     ) e GROUP BY fund_id`,
    { type: QueryTypes.SELECT },
  );
  return new Map(rows.map((r) => [String(r.fund_id), Number(r.n)]));
}

async function refuseTakenName(name: string, selfId: string | null): Promise<void> {
  const taken = await Fund.findOne({
    where: {
      name: { [Op.iLike]: name.replace(/[\\%_]/g, (c) => `\\${c}`) },
      ...(selfId ? { id: { [Op.ne]: selfId } } : {}),
    },
  });
  if (taken) throw new ValidationError({ name: FUND_NAME_TAKEN });
}

/** A fund of the same name saved since the check (the unique index) gets the same message. */
function nameTaken(err: unknown): never {
  if (err instanceof UniqueConstraintError) throw new ValidationError({ name: FUND_NAME_TAKEN });
  throw err;
}

async function record(action: string, fund: Fund, before: Record<string, unknown> | null): Promise<void> {
  const after = { ...fund.get({ plain: true }) };
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'fund',
    recordId: fund.id,
    recordLabel: fund.name,
    before,
    after,
  });
}
