/**
 * `migrate` over every tenant: migrateAll() with nothing to do, then with one new tenant migration
 * (a table and an index), written to a temporary folder beside the real ones.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MIGRATION_DIRS, type MigrateAllResult, migrateAll } from '../app/db/migrator.ts';
import { config } from '../config/index.ts';
import { line, median, ms, note, section, type TargetCheck, target, timed } from './support/stats.ts';
import { ensureTenants } from './support/tenants.ts';

export interface MigrateResult {
  tenants: number;
  concurrency: number;
  poolMax: number;
  noopRunsMs: number[];
  noopMedianMs: number;
  oneMigrationMs: number;
  noopAfterMs: number;
  targets: TargetCheck[];
}

const NOOP_TARGET_MS = 1_000;
const ONE_MIGRATION_TARGET_MS = 10_000;
const NOOP_RUNS = 5;
// Sorts after every real migration, so it is the one pending migration of each schema.
const MIGRATION_NAME = '29991231000000-bench-widgets';

const MIGRATION_SOURCE = `'use strict';

module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('bench_widgets', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      name: { type: Sequelize.STRING(120), allowNull: false },
      quantity: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      created_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') },
      updated_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') },
    });
    await queryInterface.addIndex('bench_widgets', ['name'], { name: 'bench_widgets_name_idx' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('bench_widgets');
  },
};
`;

function check(result: MigrateAllResult, expected: string[], tenants: number): void {
  if (result.failed.length > 0) {
    const first = result.failed[0];
    throw new Error(
      `${result.failed.length} schemas failed to migrate, e.g. ${first?.schema}: ${first?.error}`,
    );
  }
  if (result.tenants.length !== tenants)
    throw new Error(`migrateAll visited ${result.tenants.length} schemas, expected ${tenants}`);
  const wrong = result.tenants.find((t) => t.applied.join(',') !== expected.join(','));
  if (wrong) throw new Error(`${wrong.schema} applied [${wrong.applied.join(', ')}]`);
}

export async function migrateBench(opts: { tenants?: number } = {}): Promise<MigrateResult> {
  const wanted = opts.tenants ?? 200;
  const tenants = (await ensureTenants(wanted)).length;
  section(`migrate: migrateAll() over ${tenants} tenant schemas`);
  line('concurrency (MIGRATE_CONCURRENCY)', String(config.MIGRATE_CONCURRENCY));
  line('database pool size (DB_POOL_MAX)', String(config.DB_POOL_MAX));

  const noopRunsMs: number[] = [];
  for (let i = 0; i < NOOP_RUNS; i++) {
    const run = await timed(() => migrateAll());
    check(run.value, [], tenants);
    noopRunsMs.push(run.ms);
  }
  const noopMedianMs = median(noopRunsMs);
  line(`nothing to do, ${NOOP_RUNS} runs`, noopRunsMs.map((v) => ms(v)).join(', '));
  line('nothing to do, median', ms(noopMedianMs));

  const dir = await mkdtemp(path.join(os.tmpdir(), 'steward-bench-migrations-'));
  let oneMigrationMs: number;
  let noopAfterMs: number;
  try {
    await writeFile(path.join(dir, `${MIGRATION_NAME}.cjs`), MIGRATION_SOURCE);
    const tenantDirs = [MIGRATION_DIRS.tenant, dir];
    const run = await timed(() => migrateAll({ tenantDirs }));
    check(run.value, [MIGRATION_NAME], tenants);
    oneMigrationMs = run.ms;
    line(
      'one new migration (table + index)',
      `${ms(oneMigrationMs)} (${ms(oneMigrationMs / tenants)} a schema)`,
    );
    const after = await timed(() => migrateAll({ tenantDirs }));
    check(after.value, [], tenants);
    noopAfterMs = after.ms;
    line('nothing to do again, after it', ms(noopAfterMs));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  note('the new migration stays applied; the whole bench database is dropped at the end');

  const targets = [
    target(
      'migrate, nothing to do (median)',
      `<= ${NOOP_TARGET_MS} ms`,
      ms(noopMedianMs),
      noopMedianMs <= NOOP_TARGET_MS,
    ),
    target(
      'migrate, one new migration',
      `<= ${ONE_MIGRATION_TARGET_MS} ms`,
      ms(oneMigrationMs),
      oneMigrationMs <= ONE_MIGRATION_TARGET_MS,
    ),
  ];
  return {
    tenants,
    concurrency: config.MIGRATE_CONCURRENCY,
    poolMax: config.DB_POOL_MAX,
    noopRunsMs,
    noopMedianMs,
    oneMigrationMs,
    noopAfterMs,
    targets,
  };
}
