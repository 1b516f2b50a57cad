import { col, fn, literal, Op, UniqueConstraintError, type WhereOptions, where } from 'sequelize';
import { db } from '../db/database.ts';
import { ValidationError } from '../errors.ts';
import { Group } from '../models/group.ts';
import { GroupMember } from '../models/group-member.ts';
import { Member } from '../models/member.ts';
import type { GroupFilter, GroupInput, GroupRole } from '../validators/group.validator.ts';

/** Groups and their rosters: the queries the group pages need, kept out of the controllers. */

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
  const conditions: WhereOptions<Group>[] = [];
  if (visible !== 'all') conditions.push({ id: visible });
  if (filter.q) conditions.push({ name: { [Op.iLike]: containing(filter.q) } });
  const { rows, count } = await Group.findAndCountAll({
    where: { [Op.and]: conditions },
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
    limit: GROUPS_PER_PAGE,
    offset: (filter.page - 1) * GROUPS_PER_PAGE,
  });
  const places = rows.length
    ? await GroupMember.findAll({
        where: { groupId: rows.map((g) => g.id) },
        include: [{ association: 'member', attributes: ['firstName', 'lastName'] }],
      })
    : [];
  const groups: GroupRow[] = rows.map((group) => {
    const own = places.filter((p) => String(p.groupId) === String(group.id));
    const leaders = own.filter((p) => p.role === 'leader').map((p) => nameOf(p));
    return { group, leaders: leaders.sort(), memberCount: own.length };
  });
  return { groups, total: count, pages: Math.max(1, Math.ceil(count / GROUPS_PER_PAGE)) };
}

function nameOf(place: GroupMember): string {
  const member = (place as GroupMember & { member?: Member }).member;
  return member ? memberName(member) : '';
}

/** The group with this id, or null. */
export function findGroup(id: string): Promise<Group | null> {
  return Group.findByPk(id);
}

/** Leaders first, then by surname. */
export async function rosterOf(groupId: string): Promise<RosterEntry[]> {
  const places = await GroupMember.findAll({
    where: { groupId },
    include: [{ association: 'member', required: true }],
  });
  return places
    .map((p) => ({ member: (p as GroupMember & { member: Member }).member, role: p.role as GroupRole }))
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

/** The place of `memberId` in the group, or null. */
export function placeIn(groupId: string, memberId: string): Promise<GroupMember | null> {
  return GroupMember.findOne({ where: { groupId, memberId }, include: [{ association: 'member' }] });
}

export function placeMember(place: GroupMember): Member {
  return (place as GroupMember & { member: Member }).member;
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
