import { Sequelize } from 'sequelize';
import { log } from '../logger.ts';
import { initModels } from '../models/index.ts';
import { watchTenantChanges } from '../tenancy/resolver.ts';
import { installSearchPathHook } from '../tenancy/search-path.ts';
import { useTransactionContext } from './transaction-context.ts';

let instance: Sequelize | null = null;
let url: string | null = null;

export interface DatabaseOptions {
  url: string;
  poolMax: number;
  logSql?: boolean;
}

/** Creates the one Sequelize instance of the process, with the tenant hook and the models. */
export function connectDatabase(opts: DatabaseOptions): Sequelize {
  if (instance) throw new Error('The database is already connected');
  useTransactionContext();
  const sequelize = new Sequelize(opts.url, {
    dialect: 'postgres',
    logging: opts.logSql ? (sql: string) => log().debug({ sql }, 'sql') : false,
    pool: { max: opts.poolMax, min: 0, idle: 10_000, acquire: 30_000, evict: 5_000, maxUses: 5_000 },
    define: { underscored: true },
  });
  installSearchPathHook(sequelize);
  initModels(sequelize);
  watchTenantChanges();
  instance = sequelize;
  url = opts.url;
  return sequelize;
}

export function db(): Sequelize {
  if (!instance) throw new Error('The database is not connected yet');
  return instance;
}

/** The URL the database was connected with (for the few clients that keep their own pool). */
export function databaseUrl(): string {
  if (!url) throw new Error('The database is not connected yet');
  return url;
}

export async function closeDatabase(): Promise<void> {
  const s = instance;
  instance = null;
  if (s) await s.close();
}
