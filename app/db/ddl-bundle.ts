import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { QueryTypes, Sequelize } from 'sequelize';
import { withTenant } from '../tenancy/context.ts';
import { quoteIdent } from '../tenancy/schema-name.ts';
import { db } from './database.ts';
import { loadMigrations, MIGRATION_DIRS, type MigrationFile } from './migrator.ts';

/**
 * The tenant migrations compiled into one DDL script. A new tenant schema is built by running this
 * script once instead of replaying every migration: the cost stays flat as history grows.
 *
 * It is compiled by running the migrations in a scratch schema inside a transaction that is rolled
 * back, recording the statements they send. Migrations must therefore use unqualified names and no
 * bind parameters; the compiler refuses a bundle that names a schema.
 */
export interface DdlBundle {
  migrations: string[];
  sql: string;
}

const capture = new AsyncLocalStorage<string[]>();
let hookInstalled = false;
let cached: Promise<DdlBundle> | null = null;

const SKIP = /^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|SET )/i;

class Rollback extends Error {}

function installCaptureHook(sequelize: Sequelize): void {
  if (hookInstalled) return;
  hookInstalled = true;
  sequelize.addHook('afterQuery', 'ddlCapture', (options, query) => {
    const sink = capture.getStore();
    // The SQL text is set on the query object once it has run.
    const sql = (query as unknown as { sql?: string }).sql;
    if (!sink || !sql || SKIP.test(sql) || options.type === QueryTypes.SELECT) return;
    if (options.bind) throw new Error(`Tenant migrations must not use bind parameters: ${sql}`);
    sink.push(sql.trim().replace(/;?\s*$/, ';'));
  });
}

async function compile(files: MigrationFile[]): Promise<DdlBundle> {
  const sequelize = db();
  installCaptureHook(sequelize);
  const scratch = `t_scratch__${randomBytes(6).toString('hex')}`;
  const ref = {
    id: '0',
    slug: scratch,
    schema: scratch,
    name: scratch,
    kind: 'company',
    status: 'active',
  } as const;
  const statements: string[] = [];
  try {
    await withTenant(ref, () =>
      sequelize.transaction(async () => {
        await sequelize.query(`CREATE SCHEMA ${quoteIdent(scratch)}`);
        const qi = sequelize.getQueryInterface();
        await capture.run(statements, async () => {
          for (const f of files) await f.module.up(qi, Sequelize);
        });
        throw new Rollback();
      }),
    );
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  const sql = withoutDroppedIndexes(statements).join('\n');
  for (const forbidden of [scratch, '"public".', 'public.']) {
    if (sql.includes(forbidden))
      throw new Error(`A tenant migration names a schema (${forbidden}); use unqualified names`);
  }
  return { migrations: files.map((f) => f.name), sql };
}

const CREATE_INDEX = /^CREATE (UNIQUE )?INDEX (?:IF NOT EXISTS )?"?([a-z0-9_]+)"? ON /i;
const DROP_INDEX = /^DROP INDEX (?:IF EXISTS )?"?([a-z0-9_]+)"?;$/i;

/**
 * The statements without an index that a later migration drops again (nor the drop): a new schema
 * gets the end state without building what history built and threw away. Only plain indexes are
 * left out this way; a unique one may back a constraint in between, so it is built and dropped.
 */
export function withoutDroppedIndexes(statements: string[]): string[] {
  const kept = [...statements];
  for (let i = kept.length - 1; i >= 0; i--) {
    const dropped = DROP_INDEX.exec(kept[i] ?? '')?.[1];
    if (!dropped) continue;
    let created = -1;
    let unique = false;
    for (let j = i - 1; j >= 0 && created < 0; j--) {
      const match = CREATE_INDEX.exec(kept[j] ?? '');
      if (match?.[2] === dropped) {
        created = j;
        unique = Boolean(match[1]);
      }
    }
    if (unique) continue;
    // Without an earlier build the drop has nothing to do in a new schema.
    kept.splice(i, 1);
    if (created >= 0) {
      kept.splice(created, 1);
      i--;
    }
  }
  return kept;
}

/** The bundle of the current tenant migrations, compiled once per process. */
export function tenantBundle(): Promise<DdlBundle> {
  if (!cached) {
    cached = compile(loadMigrations([MIGRATION_DIRS.tenant]));
    cached.catch(() => {
      cached = null;
    });
  }
  return cached;
}
