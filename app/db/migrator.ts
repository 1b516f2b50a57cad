import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type QueryInterface, QueryTypes, Sequelize } from 'sequelize';
import { Umzug, type UmzugStorage } from 'umzug';
import { config } from '../../config/index.ts';
import { Tenant } from '../models/tenant.ts';
import { type TenantRef, withoutTenant, withTenant } from '../tenancy/context.ts';
import { db } from './database.ts';
import { withAdvisoryLock } from './locks.ts';

const require = createRequire(import.meta.url);

/** Where each scope records what it has applied; the two names differ so no table exists in both. */
export const MIGRATION_TABLE = { public: 'schema_migrations', tenant: 'tenant_migrations' } as const;
export type Scope = keyof typeof MIGRATION_TABLE;

export const MIGRATION_DIRS: Record<Scope, string> = {
  public: path.join(config.root, 'migrations', 'public'),
  tenant: path.join(config.root, 'migrations', 'tenant'),
};

/** A migration in sequelize-cli's format: `module.exports = { up(queryInterface, Sequelize), down }`. */
interface MigrationModule {
  up(qi: QueryInterface, S: typeof Sequelize): Promise<unknown>;
  down?(qi: QueryInterface, S: typeof Sequelize): Promise<unknown>;
}

export interface MigrationFile {
  name: string;
  module: MigrationModule;
}

const fileCache = new Map<string, MigrationFile[]>();

/** The migrations of the given folders, in name order (read from disk once per process). */
export function loadMigrations(dirs: string[]): MigrationFile[] {
  const key = dirs.join('\0');
  const cached = fileCache.get(key);
  if (cached) return cached;
  const files = dirs
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => /\.(c?js)$/.test(f))
        .map((f) => ({ dir, f })),
    )
    .sort((a, b) => a.f.localeCompare(b.f))
    .map(({ dir, f }) => ({
      name: f.replace(/\.c?js$/, ''),
      module: require(path.join(dir, f)) as MigrationModule,
    }));
  fileCache.set(key, files);
  return files;
}

/** SQL that creates the migration record table of a scope, in the current schema. */
export function migrationTableSql(scope: Scope): string {
  return `CREATE TABLE IF NOT EXISTS ${MIGRATION_TABLE[scope]} (name varchar(255) PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
}

/** Reads and writes the record table of the schema the current context points at. */
class SchemaStorage implements UmzugStorage {
  constructor(private readonly scope: Scope) {}

  async executed(): Promise<string[]> {
    const table = MIGRATION_TABLE[this.scope];
    try {
      const rows = await db().query<{ name: string }>(`SELECT name FROM ${table} ORDER BY name`, {
        type: QueryTypes.SELECT,
      });
      return rows.map((r) => r.name);
    } catch (err) {
      if ((err as { parent?: { code?: string } }).parent?.code !== '42P01') throw err;
      await db().query(migrationTableSql(this.scope));
      return [];
    }
  }

  // Recorded inside each migration's own transaction (see `umzugFor`), so a migration and its
  // record commit together.
  async logMigration(): Promise<void> {}

  async unlogMigration({ name }: { name: string }): Promise<void> {
    await db().query(`DELETE FROM ${MIGRATION_TABLE[this.scope]} WHERE name = $1`, { bind: [name] });
  }
}

function umzugFor(scope: Scope, files: MigrationFile[]): Umzug<QueryInterface> {
  const sequelize = db();
  const qi = sequelize.getQueryInterface();
  return new Umzug<QueryInterface>({
    context: qi,
    storage: new SchemaStorage(scope),
    logger: undefined,
    migrations: files.map((f) => ({
      name: f.name,
      up: () =>
        sequelize.transaction(async () => {
          await f.module.up(qi, Sequelize);
          await sequelize.query(`INSERT INTO ${MIGRATION_TABLE[scope]} (name) VALUES ($1)`, {
            bind: [f.name],
          });
        }),
      down: async () => {
        if (!f.module.down) throw new Error(`Migration ${f.name} cannot be undone`);
        await sequelize.transaction(() => f.module.down?.(qi, Sequelize) ?? Promise.resolve());
      },
    })),
  });
}

/** Applies the pending public migrations; returns their names. */
export async function migratePublic(dirs = [MIGRATION_DIRS.public]): Promise<string[]> {
  return withoutTenant(async () => {
    const run = await withAdvisoryLock('steward:migrate:public', async () => {
      const done = await umzugFor('public', loadMigrations(dirs)).up();
      return done.map((m) => m.name);
    });
    return run.acquired ? run.value : [];
  });
}

/** Applies the pending tenant migrations to one tenant's schema; returns their names. */
export async function migrateTenant(tenant: TenantRef, dirs = [MIGRATION_DIRS.tenant]): Promise<string[]> {
  return withTenant(tenant, async () => {
    const done = await umzugFor('tenant', loadMigrations(dirs)).up();
    return done.map((m) => m.name);
  });
}

export interface TenantMigrationResult {
  schema: string;
  applied: string[];
  error?: string;
}

export interface MigrateAllResult {
  publicApplied: string[];
  tenants: TenantMigrationResult[];
  failed: TenantMigrationResult[];
}

/**
 * Migrates public, then every tenant schema with bounded concurrency. A tenant that fails is
 * reported and the others go on; a rerun resumes where each schema stopped.
 */
export async function migrateAll(
  opts: {
    concurrency?: number;
    tenantDirs?: string[];
    publicDirs?: string[];
    onProgress?: (done: number, total: number, last: TenantMigrationResult) => void;
  } = {},
): Promise<MigrateAllResult> {
  const publicApplied = await migratePublic(opts.publicDirs);
  const results: TenantMigrationResult[] = [];
  // One migrator at a time (several web processes may start together); the next one finds nothing to do.
  await withAdvisoryLock('steward:migrate:tenants', async () => {
    const tenants = (await Tenant.findAll({ order: [['id', 'ASC']] })).map((t) => t.toRef());
    const queue = [...tenants];
    const worker = async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        let result: TenantMigrationResult;
        try {
          result = { schema: t.schema, applied: await migrateTenant(t, opts.tenantDirs) };
        } catch (err) {
          result = { schema: t.schema, applied: [], error: err instanceof Error ? err.message : String(err) };
        }
        results.push(result);
        opts.onProgress?.(results.length, tenants.length, result);
      }
    };
    const n = Math.max(1, Math.min(opts.concurrency ?? config.MIGRATE_CONCURRENCY, tenants.length));
    await Promise.all(Array.from({ length: n }, worker));
  });
  results.sort((a, b) => a.schema.localeCompare(b.schema));
  return { publicApplied, tenants: results, failed: results.filter((r) => r.error) };
}
