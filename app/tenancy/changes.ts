import type { Transaction } from 'sequelize';
import { db } from '../db/database.ts';
import { currentTransaction } from '../db/transaction-context.ts';

/**
 * Changes that every process's caches must hear of: a tenant or domain written (host → tenant
 * answers), a tenant's texts written (its settings). The process that writes applies the change to
 * its own caches at once and again after commit, and announces it with `NOTIFY` inside the same
 * transaction, so the other long-running processes (web instances, the clock) hear of it exactly when
 * it commits, through their change feed (`change-feed.ts`). A rolled-back write announces nothing.
 *
 * The announcement is sent by the app, not by triggers: tenant schemas stay free of triggers (see
 * docs/architecture.md, Citus readiness), and raw SQL that writes tenants calls `announceChange`.
 */
export type Change =
  | { kind: 'tenant'; id: string; schema: string | null }
  | { kind: 'all-tenants' }
  | { kind: 'settings'; schema: string };

/** Told of each change; `null` means "anything may have changed" (a feed that was not listening). */
export type ChangeHandler = (change: Change | null) => void;

export const CHANGES_CHANNEL = 'steward_changes';

const handlers = new Set<ChangeHandler>();

/** Registers what a cache drops on a change. */
export function onChange(handler: ChangeHandler): void {
  handlers.add(handler);
}

/** Tells this process's caches of a change (or, with null, that anything may have changed). */
export function applyChange(change: Change | null): void {
  for (const handler of handlers) handler(change);
}

export function encodeChange(change: Change): string {
  switch (change.kind) {
    case 'tenant':
      return `tenant:${change.id}:${change.schema ?? ''}`;
    case 'settings':
      return `settings:${change.schema}`;
    case 'all-tenants':
      return 'tenants';
  }
}

/** The change a notification carries; null for a payload this version does not know. */
export function decodeChange(payload: string): Change | null {
  const [kind, first = '', second = ''] = payload.split(':');
  if (kind === 'tenants') return { kind: 'all-tenants' };
  if (kind === 'tenant' && /^\d+$/.test(first)) return { kind: 'tenant', id: first, schema: second || null };
  if (kind === 'settings' && first) return { kind: 'settings', schema: first };
  return null;
}

export interface Transactional {
  transaction?: Transaction | null;
}

/**
 * Applies `change` here now (and again after commit when inside a transaction: a read between
 * the write and the commit may have cached the old rows), and announces it to the other processes
 * in the same transaction: the given one, else the one the calling code runs in (the transaction
 * context), so a `NOTIFY` is never sent apart from the write it announces.
 */
export async function announceChange(change: Change, options?: Transactional): Promise<void> {
  const transaction = options?.transaction ?? currentTransaction();
  applyChange(change);
  transaction?.afterCommit(() => applyChange(change));
  await db().query('SELECT pg_notify($1, $2)', {
    bind: [CHANGES_CHANNEL, encodeChange(change)],
    ...(transaction ? { transaction } : {}),
  });
}
