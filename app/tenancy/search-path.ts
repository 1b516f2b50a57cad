import { ConnectionError, type Sequelize } from 'sequelize';
import { currentTenant } from './context.ts';
import { assertSchemaName, quoteIdent } from './schema-name.ts';

/** The extension schema is on every path so extension types and functions resolve. */
export const EXTENSIONS_SCHEMA = 'extensions';
export const PUBLIC_PATH = `public, ${EXTENSIONS_SCHEMA}`;

/** The search_path a connection must have for the current context. */
export function searchPathFor(schema: string | null): string {
  return schema ? `${quoteIdent(assertSchemaName(schema))}, ${EXTENSIONS_SCHEMA}` : PUBLIC_PATH;
}

interface PgConnection {
  query(sql: string): Promise<unknown>;
}

/** The path each live connection currently has; skipping the SET when it already matches. */
const pathOf = new WeakMap<object, string>();

/**
 * The one place the schema is switched: every connection handed out by the pool (including a
 * transaction's) gets the current tenant's search_path before it runs anything.
 */
export function installSearchPathHook(sequelize: Sequelize): void {
  sequelize.addHook('afterPoolAcquire', 'tenantSearchPath', async (connection: unknown) => {
    const conn = connection as PgConnection;
    const wanted = searchPathFor(currentTenant()?.schema ?? null);
    if (pathOf.get(conn) === wanted) return;
    try {
      await conn.query(`SET search_path TO ${wanted}`);
      pathOf.set(conn, wanted);
    } catch (err) {
      pathOf.delete(conn);
      // A connection whose path is unknown must not go back into circulation unreleased.
      sequelize.connectionManager.releaseConnection(connection as never);
      // A plain SET fails only when the connection itself is gone (the server restarted or ended it).
      throw new ConnectionError(err as Error);
    }
  });
}
