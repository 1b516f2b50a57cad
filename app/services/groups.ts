import { col, fn, literal, Op, UniqueConstraintError, type WhereOptions, where } from 'sequelize';
import { db } from '../db/database.ts';
import { inTransaction } from '../db/transaction-context.ts';
import { NotFound, ValidationError } from '../errors.ts';
import { Group } from '../models/group.ts';
import { GroupMember } from '../models/group-member.ts';
import { Member } from '../models/member.ts';
import { Role } from '../models/role.ts';
import { User } from '../models/user.ts';
import * as policy from '../policies/group.policy.ts';
import { idParam } from '../validators/common.ts';
import type { GroupFilter, GroupInput, GroupRole, RosterAddInput } from '../validators/group.validator.ts';
import * as audit from './audit.ts';
import { notify } from './notifications.ts';

/**
 * Groups and their rosters: the queries and the changes behind the group pages and the API. Each
 * change takes the acting user, checks their reach through the group policy (404 for a group out of
 * reach, 403 for one seen but not changed), writes, and records the audit entry.
 */

export const GROUPS_PER_PAGE = 25;
const NAME_TAKEN = 'is already the name of another group';

export interface GroupRow {
  group: Group;
  leaders: string[];
  memberCount: number;
}

export interface RosterEntry {
  member: Member;
  role: GroupRole;
  /** When the person joined the group. */
  since: Date;
}

export function memberName(m: Pick<Member, 'firstName' | 'lastName'>): string {
  return `${m.firstName} ${m.lastName}`;
}

/** `text` as an ILIKE pattern that matches it anywhere, its own % _ and backslash taken literally. */
export function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Members whose name or e-mail contains `q`. */
export function memberMatches(q: string): WhereOptions<Member> {
  const pattern = containing(q);
  return {
    [Op.or]: [
      where(fn('concat_ws', ' ', col('first_name'), col('last_name')), { [Op.iLike]: pattern }),
      { email: { [Op.iLike]: pattern } },
    ],
  };
}

/** The values a group's audit entries compare. */
export function groupSnapshot(group: Group): Record<string, unknown> {
  const { name, description, meetingDay, meetingTime } = group.get({ plain: true });
  return { name, description, meetingDay, meetingTime };
}

/** A page of the groups `visible` allows, matching `q`, with their leaders and sizes. */
export async function searchGroups(filter: GroupFilter, visible: 'all' | string[]) {
  const { groups, total } = await findGroups(filter.q, visible, {
    limit: GROUPS_PER_PAGE,
    offset: (filter.page - 1) * GROUPS_PER_PAGE,
  });
  return { groups, total, pages: Math.max(1, Math.ceil(total / GROUPS_PER_PAGE)) };
}

/** `limit` groups from `offset` of those `visible` allows whose name contains `q`, by name. */
export async function findGroups(
  q: string,
  visible: 'all' | string[],
  window: { limit: number; offset: number },
): Promise<{ groups: GroupRow[]; total: number }> {
  const conditions: WhereOptions<Group>[] = [];
  if (visible !== 'all') conditions.push({ id: visible });
  if (q) conditions.push({ name: { [Op.iLike]: containing(q) } });
  const { rows, count } = await Group.findAndCountAll({
    where: { [Op.and]: conditions },
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
    ...window,
  });
  return { groups: await withRosterFigures(rows), total: count };
}

/** The groups with their leaders' names and their sizes. */
export async function withRosterFigures(rows: Group[]): Promise<GroupRow[]> {
  const places = rows.length
    ? await GroupMember.findAll({
        where: { groupId: rows.map((g) => g.id) },
        include: [{ association: 'member', attributes: ['firstName', 'lastName'] }],
      })
    : [];
  return rows.map((group) => {
    const own = places.filter((p) => String(p.groupId) === String(group.id));
    const leaders = own.filter((p) => p.role === 'leader').map((p) => nameOf(p));
    return { group, leaders: leaders.sort(), memberCount: own.length };
  });
}

function nameOf(place: GroupMember): string {
  const member = (place as GroupMember & { member?: Member }).member;
  return member ? memberName(member) : '';
}

/** The group with this id, or null. */
export function findGroup(id: string): Promise<Group | null> {
  return Group.findByPk(id);
}

/** The group with this id (as it comes from a URL) when `user` may see it; 404 otherwise. */
export async function visibleGroup(user: User, rawId: unknown): Promise<Group> {
  const group = await findGroup(idParam(rawId));
  if (!group || !(await policy.canSeeGroup(user, group))) throw new NotFound();
  return group;
}

/** Leaders first, then by surname. */
export async function rosterOf(groupId: string): Promise<RosterEntry[]> {
  const places = await GroupMember.findAll({
    where: { groupId },
    include: [{ association: 'member', required: true }],
  });
  return places
    .map((p) => entryOf(p))
    .sort(
      (a, b) =>
        (a.role === b.role ? 0 : a.role === 'leader' ? -1 : 1) ||
        a.member.lastName.localeCompare(b.member.lastName) ||
        a.member.firstName.localeCompare(b.member.firstName),
    );
}

/** Up to `limit` people matching `q` who are not in the group yet (inactive people left out). */
export function candidatesFor(groupId: string, q: string, limit = 20): Promise<Member[]> {
  const inGroup = literal(`(SELECT member_id FROM group_members WHERE group_id = ${db().escape(groupId)})`);
  return Member.findAll({
    where: {
      [Op.and]: [memberMatches(q), { id: { [Op.notIn]: inGroup } }, { status: { [Op.ne]: 'inactive' } }],
    },
    order: [
      ['lastName', 'ASC'],
      ['firstName', 'ASC'],
      ['id', 'ASC'],
    ],
    limit,
  });
}

/** The roster entry of `rawMemberId` (as it comes from a URL) in `group`; 404 when they are not in it. */
export async function visibleEntry(group: Group, rawMemberId: unknown): Promise<RosterEntry> {
  const place = await placeIn(group.id, idParam(rawMemberId));
  if (!place) throw new NotFound();
  return entryOf(place);
}

/** The place of `memberId` in the group, or null. */
export function placeIn(groupId: string, memberId: string): Promise<GroupMember | null> {
  return GroupMember.findOne({ where: { groupId, memberId }, include: [{ association: 'member' }] });
}

export function placeMember(place: GroupMember): Member {
  return (place as GroupMember & { member: Member }).member;
}

/** The roster entry of a place loaded with its member. */
export function entryOf(place: GroupMember): RosterEntry {
  return { member: placeMember(place), role: place.role as GroupRole, since: place.createdAt };
}

/** True when another group (any case) already has this name. */
async function nameTaken(name: string, exceptId?: string): Promise<boolean> {
  const conditions: WhereOptions<Group>[] = [where(fn('lower', col('name')), name.toLowerCase())];
  if (exceptId) conditions.push({ id: { [Op.ne]: exceptId } });
  return (await Group.count({ where: { [Op.and]: conditions } })) > 0;
}

/**
 * Saves a new group, or `group` with new values. A taken name is a field message; the unique index
 * is the last guard when two people save the same name at once.
 */
export async function saveGroup(input: GroupInput, group?: Group): Promise<Group> {
  if (await nameTaken(input.name, group?.id)) throw new ValidationError({ name: NAME_TAKEN });
  try {
    return group ? await group.update(input) : await Group.create(input);
  } catch (err) {
    if (err instanceof UniqueConstraintError) throw new ValidationError({ name: NAME_TAKEN });
    throw err;
  }
}

/** The group's values as its form shows them; a partial change starts from these. */
export function groupInputValues(group: Group): Record<string, string> {
  return {
    name: group.name,
    description: group.description ?? '',
    meetingDay: group.meetingDay === null ? '' : String(group.meetingDay),
    meetingTime: group.meetingTime?.slice(0, 5) ?? '',
  };
}

/** What the audit log says about `group`. */
export function groupRecord(group: Group) {
  return { recordType: 'group', recordId: group.id, recordLabel: group.name };
}

/** A new group, audited. Changing groups takes members.edit (group leaders only run their rosters). */
export function createGroup(actor: User, input: GroupInput): Promise<Group> {
  policy.authorizeGroupChange(actor);
  return inTransaction(db(), async () => {
    const group = await saveGroup(input);
    await audit.record({ action: 'group.created', ...groupRecord(group), after: groupSnapshot(group) });
    return group;
  });
}

/** `group` with new values; audited when something changed. */
export function updateGroup(actor: User, group: Group, input: GroupInput): Promise<Group> {
  policy.authorizeGroupChange(actor);
  return inTransaction(db(), async () => {
    const before = groupSnapshot(group);
    await saveGroup(input, group);
    const after = groupSnapshot(group);
    if (Object.keys(audit.diff(before, after)).length)
      await audit.record({ action: 'group.updated', ...groupRecord(group), before, after });
    return group;
  });
}

/** Deletes `group`; its roster, meetings and their attendance go with it. */
export function deleteGroup(actor: User, group: Group): Promise<void> {
  policy.authorizeGroupChange(actor);
  return inTransaction(db(), async () => {
    const before = { ...groupSnapshot(group), people: (await rosterOf(group.id)).length };
    await group.destroy();
    await audit.record({ action: 'group.deleted', ...groupRecord(group), before });
  });
}

/** The audit snapshot of a roster entry. */
function placeSnapshot(name: string, memberId: string, role: string): Record<string, unknown> {
  return { member: name, memberId: String(memberId), role };
}

/**
 * The roster entry of `rawMemberId` (as it comes from a URL) in `group`, for a person who may change
 * the roster: 404 for a group out of reach or a person not in it, 403 for a roster only seen.
 */
export async function managedPlace(actor: User, group: Group, rawMemberId: unknown): Promise<GroupMember> {
  await policy.authorizeRoster(actor, group);
  const place = await placeIn(group.id, idParam(rawMemberId));
  if (!place) throw new NotFound();
  return place;
}

/**
 * Puts a person on the group's roster with a role, audited; a staff user so added hears of it. An
 * unknown person or one already in the group is a field message on `memberId`.
 */
export async function addToRoster(actor: User, group: Group, input: RosterAddInput): Promise<RosterEntry> {
  await policy.authorizeRoster(actor, group);
  const member = await Member.findByPk(input.memberId);
  if (!member) throw new ValidationError({ memberId: 'That person is no longer on record.' });
  const name = memberName(member);
  const taken = () => new ValidationError({ memberId: `${name} is already in ${group.name}.` });
  if (await placeIn(group.id, member.id)) throw taken();
  const place = await inTransaction(db(), async () => {
    const created = await GroupMember.create({ groupId: group.id, memberId: member.id, role: input.role });
    await audit.record({
      action: 'group.member_added',
      ...groupRecord(group),
      after: placeSnapshot(name, member.id, input.role),
    });
    return created;
  }).catch((err: unknown) => {
    // Two people adding the same person at once: the primary key is the last guard.
    throw err instanceof UniqueConstraintError ? taken() : err;
  });
  await tellMember(member, group, input.role, actor);
  return { member, role: input.role, since: place.createdAt };
}

/** Makes the person a leader or a member of the group; audited when the role changed. */
export async function changeRosterRole(
  actor: User,
  group: Group,
  rawMemberId: unknown,
  role: GroupRole,
): Promise<RosterEntry> {
  const place = await managedPlace(actor, group, rawMemberId);
  if (place.role !== role) {
    const name = memberName(placeMember(place));
    const before = placeSnapshot(name, place.memberId, place.role);
    await inTransaction(db(), async () => {
      await place.update({ role });
      const after = placeSnapshot(name, place.memberId, place.role);
      await audit.record({ action: 'group.member_role_changed', ...groupRecord(group), before, after });
    });
  }
  return entryOf(place);
}

/** Takes the person off the group's roster, audited. */
export async function removeFromRoster(
  actor: User,
  group: Group,
  rawMemberId: unknown,
): Promise<RosterEntry> {
  const place = await managedPlace(actor, group, rawMemberId);
  const entry = entryOf(place);
  await inTransaction(db(), async () => {
    await place.destroy();
    await audit.record({
      action: 'group.member_removed',
      ...groupRecord(group),
      before: placeSnapshot(memberName(entry.member), place.memberId, place.role),
    });
  });
  return entry;
}

/** A person added to a group who is also a staff user hears of it (unless they added themselves). */
async function tellMember(member: Member, group: Group, role: string, actor: User): Promise<void> {
  if (!member.userId || String(member.userId) === String(actor.id)) return;
  const user = await User.findOne({
    where: { id: member.userId, active: true },
    include: [{ model: Role, as: 'roles' }],
  });
  if (!user) return;
  await notify({
    userId: user.id,
    kind: 'group.member_added',
    title: `${actor.name} added you to ${group.name}${role === 'leader' ? ' as a leader' : ''}`,
    url: (await policy.canSeeGroup(user, group)) ? `/groups/${group.id}` : null,
  });
}

/** Id and name of the groups `visible` allows, by name, for pickers and filters. */
export function groupChoices(visible: 'all' | string[]): Promise<Group[]> {
  return Group.findAll({
    attributes: ['id', 'name', 'meetingTime'],
    where: visible === 'all' ? {} : { id: visible },
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}
