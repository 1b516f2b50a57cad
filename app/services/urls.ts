import type { Request } from 'express';
import { config } from '../../config/index.ts';

/** An absolute URL on the host the request came to (links in e-mails). */
export function tenantUrlFor(req: Request, pathname: string): string {
  return `${req.protocol}://${req.get('host') ?? config.BASE_DOMAIN}${pathname}`;
}

/** An absolute URL on a tenant's primary host, from the platform (sign-up hand-off, admin links). */
export function hostUrl(host: string, pathname = '/'): string {
  const port = config.publicPort === 80 || config.publicPort === 443 ? '' : `:${config.publicPort}`;
  return `${config.PUBLIC_SCHEME}://${host}${port}${pathname}`;
}
