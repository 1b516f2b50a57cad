import { expect } from 'chai';
import { type Group, type Tenant, User } from '../../app/models/index.ts';
import {
  authorizeEvent,
  authorizeRoster,
  canManageEvent,
  canManageRoster,
  canSeeEvent,
  canSeeGroup,
  visibleGroupIds,
} from '../../app/policies/group.policy.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';
import { addToGroup, createGroup, createLinkedUser, createMember, inTenant } from '../support/groups.ts';

describe('the group policy', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let groupA: Group;
  let groupB: Group;
  const users: Record<'admin' | 'viewer' | 'plain' | 'leader' | 'memberOfA', User> = {} as never;

  async function withRoles(user: User): Promise<User> {
    const loaded = await inTenant(tenant, () => User.findWithRoles(user.id));
    if (!loaded) throw new Error('no user');
    return loaded;
  }

  function check<T>(fn: () => Promise<T>): Promise<T> {
    return inTenant(tenant, fn);
  }

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    groupA = await createGroup(tenant);
    groupB = await createGroup(tenant);
    users.admin = await withRoles(await createUser(tenant, { level: 0 }));
    users.viewer = await withRoles(await createUser(tenant, { level: 4 }));
    users.plain = await withRoles(await createUser(tenant, { level: 5 }));
    users.leader = await withRoles((await createLinkedUser(tenant, { leads: groupA })).user);
    const plainMember = await createLinkedUser(tenant, { level: 5 });
    await addToGroup(tenant, groupA, plainMember.member, 'member');
    users.memberOfA = await withRoles(plainMember.user);
    // A leader record of someone else must not count for these users.
    await addToGroup(tenant, groupB, await createMember(tenant), 'leader');
  });

  it('lets levels 0 and 4 see every group, a leader only theirs, and others none', async () => {
    expect(await check(() => visibleGroupIds(users.admin))).to.equal('all');
    expect(await check(() => visibleGroupIds(users.viewer))).to.equal('all');
    expect(await check(() => visibleGroupIds(users.leader))).to.deep.equal([String(groupA.id)]);
    expect(await check(() => visibleGroupIds(users.plain))).to.deep.equal([]);
    expect(await check(() => visibleGroupIds(users.memberOfA))).to.deep.equal([]);
    expect(await check(() => canSeeGroup(users.viewer, groupB))).to.equal(true);
    expect(await check(() => canSeeGroup(users.leader, groupA))).to.equal(true);
    expect(await check(() => canSeeGroup(users.leader, groupB))).to.equal(false);
    expect(await check(() => canSeeGroup(users.memberOfA, groupA))).to.equal(false);
  });

  it('lets only level 0 and the group’s own leaders change a roster', async () => {
    expect(await check(() => canManageRoster(users.admin, groupB))).to.equal(true);
    expect(await check(() => canManageRoster(users.viewer, groupA))).to.equal(false);
    expect(await check(() => canManageRoster(users.leader, groupA))).to.equal(true);
    expect(await check(() => canManageRoster(users.leader, groupB))).to.equal(false);
    expect(await check(() => canManageRoster(users.memberOfA, groupA))).to.equal(false);
  });

  it('answers 404 for a roster out of reach and 403 for one seen but not managed', async () => {
    await check(() => authorizeRoster(users.leader, groupA));
    for (const [user, group, status] of [
      [users.leader, groupB, 404],
      [users.plain, groupA, 404],
      [users.viewer, groupA, 403],
    ] as const) {
      const err = await check(() => authorizeRoster(user, group)).then(
        () => null,
        (e: { status?: number }) => e,
      );
      expect(err?.status).to.equal(status);
    }
  });

  it('keeps services to those who view members and meetings to their group’s leaders', async () => {
    const service = { kind: 'service' as const, groupId: null };
    const meetingA = { kind: 'group_meeting' as const, groupId: String(groupA.id) };
    const meetingB = { kind: 'group_meeting' as const, groupId: String(groupB.id) };
    expect(await check(() => canSeeEvent(users.viewer, service))).to.equal(true);
    expect(await check(() => canManageEvent(users.viewer, service))).to.equal(false);
    expect(await check(() => canManageEvent(users.admin, service))).to.equal(true);
    expect(await check(() => canSeeEvent(users.leader, service))).to.equal(false);
    expect(await check(() => canManageEvent(users.leader, meetingA))).to.equal(true);
    expect(await check(() => canSeeEvent(users.leader, meetingB))).to.equal(false);
    // A leader's group on a service does not make the service theirs.
    expect(
      await check(() => canManageEvent(users.leader, { kind: 'service', groupId: String(groupA.id) })),
    ).to.equal(false);
    const err = await check(() => authorizeEvent(users.leader, meetingB)).then(
      () => null,
      (e: { status?: number }) => e,
    );
    expect(err?.status).to.equal(404);
  });
});
