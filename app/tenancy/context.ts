import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { assertSchemaName } from './schema-name.ts';

/** What the rest of a request or job needs to know about its tenant. */
export interface TenantRef {
  id: string;
  slug: string;
  schema: string;
  name: string;
  kind: 'church' | 'company';
  status: 'trial' | 'active' | 'past_due' | 'suspended';
}

/** Who is acting, for the audit log: a signed-in user, a platform admin, or a named process. */
export interface Actor {
  id: string | null;
  name: string;
}

export interface RequestContext {
  tenant: TenantRef | null;
  reqId?: string;
  log?: Logger;
  actor?: Actor | null;
  ip?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function currentTenant(): TenantRef | null {
  return storage.getStore()?.tenant ?? null;
}

export function requireTenant(): TenantRef {
  const tenant = currentTenant();
  if (!tenant) throw new Error('This code must run inside a tenant (withTenant)');
  return tenant;
}

/**
 * Runs `fn` with `tenant` as the current tenant. Requests, jobs, CLI commands, socket handlers and
 * tests all enter a tenant this way; nothing else sets it.
 */
export function withTenant<T>(tenant: TenantRef, fn: () => T): T {
  assertSchemaName(tenant.schema);
  const parent = storage.getStore();
  const log = parent?.log?.child({ tenant: tenant.slug });
  return storage.run({ ...parent, tenant, log }, fn);
}

/** Runs `fn` outside any tenant: queries see the public schema only. */
export function withoutTenant<T>(fn: () => T): T {
  const parent = storage.getStore();
  return storage.run({ ...parent, tenant: null }, fn);
}

/** Starts a fresh context (a request or a job run) with its own logger. */
export function runInContext<T>(ctx: RequestContext, fn: () => T): T {
  if (ctx.tenant) assertSchemaName(ctx.tenant.schema);
  return storage.run(ctx, fn);
}

/** Sets the tenant of the current request context; used once, by the host resolver. */
export function enterTenantForRequest(tenant: TenantRef | null, log?: Logger): void {
  const store = storage.getStore();
  if (!store) throw new Error('enterTenantForRequest needs a request context');
  if (tenant) assertSchemaName(tenant.schema);
  store.tenant = tenant;
  if (log) store.log = log;
}

export function currentActor(): Actor | null {
  return storage.getStore()?.actor ?? null;
}

/** Records who is acting for the rest of the request (set once the session is read). */
export function setActor(actor: Actor | null, ip?: string): void {
  const store = storage.getStore();
  if (!store) return;
  store.actor = actor;
  if (ip) store.ip = ip;
}
