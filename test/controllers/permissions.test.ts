import { expect } from 'chai';
import type { Router } from 'express';
import { CAPABILITIES, type Capability } from '../../app/auth/capabilities.ts';
import type { Tenant } from '../../app/models/index.ts';
import { tenantRouter } from '../../app/routes/index.ts';
import { createUser, csrfToken, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http } from '../support/factories.ts';

interface ProtectedRoute {
  method: 'get' | 'post';
  path: string;
  capability: Capability;
}

interface Layer {
  route?: {
    path: string;
    methods: Record<string, boolean>;
    stack: { handle: { capability?: Capability } }[];
  };
  handle?: { stack?: Layer[] };
}

/** Every route of the tenant table whose line names a capability, read from the router itself. */
function protectedRoutes(router: Router): ProtectedRoute[] {
  return collect(router.stack as unknown as Layer[]);
}

function collect(stack: Layer[]): ProtectedRoute[] {
  const routes: ProtectedRoute[] = [];
  for (const layer of stack) {
    // Area routers are mounted without a path, so their routes keep their full paths.
    if (!layer.route && layer.handle?.stack) routes.push(...collect(layer.handle.stack));
    if (!layer.route) continue;
    const capability = layer.route.stack.map((s) => s.handle.capability).find(Boolean);
    if (!capability) continue;
    for (const method of Object.keys(layer.route.methods)) {
      if (method !== 'get' && method !== 'post') continue;
      // A missing record: allowed levels get 404 or a form, refused levels get 403, and nothing changes.
      routes.push({ method, path: layer.route.path.replace(/:[A-Za-z]+/g, '987654321'), capability });
    }
  }
  return routes;
}

describe('permission levels on every protected route', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  const routes = protectedRoutes(tenantRouter());

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    for (const level of [0, 1, 2, 3, 4, 5])
      await createUser(tenant, { level, email: `level${level}@perm.test` });
  });

  it('finds the protected routes of the tenant table', () => {
    expect(routes.length).to.be.greaterThan(0);
    for (const r of routes) expect(Object.keys(CAPABILITIES)).to.include(r.capability);
  });

  for (const level of [0, 1, 2, 3, 4, 5]) {
    it(`lets a level-${level} user through exactly the routes their level allows, and answers 403 on the others`, async () => {
      const agent = await signedIn(tenant, `level${level}@perm.test`);
      const host = hostOf(tenant);
      const _csrf = await csrfToken(agent, host, '/');
      const wrong: string[] = [];
      for (const r of routes) {
        const allowed = (CAPABILITIES[r.capability] as readonly number[]).includes(level);
        const res =
          r.method === 'get'
            ? await agent.get(r.path).set('Host', host)
            : await agent.post(r.path).set('Host', host).type('form').send({ _csrf });
        const ok = allowed ? res.status !== 403 && res.status < 500 : res.status === 403;
        if (!ok) wrong.push(`${r.method.toUpperCase()} ${r.path} (${r.capability}): ${res.status}`);
      }
      expect(wrong).to.deep.equal([]);
    });
  }

  it('sends an anonymous visitor of every protected page to sign in', async () => {
    for (const r of routes.filter((x) => x.method === 'get')) {
      const res = await http().get(r.path).set('Host', hostOf(tenant));
      expect(res.status, r.path).to.equal(302);
      expect(res.headers.location).to.match(/^\/login\?next=/);
    }
  });
});
