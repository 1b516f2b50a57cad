/**
 * The API's front door at `/api`: `/api/v1/...` (the tenant's API on its hosts, the platform's on
 * the root domain), `/api/v1/openapi.json` and the interactive docs at `/api/docs`. Mounted before
 * the session middleware: cookies never reach it.
 */
import path from 'node:path';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { config } from '../../config/index.ts';
import { NotFound } from '../errors.ts';
import { cors } from './cors.ts';
import type { ApiModule } from './kit.ts';
import { routerFor } from './kit.ts';
import { documentFor } from './openapi.ts';
import { sendProblem } from './problem.ts';
import collaboration from './v1/collaboration.ts';
import finance from './v1/finance.ts';
import groups from './v1/groups.ts';
import organisation from './v1/organisation.ts';
import people from './v1/people.ts';
import platform from './v1/platform.ts';
import tokens from './v1/tokens.ts';
import work from './v1/work.ts';

/** Every module of the tenant hosts' API, in the order the docs list them. */
export const TENANT_MODULES: ApiModule[] = [
  tokens,
  people,
  groups,
  finance,
  work,
  collaboration,
  organisation,
];
/** The root domain's API. */
export const PLATFORM_MODULES: ApiModule[] = [platform];

export function apiDocument(host: 'tenant' | 'platform') {
  return documentFor(host, host === 'tenant' ? TENANT_MODULES : PLATFORM_MODULES);
}

export function apiGateway(): Router {
  const tenantApi = routerFor(TENANT_MODULES);
  const platformApi = routerFor(PLATFORM_MODULES);
  const r = Router();
  r.use(cors);
  r.get('/v1/openapi.json', (req: Request, res: Response) => {
    res.type('application/json').send(JSON.stringify(apiDocument(req.tenant ? 'tenant' : 'platform')));
  });
  r.use(
    '/docs/assets',
    express.static(path.join(config.root, 'node_modules/swagger-ui-dist'), { maxAge: '7d', index: false }),
  );
  r.get('/docs', (req: Request, res: Response) => {
    res.render('api/docs', { title: req.tenant ? `${req.tenant.name} API` : 'Steward platform API' });
  });
  r.use('/v1', (req: Request, res: Response, next: NextFunction) =>
    (req.tenant ? tenantApi : platformApi)(req, res, next),
  );
  r.use((req: Request, res: Response) =>
    sendProblem(new NotFound('There is no API endpoint at this path and method.'), req, res),
  );
  return r;
}
