import { expect } from 'chai';
import { passport } from '../../app/auth/passport.ts';
import { User } from '../../app/models/index.ts';
import { describeDevice, sidDigest, UserSession } from '../../app/models/user-session.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

type Stored = { kind: 'user' | 'admin'; id: string; v?: number; s?: string };

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

  it('finds nobody for a session signed in under older credentials, or whose sign-in row was ended', async () => {
    const tenant = await createTenant({ kind: 'church' });
    const ref = tenant.toRef();
    const person = await createUser(tenant, { level: 5, email: 'versions@session.test' });
    const id = String(person.id);
    const row = await withTenant(ref, () => UserSession.start(id, 'a-session-id', 'Firefox/133.0'));
    expect(await deserialize(ref, { kind: 'user', id, v: 1, s: row })).to.be.instanceOf(User);
    expect(await deserialize(ref, { kind: 'user', id, v: 1, s: 'not-a-row' })).to.equal(false);

    await withTenant(ref, () => UserSession.end(row));
    expect(await deserialize(ref, { kind: 'user', id, v: 1, s: row })).to.equal(false);
    const fresh = await withTenant(ref, () => UserSession.start(id, 'another-session-id', undefined));
    expect(await deserialize(ref, { kind: 'user', id, v: 1, s: fresh })).to.be.instanceOf(User);

    await withTenant(ref, () => person.newCredentialsVersion());
    expect(await deserialize(ref, { kind: 'user', id, v: 1, s: fresh })).to.equal(false);
    expect(await deserialize(ref, { kind: 'user', id })).to.equal(false);
    expect(await deserialize(ref, { kind: 'user', id, v: 2, s: fresh })).to.be.instanceOf(User);
  });

  it('keeps only the digest of a session id, and names devices in plain words', async () => {
    expect(sidDigest('abc')).to.match(/^[0-9a-f]{64}$/);
    expect(sidDigest('abc')).not.to.include('abc');
    expect(
      describeDevice(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
      ),
    ).to.equal('Safari on iPhone');
    expect(
      describeDevice(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      ),
    ).to.equal('Edge on Windows');
    expect(describeDevice(null)).to.equal('Unknown device');
  });
});
