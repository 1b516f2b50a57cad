/**
 * The OpenAPI 3.1 documents, generated from the route declarations (app/api/kit.ts) and their zod
 * schemas: one for tenant hosts, one for the root domain. Built once per process and host kind.
 */

import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { type ApiHost, type ApiModule, authOf, type RouteDef } from './kit.ts';
import { problemSchema } from './problem.ts';

export const API_VERSION = '1.0.0';

const DESCRIPTIONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No content',
  304: 'Not modified (the `If-None-Match` ETag is current)',
  400: 'Bad request (malformed JSON, a bad cursor or header)',
  401: 'No valid bearer token',
  403: 'The token or the role does not allow this',
  404: 'No such record here (or not visible to you)',
  409: 'Conflict with the current state',
  412: 'The `If-Match` ETag is not the current one',
  413: 'The request body is too large',
  415: 'Unsupported content type',
  422: 'Validation failed; `fields` names each wrong field',
  429: 'Too many requests; see `Retry-After`',
  500: 'Internal error',
  503: 'Briefly unavailable; see `Retry-After`',
};

const rateHeaders = {
  RateLimit: z.string().meta({ description: 'Remaining requests and seconds to reset (IETF draft).' }),
  'RateLimit-Policy': z.string().meta({ description: 'The limit and its window (IETF draft).' }),
};

/** Every status a route can answer besides its declared successes. */
export function errorStatuses(def: RouteDef): number[] {
  const auth = authOf(def);
  const set = new Set<number>([400, 429, 500, 503, ...(def.spec.errors ?? [])]);
  if (auth !== 'none') set.add(401);
  if (auth !== 'none' || def.spec.capability) set.add(403);
  if (def.spec.params) set.add(404);
  if (def.spec.body) {
    set.add(413);
    set.add(415);
    set.add(422);
  }
  if (def.spec.query) set.add(422);
  if (def.spec.idempotent) {
    set.add(409);
    set.add(422);
  }
  return [...set].sort((a, b) => a - b);
}

export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function operationIdOf(def: RouteDef): string {
  if (def.spec.operationId) return def.spec.operationId;
  const words = def.path
    .split('/')
    .filter(Boolean)
    .map((w) => (w.startsWith(':') ? `by-${w.slice(1)}` : w));
  return [def.method, ...words]
    .join('-')
    .replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase())
    .replace(/[^A-Za-z0-9]/g, '');
}

function operation(def: RouteDef): ZodOpenApiOperationObject {
  const { spec } = def;
  const auth = authOf(def);
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, schema] of Object.entries(spec.responses)) {
    const code = Number(status);
    const content =
      spec.download && code === 200
        ? Object.fromEntries(
            [spec.download].flat().map((t) => [t, { schema: z.string().meta({ format: 'binary' }) }]),
          )
        : schema
          ? { 'application/json': { schema } }
          : undefined;
    responses[status] = {
      description: DESCRIPTIONS[code] ?? 'OK',
      headers: z.object({
        ...rateHeaders,
        ...(code === 200 || code === 201
          ? { ETag: z.string().meta({ description: 'The version of the body.' }) }
          : {}),
        ...(code === 201 ? { Location: z.string().meta({ description: 'The new record.' }) } : {}),
      }),
      ...(content ? { content } : {}),
    };
  }
  if (def.method === 'get') responses['304'] = { description: DESCRIPTIONS[304] };
  for (const code of errorStatuses(def)) {
    responses[String(code)] = {
      description: DESCRIPTIONS[code] ?? 'Error',
      content: { 'application/problem+json': { schema: problemSchema } },
    };
  }
  const headerParams: Record<string, z.ZodType> = {};
  if (spec.idempotent)
    headerParams['Idempotency-Key'] = z.string().max(200).optional().meta({
      description: 'A retry with the same key returns the first response instead of creating again.',
    });
  if (def.method === 'patch' || def.method === 'put' || def.method === 'delete')
    headerParams['If-Match'] = z
      .string()
      .optional()
      .meta({ description: 'The ETag you read; a stale one is refused with 412.' });
  if (def.method === 'get')
    headerParams['If-None-Match'] = z
      .string()
      .optional()
      .meta({ description: 'An ETag you hold; 304 when current.' });
  const capabilityNote = spec.capability
    ? `\n\nNeeds the \`${spec.capability}\` capability.`
    : auth === 'user'
      ? '\n\nAny signed-in user; records are scoped as on the pages.'
      : '';
  return {
    operationId: operationIdOf(def),
    summary: spec.summary,
    description: `${spec.description ?? spec.summary}${capabilityNote}`,
    tags: [def.tag],
    security: auth === 'none' ? [] : [{ [auth === 'admin' ? 'adminToken' : 'bearer']: [] }],
    ...(spec.capability ? { 'x-capability': spec.capability } : {}),
    responses: responses as ZodOpenApiOperationObject['responses'],
    requestParams: {
      ...(spec.params ? { path: spec.params as z.ZodObject } : {}),
      ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
      header: z.object(headerParams),
    },
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            content: {
              [spec.bodyType === 'multipart' ? 'multipart/form-data' : 'application/json']: {
                schema: spec.body,
              },
            },
          },
        }
      : {}),
  };
}

const cache = new Map<ApiHost, ReturnType<typeof createDocument>>();

/** The OpenAPI document of one host kind's modules. */
export function documentFor(host: ApiHost, modules: ApiModule[]): ReturnType<typeof createDocument> {
  const cached = cache.get(host);
  if (cached) return cached;
  const paths: ZodOpenApiPathsObject = {};
  for (const mod of modules) {
    for (const def of mod.routes) {
      const path = `/api/v1${openApiPath(def.path)}`;
      paths[path] ??= {};
      (paths[path] as Record<string, ZodOpenApiOperationObject>)[def.method] = operation(def);
    }
  }
  const doc = createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: host === 'tenant' ? 'Steward API' : 'Steward platform API',
        version: API_VERSION,
        description:
          host === 'tenant'
            ? "The JSON API of one organisation's Steward, on its own host. Get a token with `POST /api/v1/token`; send it as `Authorization: Bearer <token>`. Errors are `application/problem+json` (RFC 9457)."
            : "Self-service sign-up and the platform admins' API, on the root domain. Admin endpoints take a platform admin's personal access token (made on /admin/tokens).",
      },
      servers: [{ url: '/', description: 'This host' }],
      tags: modules.map((m) => ({ name: m.tag, ...(m.description ? { description: m.description } : {}) })),
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An access token from `POST /api/v1/token` (a JWT valid 15 minutes) or a personal access token (`stw_pat_…`, made on the profile page).',
          },
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: "A platform admin's personal access token (`stw_adm_…`).",
          },
        },
      },
      paths,
    },
    {
      // Forms send every field, so page schemas turn a missing field into '' before checking it
      // (z.preprocess), which JSON Schema would list as required. A request field is required
      // exactly when its schema refuses it missing.
      override: ({ jsonSchema, zodSchema, io }) => {
        const def = (
          zodSchema as unknown as { _zod: { def: { type: string; shape?: Record<string, z.ZodType> } } }
        )._zod.def;
        if (io !== 'input' || def.type !== 'object' || !def.shape || !Array.isArray(jsonSchema.required))
          return;
        const shape = def.shape;
        const required = jsonSchema.required.filter((k) => !shape[k]?.safeParse(undefined).success);
        if (required.length) jsonSchema.required = required;
        else delete jsonSchema.required;
      },
    },
  );
  cache.set(host, doc);
  return doc;
}
