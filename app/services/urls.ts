import type { Request } from 'express';
import { config } from '../../config/index.ts';
import { Domain } from '../models/domain.ts';

/**
 * Every absolute URL people are given (e-mails, printed pages, redirects to another host) is built
 * here: PUBLIC_SCHEME, a host Steward serves, and PUBLIC_PORT. Nothing comes from the request's
 * Host, X-Forwarded-* or protocol, so a forged header can never put another site in a link.
 */
export function hostUrl(host: string, pathname = '/'): string {
  const port = config.publicPort;
  const ownPort = config.PUBLIC_SCHEME === 'https' ? 443 : 80;
  const suffix = port === null || port === ownPort ? '' : `:${port}`;
  return `${config.PUBLIC_SCHEME}://${host}${suffix}${pathname}`;
}

/** An absolute URL on the platform's own host (BASE_DOMAIN): sign-up, the platform admin. */
export function platformUrl(pathname = '/'): string {
  return hostUrl(config.BASE_DOMAIN, pathname);
}

/**
 * An absolute URL on the host the request's tenant was resolved from (links in e-mails sent while
 * handling a request). That host is one the resolver found in `domains` (or the tenant's
 * `<slug>.BASE_DOMAIN`), never the raw header: behind a proxy the Host header may name anything.
 */
export function tenantUrlFor(req: Request, pathname: string): string {
  if (!req.tenant) return platformUrl(pathname);
  const resolved: unknown = req.res?.locals.host;
  // Outside the resolver (no resolved host), the slug host always reaches the tenant.
  const host = typeof resolved === 'string' ? resolved : `${req.tenant.slug}.${config.BASE_DOMAIN}`;
  return hostUrl(host, pathname);
}

/** Each tenant's own host (its primary domain, else `<slug>.BASE_DOMAIN`), by tenant id: one query. */
export async function tenantHosts(tenants: { id: string; slug: string }[]): Promise<Map<string, string>> {
  const rows = await Domain.findAll({ where: { tenantId: tenants.map((t) => t.id), isPrimary: true } });
  const primary = new Map(rows.map((d) => [String(d.tenantId), d.domain]));
  return new Map(
    tenants.map((t) => [String(t.id), primary.get(String(t.id)) ?? `${t.slug}.${config.BASE_DOMAIN}`]),
  );
}
