import type { Request } from 'express';
import { config } from '../../config/index.ts';
import { Tenant } from '../models/tenant.ts';

/** An absolute URL on the host the request came to (links in e-mails). */
export function tenantUrlFor(req: Request, pathname: string): string {
  return `${req.protocol}://${req.get('host') ?? config.BASE_DOMAIN}${pathname}`;
}

/** An absolute URL on a tenant's primary host, from the platform (sign-up hand-off, admin links). */
export function hostUrl(host: string, pathname = '/'): string {
  const port = config.publicPort === 80 || config.publicPort === 443 ? '' : `:${config.publicPort}`;
  return `${config.PUBLIC_SCHEME}://${host}${port}${pathname}`;
}

/** Each tenant's own host (its primary domain, else `<slug>.BASE_DOMAIN`), by tenant id: one query. */
export async function tenantHosts(tenants: Tenant[]): Promise<Map<string, string>> {
  const primary = await Tenant.primaryDomains(tenants);
  return new Map(
    tenants.map((t) => [String(t.id), primary.get(String(t.id)) ?? `${t.slug}.${config.BASE_DOMAIN}`]),
  );
}
