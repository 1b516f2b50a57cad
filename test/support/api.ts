/**
 * API test clients. Every response they receive is checked against the generated OpenAPI document
 * (its status must be documented for the operation, its body must match the documented schema), so
 * the document cannot drift from what the API answers.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type supertest from 'supertest';
import { apiDocument } from '../../app/api/index.ts';
import { PlatformAdmin, type Tenant, User } from '../../app/models/index.ts';
import {
  createAdminToken,
  createPersonalToken,
  issueTokens,
  type TokenScope,
} from '../../app/services/api-tokens.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { PLATFORM_HOST } from './auth.ts';
import { hostOf, http, testPasswordHash, uniqueSlug } from './factories.ts';

type Doc = ReturnType<typeof apiDocument>;
type Kind = 'tenant' | 'platform';

interface Operation {
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

const validators = new Map<string, (data: unknown) => boolean>();
let ajv: InstanceType<typeof Ajv2020> | null = null;
const docs = new Map<Kind, Doc>();

function documentOf(kind: Kind): Doc {
  let doc = docs.get(kind);
  if (!doc) {
    doc = apiDocument(kind);
    docs.set(kind, doc);
    ajv ??= (() => {
      const a = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
      (addFormats as unknown as (a: InstanceType<typeof Ajv2020>) => void)(a);
      return a;
    })();
    ajv.addSchema({ ...(doc as object), $id: `openapi-${kind}` });
  }
  return doc;
}

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/** The documented path template matching `path` (query string dropped), or null. */
export function templateOf(kind: Kind, path: string): string | null {
  const doc = documentOf(kind);
  const bare = path.split('?')[0];
  const templates = Object.keys(doc.paths ?? {});
  const exact = templates.find((t) => t === bare);
  if (exact) return exact;
  for (const t of templates) {
    const re = new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}$`);
    if (re.test(bare)) return t;
  }
  return null;
}

/**
 * Throws when `res` is not what the document says `method path` answers: an undocumented path,
 * method or status, or a body that does not match the schema of its content type.
 */
export function checkContract(kind: Kind, method: string, path: string, res: supertest.Response): void {
  const doc = documentOf(kind);
  const template = templateOf(kind, path);
  if (!template) throw new Error(`${method.toUpperCase()} ${path} is not in the OpenAPI document`);
  const op = (doc.paths?.[template] as Record<string, Operation> | undefined)?.[method.toLowerCase()];
  if (!op) throw new Error(`${method.toUpperCase()} ${template} is not in the OpenAPI document`);
  const status = String(res.status);
  const response = op.responses?.[status];
  if (!response)
    throw new Error(
      `${method.toUpperCase()} ${template} answered ${status}, which its OpenAPI entry does not document: ${res.text?.slice(0, 300)}`,
    );
  const type = String(res.headers['content-type'] ?? '').split(';')[0];
  if (!response.content || !Object.keys(response.content).length) {
    if (res.text && res.text.length > 0 && status !== '304')
      throw new Error(
        `${method.toUpperCase()} ${template} ${status} has a body its document does not describe`,
      );
    return;
  }
  if (!response.content[type])
    throw new Error(
      `${method.toUpperCase()} ${template} ${status} answered ${type || 'no content type'}; the document says ${Object.keys(response.content).join(', ')}`,
    );
  if (!type.includes('json')) return;
  const ref = `openapi-${kind}#/${pointer('paths', template, method.toLowerCase(), 'responses', status, 'content', type, 'schema')}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = (ajv as InstanceType<typeof Ajv2020>).compile({ $ref: ref });
    validators.set(ref, validate);
  }
  if (!validate(res.body)) {
    const errors = (validate as unknown as { errors: unknown }).errors;
    throw new Error(
      `${method.toUpperCase()} ${template} ${status}: the body does not match the document: ${JSON.stringify(errors).slice(0, 1200)}\nbody: ${res.text?.slice(0, 600)}`,
    );
  }
}

type Headers = Record<string, string>;

export interface ApiClient {
  host: string;
  token: string;
  get(path: string, headers?: Headers): supertest.Test;
  post(path: string, body?: unknown, headers?: Headers): supertest.Test;
  put(path: string, body?: unknown, headers?: Headers): supertest.Test;
  patch(path: string, body?: unknown, headers?: Headers): supertest.Test;
  delete(path: string, headers?: Headers): supertest.Test;
  /** A request with Host and Authorization set and the contract check on, for multipart and the like. */
  raw(method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string): supertest.Test;
}

/** A client for `host` presenting `token` (null: none), checking every response against the document. */
export function clientFor(kind: Kind, host: string, token: string | null): ApiClient {
  const agent = http();
  const raw = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string) => {
    let test = agent[method](path).set('Host', host);
    if (token) test = test.set('Authorization', `Bearer ${token}`);
    return test.expect((res) => checkContract(kind, method, path, res));
  };
  const withBody =
    (method: 'post' | 'put' | 'patch') =>
    (path: string, body?: unknown, headers: Headers = {}) => {
      const test = raw(method, path).set(headers);
      return body === undefined ? test : test.send(body as object);
    };
  return {
    host,
    token: token ?? '',
    get: (path, headers = {}) => raw('get', path).set(headers),
    post: withBody('post'),
    put: withBody('put'),
    patch: withBody('patch'),
    delete: (path, headers = {}) => raw('delete', path).set(headers),
    raw,
  };
}

/** An access token (and its refresh token) for `user` of `tenant`, as POST /api/v1/token gives. */
export async function tokensFor(tenant: Tenant, user: User) {
  return withTenant(tenant.toRef(), async () => {
    const withRoles = await User.findByPk(user.id, { include: [{ association: 'roles' }] });
    if (!withRoles) throw new Error(`no user ${user.id} in ${tenant.slug}`);
    return issueTokens(withRoles, hostOf(tenant), 'test');
  });
}

/** A client of `tenant`'s API signed in as `user` with an access token. */
export async function apiClient(tenant: Tenant, user: User): Promise<ApiClient> {
  const { accessToken } = await tokensFor(tenant, user);
  return clientFor('tenant', hostOf(tenant), accessToken);
}

/** A client of `tenant`'s API using a new personal access token of `user`. */
export async function patClient(
  tenant: Tenant,
  user: User,
  scope: TokenScope = 'read-write',
): Promise<ApiClient> {
  const { token } = await withTenant(tenant.toRef(), () =>
    createPersonalToken(String(user.id), { name: 'test token', scope, expiresAt: null }),
  );
  return clientFor('tenant', hostOf(tenant), token);
}

/** A client of `tenant`'s API with no token (or a given one). */
export function anonymousClient(tenant: Tenant, token: string | null = null): ApiClient {
  return clientFor('tenant', hostOf(tenant), token);
}

/** A client of the root domain's API as a new platform admin (with a personal access token). */
export async function adminApiClient(
  scope: TokenScope = 'read-write',
): Promise<ApiClient & { admin: PlatformAdmin }> {
  const admin = await PlatformAdmin.create({
    email: `${uniqueSlug('ops')}@steward.test`,
    name: 'Platform Admin',
    passwordHash: await testPasswordHash(),
    lastLoginAt: null,
  });
  const { token } = await createAdminToken(String(admin.id), { name: 'test', scope, expiresAt: null });
  return { ...clientFor('platform', PLATFORM_HOST, token), admin };
}

/** A client of the root domain's API with no token. */
export function platformClient(token: string | null = null): ApiClient {
  return clientFor('platform', PLATFORM_HOST, token);
}
