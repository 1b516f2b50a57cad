/**
 * How an API endpoint is declared: once, with its zod schemas, capability and responses. The same
 * declaration builds the Express route (authentication, scope and capability checks, rate limit,
 * parsing, idempotency, ETags, problem documents) and the endpoint's entry in the OpenAPI document
 * (app/api/openapi.ts), so the document cannot leave an endpoint out or describe it differently.
 *
 * Handlers are thin adapters: they call the same services and policies as the pages' controllers
 * and return `{ status, body, headers, location }`.
 */
import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import { QueryTypes } from 'sequelize';
import type { z } from 'zod';
import { type Capability, levelCan } from '../auth/capabilities.ts';
import { db } from '../db/database.ts';
import { Forbidden, NotFound, ValidationError } from '../errors.ts';
import { clientKey } from '../middleware/rate-limit.ts';
import type { PlatformAdmin } from '../models/platform-admin.ts';
import type { User } from '../models/user.ts';
import type { TokenPrincipal } from '../services/api-tokens.ts';
import type { TenantRef } from '../tenancy/context.ts';
import { fieldErrors } from '../validators/common.ts';
import { authenticate } from './authenticate.ts';
import { ApiProblem, sendProblem } from './problem.ts';
import { apiRateLimit } from './rate-limit.ts';

export type ApiHost = 'tenant' | 'platform';
/** Who may call: a tenant's user (bearer token), a platform admin (admin token), or anyone. */
export type ApiAuth = 'user' | 'admin' | 'none';
export type ApiMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

type AnySchema = z.ZodType;

export interface RouteSpec<P extends AnySchema, Q extends AnySchema, B extends AnySchema> {
  summary: string;
  description?: string;
  /** Defaults to 'user' on tenant modules and 'admin' on platform modules. */
  auth?: ApiAuth;
  /** The capability the page route names; omitted when any signed-in user may call (then scoped by policy). */
  capability?: Capability;
  params?: P;
  query?: Q;
  body?: B;
  /** 'json' (default) or 'multipart' (uploads: put the multer middleware in `before`). */
  bodyType?: 'json' | 'multipart';
  /** Success statuses and their body schema (null: no body). */
  responses: Record<number, AnySchema | null>;
  /** Error statuses this route can answer besides the ones every route documents. */
  errors?: number[];
  /** Creating POST: a request with an `Idempotency-Key` runs once per key and caller. */
  idempotent?: boolean;
  /** Middleware run after authentication and before parsing (e.g. multer). */
  before?: RequestHandler[];
  /** Overrides the operation id derived from method and path. */
  operationId?: string;
  /** Content type(s) of a 200 that is not JSON (a file download), documented as binary. */
  download?: string | string[];
  /** Multipart file fields: present in the parsed body (as `true`) when the upload holds them. */
  files?: string[];
}

export interface ApiResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  location?: string;
}

export interface ApiContext<P, Q, B> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  /** The signed-in user (tenant routes with auth 'user'); reading it elsewhere throws. */
  readonly user: User;
  admin: PlatformAdmin | null;
  tenant: TenantRef | null;
  token: TokenPrincipal | null;
  /**
   * Refuses the update with 412 when the request's `If-Match` names another version of the record
   * than `current` (its representation as GET returns it). Without the header it passes.
   */
  ifMatch(current: unknown): void;
}

export type ApiHandler<P, Q, B> = (ctx: ApiContext<P, Q, B>) => Promise<ApiResult | undefined>;

export interface RouteDef {
  method: ApiMethod;
  path: string;
  spec: RouteSpec<AnySchema, AnySchema, AnySchema>;
  handler: ApiHandler<unknown, unknown, unknown>;
  tag: string;
  host: ApiHost;
}

export interface ApiModule {
  tag: string;
  host: ApiHost;
  description?: string;
  routes: RouteDef[];
}

type Out<S> = S extends AnySchema ? z.output<S> : Record<string, never>;

export interface RouteAdder {
  get<P extends AnySchema, Q extends AnySchema, B extends AnySchema>(
    path: string,
    spec: RouteSpec<P, Q, B>,
    handler: ApiHandler<Out<P>, Out<Q>, Out<B>>,
  ): void;
  post<P extends AnySchema, Q extends AnySchema, B extends AnySchema>(
    path: string,
    spec: RouteSpec<P, Q, B>,
    handler: ApiHandler<Out<P>, Out<Q>, Out<B>>,
  ): void;
  put<P extends AnySchema, Q extends AnySchema, B extends AnySchema>(
    path: string,
    spec: RouteSpec<P, Q, B>,
    handler: ApiHandler<Out<P>, Out<Q>, Out<B>>,
  ): void;
  patch<P extends AnySchema, Q extends AnySchema, B extends AnySchema>(
    path: string,
    spec: RouteSpec<P, Q, B>,
    handler: ApiHandler<Out<P>, Out<Q>, Out<B>>,
  ): void;
  delete<P extends AnySchema, Q extends AnySchema, B extends AnySchema>(
    path: string,
    spec: RouteSpec<P, Q, B>,
    handler: ApiHandler<Out<P>, Out<Q>, Out<B>>,
  ): void;
}

/** Declares an area's endpoints. */
export function apiRoutes(
  meta: { tag: string; host: ApiHost; description?: string },
  define: (r: RouteAdder) => void,
): ApiModule {
  const routes: RouteDef[] = [];
  const add =
    (method: ApiMethod) =>
    (
      path: string,
      spec: RouteSpec<AnySchema, AnySchema, AnySchema>,
      handler: ApiHandler<never, never, never>,
    ) => {
      routes.push({
        method,
        path,
        spec,
        handler: handler as ApiHandler<unknown, unknown, unknown>,
        tag: meta.tag,
        host: meta.host,
      });
    };
  define({
    get: add('get'),
    post: add('post'),
    put: add('put'),
    patch: add('patch'),
    delete: add('delete'),
  } as RouteAdder);
  return { tag: meta.tag, host: meta.host, description: meta.description, routes };
}

/** The auth a route really has. */
export function authOf(def: RouteDef): ApiAuth {
  return def.spec.auth ?? (def.host === 'tenant' ? 'user' : 'admin');
}

// ---------------------------------------------------------------------------------------------
// ETags

/** The ETag of a representation: a weak tag over its JSON. */
export function etagOf(body: unknown): string {
  return etagOfJson(JSON.stringify(body));
}

function etagOfJson(json: string): string {
  return `W/"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
}

function tagsIn(header: string): string[] {
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .filter(Boolean);
}

function matches(header: string, etag: string): boolean {
  const bare = etag.replace(/^W\//, '');
  return tagsIn(header).some((t) => t === '*' || t === bare);
}

// ---------------------------------------------------------------------------------------------
// Request parsing

/** The top-level keys a body schema accepts, when it is (or wraps) an object schema. */
export function objectKeys(schema: AnySchema): string[] | null {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  if (def.type === 'object') return Object.keys(def.shape as object);
  if (def.type === 'pipe') return objectKeys(def.in as AnySchema);
  if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault')
    return objectKeys(def.innerType as AnySchema);
  return null;
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function parseBody(def: RouteDef, req: Request): unknown {
  const schema = def.spec.body;
  if (!schema) return undefined;
  const multipart = def.spec.bodyType === 'multipart';
  if (hasBody(req)) {
    const type = multipart ? 'multipart/form-data' : 'application/json';
    if (!req.is(type))
      throw new ApiProblem(415, 'unsupported-media-type', `The request body must be ${type} (UTF-8).`);
  }
  const sent: unknown = req.body ?? {};
  if (typeof sent !== 'object' || sent === null || Array.isArray(sent))
    throw new ValidationError({ _: 'must be a JSON object' }, 'The request body must be a JSON object.');
  let raw = sent as Record<string, unknown>;
  if (multipart && def.spec.files?.length) {
    const uploaded = new Set<string>();
    const r = req as Request & { file?: { fieldname: string }; files?: unknown };
    if (r.file) uploaded.add(r.file.fieldname);
    if (Array.isArray(r.files)) for (const f of r.files as { fieldname: string }[]) uploaded.add(f.fieldname);
    else if (r.files && typeof r.files === 'object') for (const k of Object.keys(r.files)) uploaded.add(k);
    raw = {
      ...raw,
      ...Object.fromEntries(def.spec.files.filter((f) => uploaded.has(f)).map((f) => [f, true])),
    };
  }
  const allowed = objectKeys(schema);
  if (allowed) {
    const unknown = Object.keys(raw).filter((k) => !allowed.includes(k));
    if (unknown.length)
      throw new ValidationError(
        Object.fromEntries(unknown.map((k) => [k, 'is not a field of this request'])),
        `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`,
      );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  return parsed.data;
}

function parseQuery(def: RouteDef, req: Request): unknown {
  const schema = def.spec.query;
  if (!schema) return {};
  const parsed = schema.safeParse(req.query);
  if (!parsed.success)
    throw new ValidationError(fieldErrors(parsed.error), 'Please correct the query parameters.');
  return parsed.data;
}

function parseParams(def: RouteDef, req: Request): unknown {
  const schema = def.spec.params;
  if (!schema) return {};
  const parsed = schema.safeParse(req.params);
  // A path that names no record (an id that cannot be one) is a 404, as on the pages.
  if (!parsed.success) throw new NotFound();
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Idempotency

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,200}$/;

interface StoredResponse {
  status: number;
  response: { body?: unknown; headers?: Record<string, string> };
  requestDigest: string;
}

/** How long a retry waits for the first request with its key to finish before answering 409. */
const IDEMPOTENCY_WAIT_MS = 15_000;

/**
 * Runs a create once per caller and key. The first request claims the key (one INSERT ... ON
 * CONFLICT, so of concurrent ones exactly one claims it), runs, and stores its response; the others
 * wait for that response and get it too. A create that failed frees its key, so a corrected retry
 * works. A claim whose request never finished (its process died) is never run again: retries get a
 * 409 until the key expires after 24 hours, since the first run may have created the record.
 */
async function idempotently(
  req: Request,
  principal: string,
  key: string,
  run: () => Promise<ApiResult | undefined>,
): Promise<ApiResult | undefined> {
  if (!IDEMPOTENCY_KEY_RE.test(key))
    throw new ApiProblem(
      400,
      'bad-idempotency-key',
      'Idempotency-Key must be 1 to 200 visible ASCII characters.',
    );
  const table = req.tenant ? 'api_idempotency_keys' : 'public.platform_idempotency_keys';
  const digest = createHash('sha256')
    .update(`${req.method} ${req.baseUrl}${req.path}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex');
  const [claimed] = await db().query<{ id: string }>(
    `INSERT INTO ${table} AS k (principal, idempotency_key, request_digest, status, response, created_at)
     VALUES ($1, $2, $3, 0, '{}'::jsonb, now())
     ON CONFLICT (principal, idempotency_key) DO UPDATE
       SET request_digest = EXCLUDED.request_digest, status = 0, response = '{}'::jsonb, created_at = now()
       WHERE k.created_at < now() - interval '24 hours'
     RETURNING id::text AS id`,
    { bind: [principal, key, digest], type: QueryTypes.SELECT },
  );
  if (claimed) {
    let result: ApiResult | undefined;
    try {
      result = await run();
    } catch (err) {
      await db().query(`DELETE FROM ${table} WHERE id = $1`, { bind: [claimed.id] });
      throw err;
    }
    const status = result?.status ?? 200;
    if (result && status >= 200 && status < 300) {
      const headers = { ...result.headers, ...(result.location ? { Location: result.location } : {}) };
      await db().query(`UPDATE ${table} SET status = $2, response = $3::jsonb WHERE id = $1`, {
        bind: [claimed.id, status, JSON.stringify({ body: result.body ?? null, headers })],
      });
    } else {
      await db().query(`DELETE FROM ${table} WHERE id = $1`, { bind: [claimed.id] });
    }
    return result;
  }
  const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
  for (;;) {
    const [stored] = await db().query<StoredResponse>(
      `SELECT status, response, request_digest AS "requestDigest" FROM ${table}
        WHERE principal = $1 AND idempotency_key = $2`,
      { bind: [principal, key], type: QueryTypes.SELECT },
    );
    // The first request failed and freed the key meanwhile: this one runs as if it were first.
    if (!stored) return idempotently(req, principal, key, run);
    if (stored.requestDigest !== digest)
      throw new ApiProblem(
        422,
        'idempotency-key-reused',
        'This Idempotency-Key was used for a different request; use a new key for a new request.',
      );
    if (stored.status > 0)
      return {
        status: stored.status,
        body: stored.response.body ?? undefined,
        headers: { ...stored.response.headers, 'Idempotent-Replayed': 'true' },
      };
    if (Date.now() > deadline)
      throw new ApiProblem(
        409,
        'idempotency-key-in-progress',
        'A request with this Idempotency-Key has not finished. Try again later, or use a new key for a new request.',
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function principalOf(req: Request, user: User | null, admin: PlatformAdmin | null): string {
  if (user) return `u:${user.id}`;
  if (admin) return `a:${admin.id}`;
  return `ip:${clientKey(req)}`;
}

// ---------------------------------------------------------------------------------------------
// The Express side

function send(req: Request, res: Response, result: ApiResult | undefined): void {
  // A handler that returns nothing writes the response itself (a download may still be starting).
  if (result === undefined || res.headersSent) return;
  const status = result?.status ?? 200;
  if (result?.headers) res.set(result.headers);
  if (result?.location) res.location(result.location);
  if (result.body === undefined || status === 204) {
    res.status(status).end();
    return;
  }
  const json = JSON.stringify(result.body);
  if (status === 200 || status === 201) {
    const etag = etagOfJson(json);
    res.set('ETag', etag);
    const ifNoneMatch = req.get('if-none-match');
    if (req.method === 'GET' && ifNoneMatch && matches(ifNoneMatch, etag)) {
      res.status(304).end();
      return;
    }
  }
  res.status(status).type('application/json').send(json);
}

function runMiddleware(mw: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    const next: NextFunction = (err?: unknown) => (err ? reject(err) : resolve());
    Promise.resolve(mw(req, res, next)).catch(reject);
  });
}

/** One Express handler for a declared route. */
function handlerFor(def: RouteDef): RequestHandler {
  const auth = authOf(def);
  const writes = def.method !== 'get';
  return async (req: Request, res: Response) => {
    try {
      const who = await authenticate(req, auth);
      await runMiddleware(apiRateLimit(), req, res);
      if (writes && who.token && who.token.scope === 'read')
        throw new ApiProblem(403, 'insufficient-scope', 'This token is read-only.');
      if (def.spec.capability) {
        if (!who.user || !levelCan(who.user.permissionLevel, def.spec.capability))
          throw new Forbidden('Your role does not allow this.');
      }
      for (const mw of def.spec.before ?? []) await runMiddleware(mw, req, res);
      const ctx: ApiContext<unknown, unknown, unknown> = {
        req,
        res,
        params: parseParams(def, req),
        query: parseQuery(def, req),
        body: parseBody(def, req),
        get user(): User {
          if (!who.user) throw new Error(`${def.method.toUpperCase()} ${def.path} has no signed-in user`);
          return who.user;
        },
        admin: who.admin,
        tenant: req.tenant ?? null,
        token: who.token,
        ifMatch(current: unknown) {
          const header = req.get('if-match');
          if (header && !matches(header, etagOf(current)))
            throw new ApiProblem(
              412,
              'precondition-failed',
              'The record changed since you read it. Read it again, then repeat your change.',
              { ETag: etagOf(current) },
            );
        },
      };
      const key = req.get('idempotency-key');
      const result =
        def.spec.idempotent && key !== undefined
          ? await idempotently(req, principalOf(req, who.user, who.admin), key, () => def.handler(ctx))
          : await def.handler(ctx);
      send(req, res, result);
    } catch (err) {
      if (res.headersSent) return;
      sendProblem(err, req, res);
    }
  };
}

/**
 * A partial update (PATCH): the record's current input values with the fields the client sent,
 * parsed as a whole by the page's schema, so a client sends only what it changes. The route's body
 * schema has already refused unknown fields. Invalid → 422 with the field map.
 */
export function mergePatch<S extends AnySchema>(
  schema: S,
  current: Record<string, unknown>,
  sent: unknown,
): z.output<S> {
  const parsed = schema.safeParse({ ...current, ...(sent as Record<string, unknown>) });
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  return parsed.data;
}

/** The Express router of the API modules of one host, at `/api/v1`. */
export function routerFor(modules: ApiModule[]): RequestHandler {
  // One router per first path segment (`/members`, `/tasks`...), so a request is matched against
  // the routes of its resource only, not against every route of the API in turn.
  const bySegment = new Map<string, Router>();
  for (const mod of modules) {
    for (const def of mod.routes) {
      const segment = def.path.split('/')[1] ?? '';
      let router = bySegment.get(segment);
      if (!router) {
        router = Router();
        bySegment.set(segment, router);
      }
      router[def.method](def.path, handlerFor(def));
    }
  }
  return (req, res, next) => {
    const router = bySegment.get(req.path.split('/')[1] ?? '');
    if (router) return router(req, res, next);
    next();
  };
}
