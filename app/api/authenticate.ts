/**
 * Bearer authentication of the API. Cookies are never read here (the API is mounted before the
 * session middleware), so a foreign page cannot drive it and it needs no CSRF token; and pages
 * never read bearer tokens, so a token never opens a page.
 *
 * On a tenant host a token is an access token (a JWT) or a personal access token of that tenant;
 * on the root domain, a platform admin's personal access token. Every refusal is the same 401 to
 * the client and one log line with the reason (a token of another tenant says which one it claims).
 */
import type { Request } from 'express';
import { Unauthorized } from '../errors.ts';
import { log } from '../logger.ts';
import type { PlatformAdmin } from '../models/platform-admin.ts';
import type { User } from '../models/user.ts';
import {
  adminForToken,
  claimedTenant,
  type TokenPrincipal,
  TokenRefused,
  userForToken,
} from '../services/api-tokens.ts';
import { setActor } from '../tenancy/context.ts';
import type { ApiAuth } from './kit.ts';

export interface Who {
  user: User | null;
  admin: PlatformAdmin | null;
  token: TokenPrincipal | null;
}

const NOBODY: Who = { user: null, admin: null, token: null };

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(req: Request): string | null {
  const header = req.get('authorization');
  if (!header) return null;
  const match = /^Bearer[ ]+([\x21-\x7e]{1,4096})$/i.exec(header.trim());
  return match ? match[1] : '';
}

function refused(req: Request, reason: string, token: string): Unauthorized {
  const claimed = token.startsWith('ey') ? claimedTenant(token) : null;
  log().warn(
    { reason, claimedTenant: claimed ?? undefined, path: req.path, ip: req.ip },
    'API token refused',
  );
  return new Unauthorized('The bearer token is not valid here. Get a new one from POST /api/v1/token.');
}

/** Authenticates the request for a route of auth `auth`; throws Unauthorized (401) when it cannot. */
export async function authenticate(req: Request, auth: ApiAuth): Promise<Who> {
  if (auth === 'none') return NOBODY;
  const token = bearerToken(req);
  if (!token)
    throw new Unauthorized(
      token === ''
        ? 'The Authorization header must be "Bearer <token>".'
        : 'This endpoint needs a bearer token: send Authorization: Bearer <token>.',
    );
  try {
    if (auth === 'user') {
      if (!req.tenant) throw new TokenRefused('wrong-audience');
      const { user, principal } = await userForToken(token, req.tenant, req.host.toLowerCase());
      (req as Request & { apiPrincipal?: string }).apiPrincipal = `${principal.kind}:${principal.id}`;
      req.user = user;
      setActor({ id: user.id, name: user.name }, req.ip);
      return { user, admin: null, token: principal };
    }
    if (req.tenant) throw new TokenRefused('wrong-audience');
    const { admin, principal } = await adminForToken(token);
    (req as Request & { apiPrincipal?: string }).apiPrincipal = `admin:${principal.id}`;
    req.user = admin;
    setActor({ id: null, name: `platform admin ${admin.email}` }, req.ip);
    return { user: null, admin, token: principal };
  } catch (err) {
    if (err instanceof TokenRefused) throw refused(req, err.reason, token);
    throw err;
  }
}
