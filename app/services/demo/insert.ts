import type { CreationAttributes, Model, ModelStatic } from 'sequelize';
import { db } from '../../db/database.ts';

/** Rows per INSERT: big enough to be fast, small enough to stay under PostgreSQL's 65,535 parameters. */
const CHUNK = 1000;

/**
 * Inserts `rows` with multi-row INSERTs, a chunk at a time. With `returning`, the created records
 * come back in the order given (their ids are needed to link the next tables).
 */
export async function insertChunks<M extends Model>(
  model: ModelStatic<M>,
  rows: CreationAttributes<M>[],
  opts: { returning?: boolean } = {},
): Promise<M[]> {
  const created: M[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const batch = await model.bulkCreate(rows.slice(i, i + CHUNK), {
      returning: opts.returning ?? false,
      validate: false,
    });
    if (opts.returning) created.push(...batch);
  }
  return created;
}

/**
 * Inserts many rows of a few columns in one statement, `INSERT … SELECT FROM unnest(arrays)`: one
 * bound array per column, so no per-row model objects and no giant statement text. For the big
 * tables (attendance, contributions). Column types are PostgreSQL array element types.
 */
export async function insertColumns(
  model: ModelStatic<Model>,
  columns: Record<string, 'bigint' | 'text' | 'date'>,
  rows: unknown[][],
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  const fields = names.map((n) => {
    const field = model.getAttributes()[n]?.field;
    if (!field) throw new Error(`${model.name} has no attribute ${n}`);
    return `"${field}"`;
  });
  const arrays = names.map((n, i) => `$${i + 1}::${columns[n]}[]`);
  await db().query(
    `INSERT INTO "${model.tableName}" (${fields.join(', ')}) SELECT * FROM unnest(${arrays.join(', ')})`,
    { bind: names.map((_, i) => rows.map((r) => r[i])) },
  );
}

/** How many records a demo fill created, by table. */
export interface DemoCounts {
  households: number;
  members: number;
  groups: number;
  groupMembers: number;
  events: number;
  attendances: number;
  funds: number;
  contributions: number;
  expenses: number;
}
