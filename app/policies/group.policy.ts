import { levelCan } from '../auth/capabilities.ts';
import { Forbidden, NotFound } from '../errors.ts';
import { GroupMember } from '../models/group-member.ts';
import type { User } from '../models/user.ts';

/**
 * Which groups, rosters, meetings and attendance a person may reach. Those who can view members
 * (levels 0-4) see every group; anyone else sees only the groups they lead, through the member
 * record linked to their account. A record outside a person's reach answers 404, so its existence
 * is not revealed; one they can see but not change answers 403.
 */

interface GroupRef {
  id: string;
}

interface EventRef {
  kind: 'service' | 'group_meeting';
  groupId: string | null;
}

/** Ids of the groups `user` leads (as the member linked to their account). */
export async function ledGroupIds(user: User): Promise<string[]> {
  const rows = await GroupMember.findAll({
    attributes: ['groupId'],
    where: { role: 'leader' },
    include: [{ association: 'member', attributes: [], where: { userId: user.id }, required: true }],
  });
  return rows.map((r) => String(r.groupId));
}

async function leads(user: User, groupId: string | null): Promise<boolean> {
  if (!groupId) return false;
  return (await ledGroupIds(user)).includes(String(groupId));
}

/** 'all', or the ids of the only groups `user` may see. */
export async function visibleGroupIds(user: User): Promise<'all' | string[]> {
  return levelCan(user.permissionLevel, 'members.view') ? 'all' : ledGroupIds(user);
}

export async function canSeeGroup(user: User, group: GroupRef): Promise<boolean> {
  return levelCan(user.permissionLevel, 'members.view') || leads(user, group.id);
}

/** Adding, removing and promoting people: those who edit members, and the group's own leaders. */
export async function canManageRoster(user: User, group: GroupRef): Promise<boolean> {
  return levelCan(user.permissionLevel, 'members.edit') || leads(user, group.id);
}

/** Services are seen by those who view members; a group's meetings also by its leaders. */
export async function canSeeEvent(user: User, event: EventRef): Promise<boolean> {
  return levelCan(user.permissionLevel, 'members.view') || leads(user, event.groupId);
}

/** Planning, changing and taking attendance: services by those who edit members, meetings also by the group's leaders. */
export async function canManageEvent(user: User, event: EventRef): Promise<boolean> {
  if (levelCan(user.permissionLevel, 'members.edit')) return true;
  return event.kind === 'group_meeting' && leads(user, event.groupId);
}

/** May `user` plan any event at all (a service, or a meeting of a group they lead)? */
export async function canPlanEvents(user: User): Promise<boolean> {
  return levelCan(user.permissionLevel, 'members.edit') || (await ledGroupIds(user)).length > 0;
}

/** Creating, changing and deleting groups themselves: those who edit members (leaders run rosters only). */
export function canChangeGroups(user: User): boolean {
  return levelCan(user.permissionLevel, 'members.edit');
}

/** 403 for anyone who may not create, change or delete groups. */
export function authorizeGroupChange(user: User): void {
  if (!canChangeGroups(user)) throw new Forbidden();
}

/** 404 for a group out of reach, 403 for a roster seen but not managed. */
export async function authorizeRoster(user: User, group: GroupRef): Promise<void> {
  if (await canManageRoster(user, group)) return;
  throw (await canSeeGroup(user, group)) ? new Forbidden() : new NotFound();
}

/** 404 for an event out of reach, 403 for one seen but not managed. */
export async function authorizeEvent(user: User, event: EventRef): Promise<void> {
  if (await canManageEvent(user, event)) return;
  throw (await canSeeEvent(user, event)) ? new Forbidden() : new NotFound();
}
