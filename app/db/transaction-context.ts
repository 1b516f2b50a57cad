import { AsyncLocalStorage } from 'node:async_hooks';
import { Sequelize, type Transaction } from 'sequelize';

/**
 * Sequelize's "CLS" hook, backed by AsyncLocalStorage: inside `sequelize.transaction(async () => ...)`
 * every query joins the transaction without passing `{ transaction }` by hand (migrations rely on it).
 */
const storage = new AsyncLocalStorage<Map<string, unknown>>();

const namespace = {
  run<T>(fn: (ctx: Map<string, unknown>) => T): T {
    const ctx = new Map(storage.getStore() ?? []);
    return storage.run(ctx, () => fn(ctx));
  },
  get(key: string): unknown {
    return storage.getStore()?.get(key);
  },
  set(key: string, value: unknown): void {
    storage.getStore()?.set(key, value);
  },
  bind<F>(fn: F): F {
    return fn;
  },
};

let installed = false;

export function useTransactionContext(): void {
  if (installed) return;
  Sequelize.useCLS(namespace as never);
  installed = true;
}

/**
 * The transaction the calling code runs in (through `sequelize.transaction(async () => ...)`), if any.
 * One already committed or rolled back (code running in its `afterCommit`) is none.
 */
export function currentTransaction(): Transaction | undefined {
  const transaction = namespace.get('transaction') as (Transaction & { finished?: string }) | undefined;
  return transaction && !transaction.finished ? transaction : undefined;
}

/**
 * Runs `work` as part of the unit of work it is called from: in the transaction the calling code is
 * already in, or in a new one when there is none. Never a second transaction beside the first: that
 * holds one pooled connection while it waits for another, and a burst of such requests leaves every
 * connection waiting for one that never comes free. A failure inside rolls back the whole unit.
 */
export function inTransaction<T>(sequelize: Sequelize, work: (t: Transaction) => Promise<T>): Promise<T> {
  const current = currentTransaction();
  return current ? work(current) : sequelize.transaction(work);
}
