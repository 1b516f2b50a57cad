/**
 * The JSON API's credentials. Three kinds, all bound to the tenant (or the platform) they were made on:
 *
 * - **Access tokens**: JWTs signed with HS256 (`jose`), valid 15 minutes. Claims: `iss` steward,
 *   `aud` the host they were issued on, `sub` the user, `tid`/`ten` the tenant's id and slug, `ver`
 *   the user's credentials version and `fam` the sign-in (refresh family) they belong to. Every
 *   request loads the user again (active, current version, roles) and checks the family is not
 *   revoked, so deactivation, a role change or a revocation holds from the next request.
 * - **Refresh tokens**: opaque, used once. Each use gives a new one in the same family; presenting
 *   one already used revokes the whole family (only a copy would be presented twice).
 * - **Personal access tokens**: opaque, long-lived, read-only or read-write, made on the profile page
 *   (tenants) or /admin/tokens (platform admins).
 *
 * Opaque tokens are stored as SHA-256 digests only, in the tenant's schema (`public` for admins).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { QueryTypes, type Sequelize } from 'sequelize';
import { inTransaction } from '../db/transaction-context.ts';
import { log } from '../logger.ts';
import { sessionSecret } from '../middleware/session.ts';
import { PlatformAdmin } from '../models/platform-admin.ts';
import type { Role } from '../models/role.ts';
import { User } from '../models/user.ts';
import { requireTenant, type TenantRef } from '../tenancy/context.ts';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_FAMILY_DAYS = 30;
const ISSUER = 'steward';
const TOKEN_TYPE = 'at+jwt';

export type TokenScope = 'read' | 'read-write';
export const TOKEN_SCOPES: readonly TokenScope[] = ['read', 'read-write'];

/** Why a token was refused; only logged, the client always sees the same 401. */
export type RefusalReason =
  | 'malformed'
  | 'expired'
  | 'bad-signature'
  | 'other-tenant'
  | 'wrong-audience'
  | 'revoked'
  | 'unknown'
  | 'account-inactive'
  | 'reused';

export class TokenRefused extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason) {
    super(`token refused: ${reason}`);
    this.name = 'TokenRefused';
    this.reason = reason;
  }
}

/** Who a request's bearer token authenticates. */
export interface TokenPrincipal {
  kind: 'access' | 'personal';
  /** The refresh family (access tokens) or the personal token's id. */
  id: string;
  scope: TokenScope;
}

function db(): Sequelize {
  const sequelize = User.sequelize;
  if (!sequelize) throw new Error('User is not initialised (initModels)');
  return sequelize;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function opaque(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export const REFRESH_PREFIX = 'stw_rt_';
export const PERSONAL_PREFIX = 'stw_pat_';
export const ADMIN_PERSONAL_PREFIX = 'stw_adm_';

let signingKey: Promise<CryptoKey> | null = null;
/**
 * The access tokens' HMAC key, derived from the session secret (so one secret is configured), and
 * imported once: verifying with raw bytes would import them again on every request.
 */
function key(): Promise<CryptoKey> {
  signingKey ??= crypto.subtle.importKey(
    'raw',
    createHmac('sha256', sessionSecret()).update('steward api access tokens v1').digest(),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  return signingKey;
}

export interface AccessClaims {
  sub: string;
  tid: string;
  ten: string;
  ver: number;
  fam: string;
  aud: string;
}

export async function signAccessToken(claims: AccessClaims, seconds = ACCESS_TOKEN_SECONDS): Promise<string> {
  const { aud, sub, ...rest } = claims;
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: 'HS256', typ: TOKEN_TYPE })
    .setIssuer(ISSUER)
    .setAudience(aud)
    .setSubject(sub)
    .setIssuedAt()
    .setJti(randomBytes(12).toString('base64url'))
    .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
    .sign(await key());
}

/**
 * Tokens whose signature, issuer, type and claims were checked, with their expiry: a client sends
 * the same access token with each request of its 15 minutes, and the signature check is the
 * costliest part of a small request. Only what the token says is kept; whether its user and sign-in
 * still hold is read from the database on every request, and the tenant and audience are checked
 * on every request too. Bounded: the oldest entries go first.
 */
const verified = new Map<string, { payload: Record<string, unknown>; exp: number }>();
const VERIFIED_MAX = 10_000;

async function verifiedPayload(token: string): Promise<Record<string, unknown>> {
  const hit = verified.get(token);
  if (hit) {
    if (hit.exp * 1000 > Date.now()) return hit.payload;
    verified.delete(token);
    throw new TokenRefused('expired');
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, await key(), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      typ: TOKEN_TYPE,
      requiredClaims: ['sub', 'exp', 'aud'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new TokenRefused('expired');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw new TokenRefused('bad-signature');
    throw new TokenRefused('malformed');
  }
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
  verified.set(token, { payload, exp: Number(payload.exp) });
  return payload;
}

/**
 * The claims of an access token presented on `host` of `tenant`, or TokenRefused. Only HS256 is
 * accepted (so `alg: none` and any other algorithm fail), the signature, issuer, type, expiry and
 * audience are checked, and the tenant claims must name this tenant.
 */
export async function verifyAccessToken(
  token: string,
  tenant: TenantRef,
  host: string,
): Promise<AccessClaims> {
  const claims = (await verifiedPayload(token)) as Partial<AccessClaims> & { aud?: unknown };
  if (String(claims.tid) !== String(tenant.id) || claims.ten !== tenant.slug)
    throw new TokenRefused('other-tenant');
  if (claims.aud !== host) throw new TokenRefused('wrong-audience');
  if (
    typeof claims.sub !== 'string' ||
    typeof claims.fam !== 'string' ||
    typeof claims.ver !== 'number' ||
    !/^\d{1,18}$/.test(claims.sub) ||
    !/^\d{1,18}$/.test(claims.fam)
  )
    throw new TokenRefused('malformed');
  return claims as AccessClaims;
}

/** The tenant an access token says it belongs to, unverified: for the log line of a refusal only. */
export function claimedTenant(token: string): string | null {
  try {
    const claims = decodeJwt(token);
    return typeof claims.ten === 'string' ? claims.ten : null;
  } catch {
    return null;
  }
}

type UserRow = { id: string; email: string; name: string; roles: unknown[] } & Record<string, unknown>;

/**
 * A User from a row of the one-statement lookups. Its roles are kept as the plain values they came
 * as (id, name, permission level, description): only read, never saved, and building a model per
 * role on every request cost more than the lookup itself.
 */
function userFrom(row: UserRow): User {
  const { roles, ...fields } = row;
  const user = User.build(fields, { isNewRecord: false, raw: true });
  user.roles = roles as Role[];
  return user;
}

const USER_COLUMNS = `u.id::text AS id, u.email, u.name, u.active, u.department,
  u.last_login_at AS "lastLoginAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt",
  u.credentials_version AS "credentialsVersion",
  COALESCE(json_agg(json_build_object(
    'id', r.id::text, 'name', r.name, 'permissionLevel', r.permission_level,
    'description', r.description)) FILTER (WHERE r.id IS NOT NULL), '[]') AS roles`;

/**
 * The user an access token acts for, loaded now: active, signed in under the credentials version the
 * token names, and its sign-in (family) not revoked nor expired. One statement.
 */
export async function userForAccess(claims: AccessClaims): Promise<User> {
  const [row] = await db().query<UserRow>(
    `SELECT ${USER_COLUMNS}
       FROM users u
       JOIN api_token_families f ON f.id = $3 AND f.user_id = u.id AND f.revoked_at IS NULL AND f.expires_at > now()
       LEFT JOIN user_roles ur ON ur.user_id = u.id
       LEFT JOIN roles r ON r.id = ur.role_id
      WHERE u.id = $1 AND u.active AND u.credentials_version = $2
      GROUP BY u.id`,
    { bind: [claims.sub, claims.ver, claims.fam], type: QueryTypes.SELECT },
  );
  if (!row) throw new TokenRefused('revoked');
  return userFrom(row);
}

/**
 * The user a bearer token of `tenant`, presented on `host`, acts for: a personal access token of
 * the tenant, or an access token issued on that host. The API and the notifications socket both
 * authenticate here. TokenRefused otherwise (an admin token is for the root domain only).
 */
export async function userForToken(
  token: string,
  tenant: TenantRef,
  host: string,
): Promise<{ user: User; principal: TokenPrincipal }> {
  if (token.startsWith(PERSONAL_PREFIX)) return userForPersonalToken(token);
  if (token.startsWith(ADMIN_PERSONAL_PREFIX)) throw new TokenRefused('wrong-audience');
  const claims = await verifyAccessToken(token, tenant, host);
  const user = await userForAccess(claims);
  return { user, principal: { kind: 'access', id: claims.fam, scope: 'read-write' } };
}

export interface IssuedTokens {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
}

async function accessFor(user: User, family: string, host: string): Promise<string> {
  const tenant = requireTenant();
  return signAccessToken({
    sub: String(user.id),
    tid: String(tenant.id),
    ten: tenant.slug,
    ver: user.credentialsVersion ?? 1,
    fam: family,
    aud: host,
  });
}

/** A new sign-in for `user` on `host` of the current tenant: a family, its first refresh token and an access token. */
export async function issueTokens(user: User, host: string, userAgent?: string): Promise<IssuedTokens> {
  const refreshToken = opaque(REFRESH_PREFIX);
  const family = await inTransaction(db(), async () => {
    const [fam] = await db().query<{ id: string; expiresAt: Date }>(
      `INSERT INTO api_token_families (user_id, user_agent, created_at, last_used_at, expires_at)
       VALUES ($1, $2, now(), now(), now() + make_interval(days => $3))
       RETURNING id::text AS id, expires_at AS "expiresAt"`,
      { bind: [user.id, userAgent?.slice(0, 400) ?? null, REFRESH_FAMILY_DAYS], type: QueryTypes.SELECT },
    );
    await db().query(
      'INSERT INTO api_refresh_tokens (family_id, token_digest, created_at) VALUES ($1, $2, now())',
      { bind: [fam.id, tokenDigest(refreshToken)] },
    );
    return fam;
  });
  return {
    accessToken: await accessFor(user, family.id, host),
    tokenType: 'Bearer',
    expiresIn: ACCESS_TOKEN_SECONDS,
    refreshToken,
    refreshExpiresAt: new Date(family.expiresAt).toISOString(),
  };
}

async function revokeFamily(family: string, reason: string): Promise<void> {
  await db().query(
    'UPDATE api_token_families SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL',
    { bind: [family, reason] },
  );
}

/**
 * Exchanges a refresh token for a new pair. The token is marked used by one atomic UPDATE, so of two
 * concurrent uses one succeeds; a token already used revokes its family (and the winner's new pair).
 */
export async function rotateRefreshToken(token: string, host: string): Promise<IssuedTokens> {
  if (!token.startsWith(REFRESH_PREFIX) || token.length > 200) throw new TokenRefused('malformed');
  const digest = tokenDigest(token);
  const next = opaque(REFRESH_PREFIX);
  const outcome = await inTransaction(db(), async () => {
    const [used] = await db().query<{ familyId: string }>(
      `UPDATE api_refresh_tokens SET used_at = now()
        WHERE token_digest = $1 AND used_at IS NULL
        RETURNING family_id::text AS "familyId"`,
      { bind: [digest], type: QueryTypes.SELECT },
    );
    if (!used) {
      const [seen] = await db().query<{ familyId: string }>(
        'SELECT family_id::text AS "familyId" FROM api_refresh_tokens WHERE token_digest = $1',
        { bind: [digest], type: QueryTypes.SELECT },
      );
      if (!seen) return { refused: 'unknown' as const };
      await revokeFamily(seen.familyId, 'reuse');
      return { refused: 'reused' as const, family: seen.familyId };
    }
    const [row] = await db().query<UserRow & { expiresAt: Date }>(
      `SELECT ${USER_COLUMNS}, f.expires_at AS "expiresAt"
         FROM api_token_families f
         JOIN users u ON u.id = f.user_id AND u.active
         LEFT JOIN user_roles ur ON ur.user_id = u.id
         LEFT JOIN roles r ON r.id = ur.role_id
        WHERE f.id = $1 AND f.revoked_at IS NULL AND f.expires_at > now()
        GROUP BY u.id, f.id`,
      { bind: [used.familyId], type: QueryTypes.SELECT },
    );
    if (!row) return { refused: 'revoked' as const };
    await db().query('UPDATE api_token_families SET last_used_at = now() WHERE id = $1', {
      bind: [used.familyId],
    });
    await db().query(
      'INSERT INTO api_refresh_tokens (family_id, token_digest, created_at) VALUES ($1, $2, now())',
      { bind: [used.familyId, tokenDigest(next)] },
    );
    const { expiresAt, ...user } = row;
    return { user: userFrom(user as UserRow), family: used.familyId, expiresAt };
  });
  if (outcome.refused !== undefined) {
    if (outcome.refused === 'reused')
      log().warn({ family: outcome.family }, 'refresh token used twice: its sign-in is revoked');
    throw new TokenRefused(outcome.refused);
  }
  return {
    accessToken: await accessFor(outcome.user, outcome.family, host),
    tokenType: 'Bearer',
    expiresIn: ACCESS_TOKEN_SECONDS,
    refreshToken: next,
    refreshExpiresAt: new Date(outcome.expiresAt).toISOString(),
  };
}

/**
 * Revokes what `token` opens, when it belongs to `user` (RFC 7009: an unknown token is not an error).
 * A refresh or access token ends its whole sign-in; a personal access token ends itself.
 */
export async function revokeToken(
  token: string,
  user: User,
  tenant: TenantRef,
  host: string,
): Promise<boolean> {
  if (token.startsWith(REFRESH_PREFIX)) {
    const [row] = await db().query<{ familyId: string }>(
      `SELECT t.family_id::text AS "familyId" FROM api_refresh_tokens t
         JOIN api_token_families f ON f.id = t.family_id
        WHERE t.token_digest = $1 AND f.user_id = $2`,
      { bind: [tokenDigest(token), user.id], type: QueryTypes.SELECT },
    );
    if (!row) return false;
    await revokeFamily(row.familyId, 'revoked');
    return true;
  }
  if (token.startsWith(PERSONAL_PREFIX)) {
    const [row] = await db().query<{ id: string }>(
      `UPDATE personal_access_tokens SET revoked_at = now()
        WHERE token_digest = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id::text AS id`,
      { bind: [tokenDigest(token), user.id], type: QueryTypes.SELECT },
    );
    return Boolean(row);
  }
  const claims = await verifyAccessToken(token, tenant, host).catch(() => null);
  if (!claims || claims.sub !== String(user.id)) return false;
  await revokeFamily(claims.fam, 'revoked');
  return true;
}

/** Ends every API sign-in of the user (password change or reset, "sign out everywhere"). */
export async function revokeAllSignIns(userId: string, reason = 'signed-out'): Promise<void> {
  await db().query(
    'UPDATE api_token_families SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL',
    { bind: [userId, reason] },
  );
}

// ---------------------------------------------------------------------------------------------
// Personal access tokens

export interface PersonalToken {
  id: string;
  name: string;
  scope: TokenScope;
  hint: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const PAT_COLUMNS = `p.id::text AS id, p.name, p.scope, p.hint, p.created_at AS "createdAt",
  p.expires_at AS "expiresAt", p.last_used_at AS "lastUsedAt", p.revoked_at AS "revokedAt"`;

/** A personal token's last use is written at most this often. */
const LAST_USED_EVERY_MS = 60_000;

function hintOf(token: string): string {
  return `…${token.slice(-6)}`;
}

export interface NewPersonalToken {
  name: string;
  scope: TokenScope;
  expiresAt: Date | null;
}

/** Makes a personal access token for a user of the current tenant; the token itself is returned once. */
export async function createPersonalToken(
  userId: string,
  input: NewPersonalToken,
): Promise<{ token: string; record: PersonalToken }> {
  const token = opaque(PERSONAL_PREFIX);
  const [record] = await db().query<PersonalToken>(
    `INSERT INTO personal_access_tokens (user_id, name, scope, token_digest, hint, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, now(), $6)
     RETURNING id::text AS id, name, scope, hint, created_at AS "createdAt", expires_at AS "expiresAt",
               last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`,
    {
      bind: [userId, input.name, input.scope, tokenDigest(token), hintOf(token), input.expiresAt],
      type: QueryTypes.SELECT,
    },
  );
  return { token, record };
}

/** A user's personal tokens, newest first (revoked and expired ones too, marked). */
export async function personalTokensOf(userId: string): Promise<PersonalToken[]> {
  return db().query<PersonalToken>(
    `SELECT ${PAT_COLUMNS} FROM personal_access_tokens p WHERE p.user_id = $1 ORDER BY p.id DESC LIMIT 200`,
    { bind: [userId], type: QueryTypes.SELECT },
  );
}

/** Revokes one personal token of `userId`; false when there is no such live token. */
export async function revokePersonalToken(userId: string, tokenId: string): Promise<PersonalToken | null> {
  const [row] = await db().query<PersonalToken>(
    `UPDATE personal_access_tokens p SET revoked_at = now()
      WHERE p.id = $1 AND p.user_id = $2 AND p.revoked_at IS NULL RETURNING ${PAT_COLUMNS}`,
    { bind: [tokenId, userId], type: QueryTypes.SELECT },
  );
  return row ?? null;
}

/** The user a personal access token of the current tenant acts for, and its scope. */
export async function userForPersonalToken(
  token: string,
): Promise<{ user: User; principal: TokenPrincipal }> {
  if (token.length > 200) throw new TokenRefused('malformed');
  const [row] = await db().query<UserRow & { tokenId: string; scope: TokenScope; lastUsedAt: Date | null }>(
    `SELECT ${USER_COLUMNS}, p.id::text AS "tokenId", p.scope, p.last_used_at AS "lastUsedAt"
       FROM personal_access_tokens p
       JOIN users u ON u.id = p.user_id AND u.active
       LEFT JOIN user_roles ur ON ur.user_id = u.id
       LEFT JOIN roles r ON r.id = ur.role_id
      WHERE p.token_digest = $1 AND p.revoked_at IS NULL AND (p.expires_at IS NULL OR p.expires_at > now())
      GROUP BY u.id, p.id`,
    { bind: [tokenDigest(token)], type: QueryTypes.SELECT },
  );
  if (!row) throw new TokenRefused('unknown');
  const { tokenId, scope, lastUsedAt, ...user } = row;
  if (!lastUsedAt || Date.now() - new Date(lastUsedAt).getTime() > LAST_USED_EVERY_MS) {
    void db()
      .query('UPDATE personal_access_tokens SET last_used_at = now() WHERE id = $1', { bind: [tokenId] })
      .catch((err) => log().warn({ err }, 'token last use not recorded'));
  }
  return { user: userFrom(user as UserRow), principal: { kind: 'personal', id: tokenId, scope } };
}

// ---------------------------------------------------------------------------------------------
// Platform admins' personal access tokens (public.platform_access_tokens)

export async function createAdminToken(
  adminId: string,
  input: NewPersonalToken,
): Promise<{ token: string; record: PersonalToken }> {
  const token = opaque(ADMIN_PERSONAL_PREFIX);
  const [record] = await db().query<PersonalToken>(
    `INSERT INTO public.platform_access_tokens (admin_id, name, scope, token_digest, hint, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, now(), $6)
     RETURNING id::text AS id, name, scope, hint, created_at AS "createdAt", expires_at AS "expiresAt",
               last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`,
    {
      bind: [adminId, input.name, input.scope, tokenDigest(token), hintOf(token), input.expiresAt],
      type: QueryTypes.SELECT,
    },
  );
  return { token, record };
}

export async function adminTokensOf(adminId: string): Promise<PersonalToken[]> {
  return db().query<PersonalToken>(
    `SELECT ${PAT_COLUMNS} FROM public.platform_access_tokens p WHERE p.admin_id = $1 ORDER BY p.id DESC LIMIT 200`,
    { bind: [adminId], type: QueryTypes.SELECT },
  );
}

export async function revokeAdminToken(adminId: string, tokenId: string): Promise<PersonalToken | null> {
  const [row] = await db().query<PersonalToken>(
    `UPDATE public.platform_access_tokens p SET revoked_at = now()
      WHERE p.id = $1 AND p.admin_id = $2 AND p.revoked_at IS NULL RETURNING ${PAT_COLUMNS}`,
    { bind: [tokenId, adminId], type: QueryTypes.SELECT },
  );
  return row ?? null;
}

export async function adminForToken(
  token: string,
): Promise<{ admin: PlatformAdmin; principal: TokenPrincipal }> {
  if (!token.startsWith(ADMIN_PERSONAL_PREFIX) || token.length > 200) throw new TokenRefused('malformed');
  const [row] = await db().query<{
    tokenId: string;
    scope: TokenScope;
    adminId: string;
    lastUsedAt: Date | null;
  }>(
    `SELECT p.id::text AS "tokenId", p.scope, p.admin_id::text AS "adminId", p.last_used_at AS "lastUsedAt"
       FROM public.platform_access_tokens p
       JOIN public.platform_admins a ON a.id = p.admin_id AND a.active
      WHERE p.token_digest = $1 AND p.revoked_at IS NULL AND (p.expires_at IS NULL OR p.expires_at > now())`,
    { bind: [tokenDigest(token)], type: QueryTypes.SELECT },
  );
  if (!row) throw new TokenRefused('unknown');
  const admin = await PlatformAdmin.findOne({ where: { id: row.adminId, active: true } });
  if (!admin) throw new TokenRefused('account-inactive');
  if (!row.lastUsedAt || Date.now() - new Date(row.lastUsedAt).getTime() > LAST_USED_EVERY_MS) {
    void db()
      .query('UPDATE public.platform_access_tokens SET last_used_at = now() WHERE id = $1', {
        bind: [row.tokenId],
      })
      .catch((err) => log().warn({ err }, 'token last use not recorded'));
  }
  return { admin, principal: { kind: 'personal', id: row.tokenId, scope: row.scope } };
}
