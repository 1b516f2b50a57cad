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

/** The transaction the calling code runs in (through `sequelize.transaction(async () => ...)`), if any. */
export function currentTransaction(): Transaction | undefined {
  return namespace.get('transaction') as Transaction | undefined;
}
