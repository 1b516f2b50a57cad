import { expect } from 'chai';
import { passport } from '../../app/auth/passport.ts';
import { User } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

type Stored = { kind: 'user' | 'admin'; id: string };

/** What passport makes of a session's stored user, on a tenant's host. */
function deserialize(tenantRef: Parameters<typeof withTenant>[0], stored: Stored): Promise<unknown> {
  return withTenant(
    tenantRef,
    () =>
      new Promise((resolve, reject) => {
        passport.deserializeUser(stored, (err: unknown, user?: unknown) =>
          err ? reject(err) : resolve(user),
        );
      }),
  );
}

describe('the signed-in user of a session', () => {
  it('loads the active account with its roles, and nobody for an inactive, unknown or malformed id', async () => {
    const tenant = await createTenant({ kind: 'church' });
    const ref = tenant.toRef();
    const treasurer = await createUser(tenant, { level: 1, email: 'treasurer@session.test' });
    const loaded = await deserialize(ref, { kind: 'user', id: String(treasurer.id) });
    expect(loaded).to.be.instanceOf(User);
    const user = loaded as User;
    expect(user.email).to.equal('treasurer@session.test');
    expect(user.permissionLevel).to.equal(1);
    expect(user.roles?.map((r) => typeof r.id)).to.deep.equal(['string']);
    expect(user.isNewRecord).to.equal(false);

    await withTenant(ref, () => User.update({ active: false }, { where: { id: treasurer.id } }));
    expect(await deserialize(ref, { kind: 'user', id: String(treasurer.id) })).to.equal(false);
    expect(await deserialize(ref, { kind: 'user', id: '999999' })).to.equal(false);
    for (const id of ['1 OR 1=1', '', '-1', '0x10', '1'.repeat(30)])
      expect(await deserialize(ref, { kind: 'user', id })).to.equal(false);
  });
});
