import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { MIGRATION_DIRS, migrateAll, migrateTenant } from '../../app/db/migrator.ts';
import { Setting, type Tenant } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { createTenant } from '../support/factories.ts';

const EXTRA = path.join(config.root, 'test', 'fixtures', 'migrations', 'tenant-extra');
const dirs = [MIGRATION_DIRS.tenant, EXTRA];

async function hasWidgets(t: Tenant): Promise<boolean> {
  const rows = await db().query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', {
    bind: [t.schemaName, 'widgets'],
    type: QueryTypes.SELECT,
  });
  return rows.length === 1;
}

async function recorded(t: Tenant): Promise<string[]> {
  return withTenant(t.toRef(), async () => {
    const rows = await db().query<{ name: string }>('SELECT name FROM tenant_migrations ORDER BY name', {
      type: QueryTypes.SELECT,
    });
    return rows.map((r) => r.name);
  });
}

describe('migrations across tenants', () => {
  let good: Tenant[];
  let bad: Tenant;

  before(async () => {
    good = [await createTenant(), await createTenant(), await createTenant()];
    bad = await createTenant();
    await withTenant(bad.toRef(), () => Setting.create({ key: 'fail_migration', value: 'yes' }));
  });

  it('reports nothing to do when every schema is current', async () => {
    const result = await migrateAll();
    expect(result.publicApplied).to.deep.equal([]);
    expect(result.failed).to.deep.equal([]);
    expect(result.tenants.every((t) => t.applied.length === 0)).to.equal(true);
  });

  it('migrates every tenant, names the one that failed and keeps the others migrated', async () => {
    const result = await migrateAll({ tenantDirs: dirs, concurrency: 3 });
    expect(result.failed.map((f) => f.schema)).to.deep.equal([bad.schemaName]);
    expect(result.failed[0].error).to.match(/refuses the widgets migration/);
    for (const t of good) {
      expect(result.tenants.find((r) => r.schema === t.schemaName)?.applied).to.deep.equal([
        '29990101000001-add-widgets',
      ]);
      expect(await hasWidgets(t)).to.equal(true);
      expect(await recorded(t)).to.include('29990101000001-add-widgets');
    }
    // the failed migration left neither its table nor its record behind
    expect(await hasWidgets(bad)).to.equal(false);
    expect(await recorded(bad)).not.to.include('29990101000001-add-widgets');
  });

  it('resumes on a rerun: only the failed schema is migrated', async () => {
    await withTenant(bad.toRef(), () => Setting.destroy({ where: { key: 'fail_migration' } }));
    const result = await migrateAll({ tenantDirs: dirs });
    expect(result.failed).to.deep.equal([]);
    const changed = result.tenants.filter((t) => t.applied.length);
    expect(changed.map((c) => c.schema)).to.include(bad.schemaName);
    for (const t of good) expect(changed.map((c) => c.schema)).not.to.include(t.schemaName);
    expect(await hasWidgets(bad)).to.equal(true);
  });

  it('migrates one tenant on its own without touching another', async () => {
    const lone = await createTenant();
    const other = await createTenant();
    expect(await migrateTenant(lone.toRef(), dirs)).to.deep.equal(['29990101000001-add-widgets']);
    expect(await hasWidgets(lone)).to.equal(true);
    expect(await hasWidgets(other)).to.equal(false);
  });

  it('builds new schemas from the compiled bundle with the same tables as replaying the migrations', async () => {
    const fresh = await createTenant();
    const replayed = await createTenant();
    const columns = async (schema: string) =>
      db().query<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
        `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS data_type,
                a.attnotnull::text AS is_nullable
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'r'
          ORDER BY 1, 2`,
        { bind: [schema], type: QueryTypes.SELECT },
      );
    // Rebuild one schema by replaying every migration, then compare with the bundle-built one.
    await db().query(`DROP SCHEMA "${replayed.schemaName}" CASCADE`);
    await db().query(`CREATE SCHEMA "${replayed.schemaName}"`);
    await migrateTenant(replayed.toRef());
    expect(await columns(replayed.schemaName)).to.deep.equal(await columns(fresh.schemaName));
    // indexes (partial ones included) and constraints, with the schema name taken out
    const shape = async (schema: string) => {
      const indexes = await db().query<{ indexname: string; def: string }>(
        'SELECT indexname, replace(indexdef, $1, $2) AS def FROM pg_indexes WHERE schemaname = $1 ORDER BY 1',
        { bind: [schema, 'S'], type: QueryTypes.SELECT },
      );
      const constraints = await db().query<{ conname: string; def: string }>(
        `SELECT conname, replace(pg_get_constraintdef(c.oid), $1, $2) AS def FROM pg_constraint c
           JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 ORDER BY 1`,
        { bind: [schema, 'S'], type: QueryTypes.SELECT },
      );
      return { indexes, constraints };
    };
    const expected = await shape(fresh.schemaName);
    expect(expected.indexes.length).to.be.greaterThan(5);
    expect(await shape(replayed.schemaName)).to.deep.equal(expected);
  });
});
