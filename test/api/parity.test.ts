/**
 * The pages and the API answer to one capability table: for every capability and every permission
 * level, a route of either door that names the capability lets that level through exactly when the
 * table says so. Both sides are read from the route tables themselves, so a new route is checked
 * without being listed here, and every capability a page names must have API routes too.
 */
import { expect } from 'chai';
import type { Router } from 'express';
import { TENANT_MODULES } from '../../app/api/index.ts';
import { CAPABILITIES, type Capability, levelCan } from '../../app/auth/capabilities.ts';
import type { Tenant, User } from '../../app/models/index.ts';
import { tenantRouter } from '../../app/routes/index.ts';
import { type ApiClient, apiClient } from '../support/api.ts';
import { createUser, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';

interface Layer {
  route?: {
    path: string;
    methods: Record<string, boolean>;
    stack: { handle: { capability?: Capability } }[];
  };
  handle?: { stack?: Layer[] };
}

const MISSING_ID = '987654321';

function pageRoutes(router: Router): { path: string; capability: Capability }[] {
  const out: { path: string; capability: Capability }[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (!layer.route && layer.handle?.stack) walk(layer.handle.stack);
      if (!layer.route?.methods.get) continue;
      const capability = layer.route.stack.map((s) => s.handle.capability).find(Boolean);
      if (capability) out.push({ path: layer.route.path.replace(/:[A-Za-z]+/g, MISSING_ID), capability });
    }
  };
  walk(router.stack as unknown as Layer[]);
  return out;
}

const apiRoutes = TENANT_MODULES.flatMap((m) => m.routes)
  .filter((d) => d.spec.capability)
  .map((d) => ({
    method: d.method,
    path: `/api/v1${d.path.replace(/:[A-Za-z]+/g, MISSING_ID)}`,
    capability: d.spec.capability as Capability,
  }));

describe('page and API parity over the capability table', function () {
  this.timeout(300_000);
  const pages = pageRoutes(tenantRouter());
  let tenant: Tenant;
  const users = new Map<number, User>();

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    for (const level of [0, 1, 2, 3, 4, 5])
      users.set(level, await createUser(tenant, { level, email: `p${level}@parity.test` }));
  });

  it('has API routes for every capability the pages name, and names no other', () => {
    const onPages = new Set(pages.map((p) => p.capability));
    const onApi = new Set(apiRoutes.map((a) => a.capability));
    expect(
      [...onPages].filter((c) => !onApi.has(c)),
      'capabilities with pages but no API',
    ).to.deep.equal([]);
    for (const c of onApi) expect(Object.keys(CAPABILITIES)).to.include(c);
  });

  for (const level of [0, 1, 2, 3, 4, 5]) {
    it(`agrees with the table at level ${level} on both doors`, async () => {
      const agent = await signedIn(tenant, `p${level}@parity.test`);
      const api: ApiClient = await apiClient(tenant, users.get(level) as User);
      const wrong: string[] = [];
      const seen = new Map<Capability, { page?: boolean; api?: boolean }>();
      for (const r of pages) {
        const res = await agent.get(r.path).set('Host', hostOf(tenant));
        const through = res.status !== 403;
        if (through !== levelCan(level, r.capability) || res.status >= 500)
          wrong.push(`page GET ${r.path} (${r.capability}): ${res.status}`);
        seen.set(r.capability, { ...seen.get(r.capability), page: through });
      }
      for (const r of apiRoutes) {
        // Writes are sent empty: a level let through gets 404 or 422 (the record is missing, the body
        // is empty), so nothing changes; a level kept out gets 403 before anything is read.
        const res =
          r.method === 'get'
            ? await api.get(r.path)
            : await api[r.method](r.path, r.method === 'delete' ? undefined : {});
        const through = res.status !== 403;
        if (through !== levelCan(level, r.capability) || res.status >= 500)
          wrong.push(`API ${r.method.toUpperCase()} ${r.path} (${r.capability}): ${res.status}`);
        seen.set(r.capability, { ...seen.get(r.capability), api: through });
      }
      for (const [capability, doors] of seen) {
        if (doors.page !== undefined && doors.api !== undefined && doors.page !== doors.api)
          wrong.push(
            `${capability}: page ${doors.page ? 'allows' : 'refuses'}, API ${doors.api ? 'allows' : 'refuses'}`,
          );
      }
      expect(wrong).to.deep.equal([]);
    });
  }
});
