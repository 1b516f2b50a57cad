import { ConnectionError, DatabaseError, Sequelize } from 'sequelize';
import { log } from '../logger.ts';
import { initModels } from '../models/index.ts';
import { watchTenantChanges } from '../tenancy/resolver.ts';
import { installSearchPathHook } from '../tenancy/search-path.ts';
import { useTransactionContext } from './transaction-context.ts';

/** Every connection of the app is named so operators (and tests) can tell them apart. */
export const APPLICATION_NAME = 'steward';
/**
 * How long opening a connection may take. A database that does not answer makes requests fail
 * with a 503 after this, rather than each waiting out the pool's acquire timeout.
 */
export const CONNECT_TIMEOUT_MS = 2_000;

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
    dialectOptions: { application_name: APPLICATION_NAME, connectionTimeoutMillis: CONNECT_TIMEOUT_MS },
    define: { underscored: true },
  });
  installSearchPathHook(sequelize);
  initModels(sequelize);
  watchTenantChanges();
  instance = sequelize;
  url = opts.url;
  return sequelize;
}

/** SQLSTATE classes of a lost or refused connection: 08 (connection), 57P01-03 (shut down, restarting). */
const CONNECTION_LOST_CODE = /^(08|57P0[123])/;
/** pg's own messages when the socket under a query went away. */
const CONNECTION_LOST_MESSAGE =
  /Connection terminated|not queryable|timeout exceeded when trying to connect/i;

/**
 * True when the error says the database cannot be reached (refused, timed out, restarting, the
 * connection cut under a query): a passing outage, answered with a 503, not a fault in the request.
 */
export function isDatabaseOutage(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  const cause = (err instanceof DatabaseError ? err.parent : err) as {
    code?: unknown;
    message?: unknown;
  } | null;
  if (typeof cause?.code === 'string' && CONNECTION_LOST_CODE.test(cause.code)) return true;
  return (
    err instanceof DatabaseError &&
    typeof cause?.message === 'string' &&
    CONNECTION_LOST_MESSAGE.test(cause.message)
  );
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
