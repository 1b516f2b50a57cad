import type supertest from 'supertest';
import {
  Attendance,
  AuditLog,
  Event,
  Group,
  GroupMember,
  Member,
  type Tenant,
  type User,
} from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, signedIn } from './auth.ts';
import { adminEmail, uniqueSlug } from './factories.ts';

/** Factories for groups, rosters, events and attendance, each run inside the tenant's schema. */

export function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

export function createMember(
  tenant: Tenant,
  attrs: Partial<{ firstName: string; lastName: string; email: string | null; status: Member['status'] }> & {
    userId?: string | null;
  } = {},
): Promise<Member> {
  return inTenant(tenant, () =>
    Member.create({
      firstName: attrs.firstName ?? 'Pat',
      lastName: attrs.lastName ?? uniqueSlug('Person'),
      email: attrs.email ?? null,
      phone: null,
      address: null,
      birthDate: null,
      status: attrs.status ?? 'member',
      joinedOn: null,
      notes: null,
      householdId: null,
      userId: attrs.userId ?? null,
    }),
  );
}

export function createGroup(
  tenant: Tenant,
  attrs: Partial<{ name: string; meetingDay: number | null; meetingTime: string | null }> = {},
): Promise<Group> {
  return inTenant(tenant, () =>
    Group.create({
      name: attrs.name ?? uniqueSlug('Group '),
      description: null,
      meetingDay: attrs.meetingDay ?? null,
      meetingTime: attrs.meetingTime ?? null,
    }),
  );
}

export function addToGroup(
  tenant: Tenant,
  group: Group,
  member: Member,
  role: 'leader' | 'member' = 'member',
): Promise<GroupMember> {
  return inTenant(tenant, () => GroupMember.create({ groupId: group.id, memberId: member.id, role }));
}

/** A staff account linked to a member record, leading `group` when given. */
export async function createLinkedUser(
  tenant: Tenant,
  opts: { level?: number; leads?: Group; name?: string } = {},
): Promise<{ user: User; member: Member; email: string }> {
  const email = `${uniqueSlug('lead')}@${tenant.slug}.test`;
  const user = await createUser(tenant, {
    level: opts.level ?? 5,
    email,
    name: opts.name ?? 'Linked Person',
  });
  const member = await createMember(tenant, { firstName: opts.name ?? 'Linked', userId: user.id });
  if (opts.leads) await addToGroup(tenant, opts.leads, member, 'leader');
  return { user, member, email };
}

export function createEvent(
  tenant: Tenant,
  attrs: Partial<{
    title: string;
    kind: 'service' | 'group_meeting';
    groupId: string | null;
    startsAt: Date;
    visitorCount: number;
  }> = {},
): Promise<Event> {
  return inTenant(tenant, () =>
    Event.create({
      title: attrs.title ?? uniqueSlug('Event '),
      kind: attrs.kind ?? (attrs.groupId ? 'group_meeting' : 'service'),
      groupId: attrs.groupId ?? null,
      startsAt: attrs.startsAt ?? new Date(Date.now() - 86_400_000),
      visitorCount: attrs.visitorCount ?? 0,
    }),
  );
}

export function markPresent(tenant: Tenant, event: Event, members: Member[]): Promise<Attendance[]> {
  return inTenant(tenant, () =>
    Attendance.bulkCreate(members.map((m) => ({ eventId: event.id, memberId: m.id }))),
  );
}

/** Ids of the people marked present at the event, sorted. */
export function presentIds(tenant: Tenant, eventId: string): Promise<string[]> {
  return inTenant(tenant, async () =>
    (await Attendance.findAll({ where: { eventId } })).map((a) => String(a.memberId)).sort(),
  );
}

/** The roster as "memberId:role", sorted. */
export function rosterOf(tenant: Tenant, groupId: string): Promise<string[]> {
  return inTenant(tenant, async () =>
    (await GroupMember.findAll({ where: { groupId } })).map((p) => `${p.memberId}:${p.role}`).sort(),
  );
}

/** The audit entries with this action, the latest first. */
export function auditEntries(tenant: Tenant, action: string): Promise<AuditLog[]> {
  return inTenant(tenant, () => AuditLog.findAll({ where: { action }, order: [['id', 'DESC']] }));
}

/** The agents the group pages' access checks use. */
export interface GroupAgents {
  /** The tenant's super admin (level 0). */
  admin: supertest.Agent;
  /** A member viewer (level 4). */
  viewer: supertest.Agent;
  /** A plain member (level 5) who leads nothing. */
  plain: supertest.Agent;
  /** The user `leaderEmail`, a leader. */
  leader: supertest.Agent;
}

/** Creates a level-4 viewer and a level-5 user, then signs in the admin, those two and the leader. */
export async function signInGroupAgents(tenant: Tenant, leaderEmail: string): Promise<GroupAgents> {
  const viewerEmail = `${uniqueSlug('viewer')}@example.test`;
  const plainEmail = `${uniqueSlug('plain')}@example.test`;
  await createUser(tenant, { level: 4, email: viewerEmail });
  await createUser(tenant, { level: 5, email: plainEmail });
  return {
    admin: await signedIn(tenant, adminEmail(tenant)),
    viewer: await signedIn(tenant, viewerEmail),
    plain: await signedIn(tenant, plainEmail),
    leader: await signedIn(tenant, leaderEmail),
  };
}
