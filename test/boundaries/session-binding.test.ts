import { expect } from 'chai';
import { type Tenant, User } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { signedIn } from '../support/auth.ts';
import { adminEmail, createTenant, hostOf } from '../support/factories.ts';

describe('boundaries: a session belongs to the host it was signed in on', function () {
  this.timeout(30_000);
  let tenantA: Tenant;
  let tenantB: Tenant;

  before(async () => {
    // Two fresh tenants: each one's first admin has the same user id, so only the binding of the
    // session to its host keeps A's session from speaking for B's user.
    tenantA = await createTenant({ kind: 'company' });
    tenantB = await createTenant({ kind: 'company' });
  });

  it('signs out a session of tenant A presented on tenant B, even when the user id exists in both', async () => {
    const adminA = await withTenant(tenantA.toRef(), () =>
      User.findOne({ where: { email: adminEmail(tenantA) } }),
    );
    const adminB = await withTenant(tenantB.toRef(), () =>
      User.findOne({ where: { email: adminEmail(tenantB) } }),
    );
    expect(adminA?.id, 'the same id in both tenants').to.equal(adminB?.id);

    const agent = await signedIn(tenantA, adminEmail(tenantA));
    const onA = await agent.get('/profile').set('Host', hostOf(tenantA));
    expect(onA.status, 'signed in on its own host').to.equal(200);

    // The same cookie on B's host: refused and signed out, not taken for B's admin.
    const onB = await agent.get('/profile').set('Host', hostOf(tenantB));
    expect(onB.status).to.equal(302);
    expect(onB.headers.location).to.match(/^\/login/);

    // The session was ended, not only ignored: it no longer opens A either.
    const backOnA = await agent.get('/profile').set('Host', hostOf(tenantA));
    expect(backOnA.status).to.equal(302);
    expect(backOnA.headers.location).to.match(/^\/login/);
  });
});
