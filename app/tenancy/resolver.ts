import type { NextFunction, Request, Response } from 'express';
import { Op } from 'sequelize';
import { config } from '../../config/index.ts';
import { BadRequest, TenantSuspended, UnknownHost } from '../errors.ts';
import { Domain } from '../models/domain.ts';
import { Tenant } from '../models/tenant.ts';
import { announceChange, type Change, onChange, type Transactional } from './changes.ts';
import { currentContext, enterTenantForRequest, type TenantRef } from './context.ts';

/**
 * Host → tenant, through `public.domains` (then `<slug>.BASE_DOMAIN` by slug). Answers are cached
 * in-process for TENANT_CACHE_TTL_MS. A write to a tenant or domain through the models is announced
 * (`changes.ts`): this process drops what it affects at once, and every other process when the
 * write commits, through its change feed. The TTL only bounds staleness while a feed is down.
 */
interface CacheEntry {
  tenant: TenantRef | null;
  at: number;
}

const MAX_ENTRIES = 10_000;
const NEGATIVE_TTL_MS = 2_000;
const cache = new Map<string, CacheEntry>();

function invalidateTenantCache(): void {
  cache.clear();
}

/** Drops what a change to one tenant can affect: its hosts, and the hosts we knew nothing of. */
function forgetTenant(tenantId: string): void {
  for (const [host, entry] of cache) {
    if (entry.tenant === null || entry.tenant.id === tenantId) cache.delete(host);
  }
}

function dropOnChange(change: Change | null): void {
  if (change === null || change.kind === 'all-tenants') invalidateTenantCache();
  else if (change.kind === 'tenant') forgetTenant(change.id);
}

/**
 * Called once the models are initialised: writes to tenants or domains are announced, and the host
 * cache drops what they affect. (Registered here, not when the module loads: this module is reached
 * through an import cycle, database → resolver → changes → database, before changes.ts has run.)
 */
export function watchTenantChanges(): void {
  onChange(dropOnChange);
  for (const hook of ['afterSave', 'afterDestroy'] as const) {
    Tenant.addHook(hook, 'tenantCache', (tenant: Tenant, options: Transactional) =>
      announceChange({ kind: 'tenant', id: String(tenant.id), schema: tenant.schemaName }, options),
    );
    // A domain may have moved between tenants or hosts: every host answer is dropped.
    Domain.addHook(hook, 'tenantCache', (_domain: Domain, options: Transactional) =>
      announceChange({ kind: 'all-tenants' }, options),
    );
  }
  const bulk = (options: Transactional) => announceChange({ kind: 'all-tenants' }, options);
  const bulkCreate = (_rows: unknown, options: Transactional) => bulk(options);
  Tenant.addHook('afterBulkUpdate', 'tenantCache', bulk);
  Tenant.addHook('afterBulkDestroy', 'tenantCache', bulk);
  Tenant.addHook('afterBulkCreate', 'tenantCache', bulkCreate);
  Domain.addHook('afterBulkUpdate', 'tenantCache', bulk);
  Domain.addHook('afterBulkDestroy', 'tenantCache', bulk);
  Domain.addHook('afterBulkCreate', 'tenantCache', bulkCreate);
}

const HOST_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The host name of a Host header, lowercased and without port; null when malformed. */
export function parseHost(raw: string | undefined): string | null {
  if (!raw) return null;
  let host = raw.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return null;
    const rest = host.slice(end + 1);
    if (rest && !/^:\d{1,5}$/.test(rest)) return null;
    return host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return null;
    host = host.slice(0, colon);
  }
  host = host.replace(/\.$/, '');
  if (host.length > 253 || !HOST_RE.test(host)) return null;
  return host;
}

async function lookup(host: string): Promise<TenantRef | null> {
  const domain = await Domain.findOne({
    where: { domain: host },
    include: [{ model: Tenant, as: 'tenant' }],
  });
  const viaDomain = (domain as (Domain & { tenant?: Tenant }) | null)?.tenant;
  if (viaDomain) return viaDomain.toRef();
  const suffix = `.${config.BASE_DOMAIN}`;
  if (host.endsWith(suffix)) {
    const label = host.slice(0, -suffix.length);
    if (label && !label.includes('.')) {
      const bySlug = await Tenant.findOne({ where: { slug: { [Op.eq]: label } } });
      if (bySlug) return bySlug.toRef();
    }
  }
  return null;
}

/** The tenant that serves `host` (null for none), from the cache when fresh. */
export async function tenantForHost(host: string): Promise<TenantRef | null> {
  const hit = cache.get(host);
  // "No tenant" is kept only briefly: another process may have just created the tenant.
  const ttl = hit?.tenant
    ? config.TENANT_CACHE_TTL_MS
    : Math.min(config.TENANT_CACHE_TTL_MS, NEGATIVE_TTL_MS);
  if (hit && Date.now() - hit.at < ttl) return hit.tenant;
  const tenant = await lookup(host);
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(host, { tenant, at: Date.now() });
  return tenant;
}

export function isPlatformHost(host: string): boolean {
  return host === config.BASE_DOMAIN;
}

declare global {
  namespace Express {
    interface Request {
      tenant: TenantRef | null;
    }
  }
}

/**
 * The first middleware after the request context: the root domain serves the platform, a known
 * host serves its tenant, anything else gets a 404 page; a suspended tenant gets a page saying so.
 */
export async function resolveTenant(req: Request, res: Response, next: NextFunction): Promise<void> {
  // req.host is the Host header, or X-Forwarded-Host when `trust proxy` is set.
  const host = parseHost(req.host);
  if (!host) throw new BadRequest('The request has no valid Host header.');
  res.locals.host = host;
  if (isPlatformHost(host)) {
    req.tenant = null;
    res.locals.tenant = null;
    return next();
  }
  const tenant = await tenantForHost(host);
  if (!tenant) throw new UnknownHost(host);
  req.tenant = tenant;
  res.locals.tenant = tenant;
  enterTenantForRequest(tenant, currentContext()?.log?.child({ tenant: tenant.slug }));
  if (tenant.status === 'suspended') throw new TenantSuspended(tenant.name);
  next();
}
