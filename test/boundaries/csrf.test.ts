import { expect } from 'chai';
import type { Router } from 'express';
import type supertest from 'supertest';
import { AuditLog, Contribution, Member, type Tenant, User } from '../../app/models/index.ts';
import { adminRoutes } from '../../app/routes/admin.ts';
import { tenantRouter } from '../../app/routes/index.ts';
import { platformRoutes } from '../../app/routes/platform.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { csrfToken, PLATFORM_HOST, signedIn, signedInPlatformAdmin } from '../support/auth.ts';
import { adminEmail, createTenant, hostOf, http } from '../support/factories.ts';
import { createMember } from '../support/finance.ts';

interface RouteLine {
  method: string;
  path: string;
}

/** The shape of Express 5's router stack that the walk below reads. */
interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

const SAFE = new Set(['get', 'head', 'options', '_all']);

/** Every state-changing route of a router, nested routers included (all mounted without a path). */
function stateChanging(router: Router, prefix = ''): RouteLine[] {
  const lines: RouteLine[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && !SAFE.has(method)) lines.push({ method, path: prefix + layer.route.path });
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((router as unknown as { stack: Layer[] }).stack);
  return lines;
}

const TENANT_ROUTES = stateChanging(tenantRouter());
const PLATFORM_ROUTES = [...stateChanging(adminRoutes(), '/admin'), ...stateChanging(platformRoutes())];

describe('boundaries: every state-changing route needs its own session’s CSRF token', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let agent: supertest.Agent;
  let otherToken: string;
  let ops: supertest.Agent;
  let otherOpsToken: string;
  let ids: Record<string, string>;

  /** What the routes below could change if a handler ran. */
  const counts = () =>
    withTenant(tenant.toRef(), async () => ({
      members: await Member.count(),
      contributions: await Contribution.count(),
      users: await User.count(),
      audit: await AuditLog.count(),
    }));

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    agent = await signedIn(tenant, adminEmail(tenant));
    // A real token, but of another session (another browser of the same user).
    const other = await signedIn(tenant, adminEmail(tenant));
    otherToken = await csrfToken(other, hostOf(tenant), '/profile');
    ({ agent: ops } = await signedInPlatformAdmin());
    const { agent: otherOps } = await signedInPlatformAdmin();
    otherOpsToken = await csrfToken(otherOps, PLATFORM_HOST, '/admin');
    const member = await createMember(tenant, { firstName: 'Csrf', lastName: 'Target' });
    ids = { members: String(member.id), tenants: String(tenant.id) };
  });

  // A record of the right kind where one is at hand; any other id is the tenant's first (the admin,
  // the first role...). The check runs before any loader, so the id only has to look real.
  const concrete = (path: string) =>
    path.replace(/:(\w+)/g, (_m, name: string) =>
      name === 'token' ? 'a'.repeat(43) : (ids[path.split('/')[path.startsWith('/admin') ? 2 : 1]] ?? '1'),
    );

  it('finds the routes to check in the route table', () => {
    expect(TENANT_ROUTES.length).to.be.above(40);
    expect(TENANT_ROUTES).to.deep.include({ method: 'post', path: '/members' });
    expect(PLATFORM_ROUTES).to.deep.include({ method: 'post', path: '/signup' });
  });

  for (const { method, path } of TENANT_ROUTES) {
    it(`${method.toUpperCase()} ${path} (tenant host): 403 without a token and with another session's`, async () => {
      const url = concrete(path);
      const before = await counts();
      const body = {
        name: '<changed>',
        firstName: 'Changed',
        lastName: 'Changed',
        amount: '5',
        email: 'x@x.test',
      };
      const none = await agent[method as 'post'](url).set('Host', hostOf(tenant)).type('form').send(body);
      expect(none.status, `${url} without a token`).to.equal(403);
      const foreign = await agent[method as 'post'](url)
        .set('Host', hostOf(tenant))
        .type('form')
        .send({ ...body, _csrf: otherToken });
      expect(foreign.status, `${url} with another session's token`).to.equal(403);
      expect(await counts()).to.deep.equal(before);
    });
  }

  for (const { method, path } of PLATFORM_ROUTES) {
    it(`${method.toUpperCase()} ${path} (platform host): 403 without a token and with another session's`, async () => {
      const url = concrete(path);
      const none = await ops[method as 'post'](url)
        .set('Host', PLATFORM_HOST)
        .type('form')
        .send({ amount: '5' });
      expect(none.status, `${url} without a token`).to.equal(403);
      const foreign = await ops[method as 'post'](url)
        .set('Host', PLATFORM_HOST)
        .type('form')
        .send({ amount: '5', _csrf: otherOpsToken });
      expect(foreign.status, `${url} with another session's token`).to.equal(403);
    });
  }

  it('answers 403 to a signed-out visitor posting without a token, too', async () => {
    const res = await http()
      .post('/login')
      .set('Host', hostOf(tenant))
      .type('form')
      .send({ email: 'a@b.test' });
    expect(res.status).to.equal(403);
  });
});
