import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type QueryInterface, QueryTypes, Sequelize } from 'sequelize';
import { Umzug, type UmzugStorage } from 'umzug';
import { config } from '../../config/index.ts';
import { Forbidden } from '../errors.ts';
import { withoutTenant } from '../tenancy/context.ts';
import { db } from './database.ts';
import { withAdvisoryLock } from './locks.ts';

const require = createRequire(import.meta.url);

/** Where the seeders that ran are recorded (public; no tenant schema has a table of that name). */
export const SEEDER_TABLE = 'seeder_meta';
export const SEEDERS_DIR = path.join(config.root, 'seeders');

/** What the runner hands a seeder beside sequelize-cli's two arguments. */
export interface SeederApp {
  /**
   * Imports a module of the running app by its path from the project root without extension
   * (`app/services/demo`): the TypeScript under tsx, the compiled file from dist/, so the seeder
   * shares the app's connections instead of loading a second copy.
   */
  import(modulePath: string): Promise<unknown>;
  /** The demo's size: 1 (the default) is the full demo; tests pass a fraction. */
  demoScale: number;
}

/**
 * A seeder in sequelize-cli's format (`module.exports = { up(queryInterface, Sequelize), down }`).
 * `demo: true` marks demo data, which never runs in production.
 */
interface SeederModule {
  demo?: boolean;
  up(qi: QueryInterface, S: typeof Sequelize, app: SeederApp): Promise<unknown>;
  down?(qi: QueryInterface, S: typeof Sequelize, app: SeederApp): Promise<unknown>;
}

interface SeederFile {
  name: string;
  module: SeederModule;
}

function loadSeeders(dir: string): SeederFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d{14}-[a-z0-9-]+\.cjs$/.test(f))
    .sort()
    .map((f) => ({ name: f.replace(/\.cjs$/, ''), module: require(path.join(dir, f)) as SeederModule }));
}

// This file's own extension tells whether the app runs from source (tsx) or from dist/. Under tsx
// the app runs as ES modules (`tsx server.ts`) or compiled to CommonJS (mocha's require hook): load
// through the same system, or the seeder would get a second, unconnected copy of the models.
const APP_EXT = path.extname(new URL(import.meta.url).pathname);
const LOADED_AS_COMMONJS = typeof module !== 'undefined';
function appImport(modulePath: string): Promise<unknown> {
  const url = new URL(`../../${modulePath}${APP_EXT}`, import.meta.url);
  return LOADED_AS_COMMONJS ? Promise.resolve(require(fileURLToPath(url))) : import(url.href);
}

/** The record table, created on first use like the migrations' ones. */
class SeederStorage implements UmzugStorage {
  async executed(): Promise<string[]> {
    await db().query(
      `CREATE TABLE IF NOT EXISTS public.${SEEDER_TABLE} (name varchar(255) PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const rows = await db().query<{ name: string }>(`SELECT name FROM public.${SEEDER_TABLE} ORDER BY name`, {
      type: QueryTypes.SELECT,
    });
    return rows.map((r) => r.name);
  }

  async logMigration({ name }: { name: string }): Promise<void> {
    await db().query(`INSERT INTO public.${SEEDER_TABLE} (name) VALUES ($1) ON CONFLICT DO NOTHING`, {
      bind: [name],
    });
  }

  async unlogMigration({ name }: { name: string }): Promise<void> {
    await db().query(`DELETE FROM public.${SEEDER_TABLE} WHERE name = $1`, { bind: [name] });
  }
}

export interface SeedOptions {
  /** Run the demo seeders too; refused in production. Defaults to true outside production. */
  demo?: boolean;
  demoScale?: number;
  dir?: string;
}

export interface SeedRun {
  /** The seeders that ran now, in order; one recorded before is never run again. */
  applied: string[];
  /** Whether a demo seeder was among them. */
  demo: boolean;
}

/**
 * Runs the seeders not yet recorded, in name order, under one advisory lock (processes starting
 * together queue; the next finds nothing to do). A seeder's work and its record are not one
 * transaction (the demo provisions tenants, each in its own), so every seeder must be safe to run
 * again after a crash between the two: insert what is missing, leave what is there.
 */
export async function runSeeders(opts: SeedOptions = {}): Promise<SeedRun> {
  const demo = opts.demo ?? config.NODE_ENV !== 'production';
  if (demo && config.NODE_ENV === 'production')
    throw new Forbidden('Demo data is never created in production (NODE_ENV=production).');
  const files = loadSeeders(opts.dir ?? SEEDERS_DIR).filter((f) => demo || !f.module.demo);
  const qi = db().getQueryInterface();
  const app: SeederApp = { import: appImport, demoScale: opts.demoScale ?? 1 };
  const umzug = new Umzug<QueryInterface>({
    context: qi,
    storage: new SeederStorage(),
    logger: undefined,
    migrations: files.map((f) => ({
      name: f.name,
      up: () => f.module.up(qi, Sequelize, app),
      down: async () => {
        if (!f.module.down) throw new Error(`Seeder ${f.name} cannot be undone`);
        await f.module.down(qi, Sequelize, app);
      },
    })),
  });
  const run = await withoutTenant(() => withAdvisoryLock('steward:seed', () => umzug.up()));
  const applied = run.acquired ? run.value.map((m) => m.name) : [];
  const demoNames = new Set(files.filter((f) => f.module.demo).map((f) => f.name));
  return { applied, demo: applied.some((n) => demoNames.has(n)) };
}
