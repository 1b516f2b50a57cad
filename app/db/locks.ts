import { db } from './database.ts';
import { inTransaction } from './transaction-context.ts';

interface PgClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Runs `fn` while holding a PostgreSQL session advisory lock named `key`, on a connection kept
 * aside for the lock (session locks belong to one connection). With `wait: false`, returns
 * `{ acquired: false }` at once when another process holds it.
 */
export async function withAdvisoryLock<T>(
  key: string,
  fn: () => Promise<T>,
  opts: { wait?: boolean } = {},
): Promise<{ acquired: true; value: T } | { acquired: false }> {
  const cm = db().connectionManager;
  const conn = (await cm.getConnection({ type: 'write' })) as unknown as PgClient;
  try {
    if (opts.wait === false) {
      const r = await conn.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
      if (!r.rows[0]?.ok) return { acquired: false };
    } else {
      await conn.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
    }
    try {
      return { acquired: true, value: await fn() };
    } finally {
      await conn.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    }
  } finally {
    cm.releaseConnection(conn as never);
  }
}

/**
 * Takes a PostgreSQL advisory lock named `key` for the rest of the current transaction (call it
 * inside `sequelize.transaction(async () => ...)`): the next caller waits until this one commits.
 */
export async function lockForTransaction(key: string): Promise<void> {
  await db().query('SELECT pg_advisory_xact_lock(hashtext($1))', { bind: [key] });
}

/**
 * Runs `work` holding the lock `key` until the unit of work commits: in the transaction the caller
 * is already in, or in a new one. The lock is kept on that transaction's connection, so waiting for
 * it never needs a second connection.
 */
export function withTransactionLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  return inTransaction(db(), async () => {
    await lockForTransaction(key);
    return work();
  });
}
