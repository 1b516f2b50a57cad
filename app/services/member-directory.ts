import {
  col,
  fn,
  literal,
  Op,
  type Order,
  type OrderItem,
  where as sqlWhere,
  type WhereOptions,
} from 'sequelize';
import { db } from '../db/database.ts';
import {
  AuditLog,
  Contribution,
  Event,
  Group,
  GroupMember,
  Household,
  Member,
  User,
} from '../models/index.ts';
import { MEMBERS_PER_PAGE, type MemberFilter } from '../validators/member.validator.ts';

/**
 * The people directory: the list's search, filters and sort, and the facts shown on a person's page.
 * The sort keys come from a whitelist (the filter schema), never from the query string as is.
 */

/** `text` as a LIKE pattern matching it anywhere, with its own % _ and backslash taken literally. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** People whose name, e-mail or phone contains `q` (a phone also by its digits alone). */
export function matching(q: string): WhereOptions<Member> {
  const pattern = containing(q);
  const either: WhereOptions<Member>[] = [
    sqlWhere(fn('concat_ws', ' ', col('Member.first_name'), col('Member.last_name')), {
      [Op.iLike]: pattern,
    }),
    { email: { [Op.iLike]: pattern } },
    { phone: { [Op.iLike]: pattern } },
  ];
  // "555 1234" finds "(555) 123-4" style numbers too: compare the digits alone.
  const digits = q.replace(/\D/g, '');
  if (digits.length >= 3) {
    either.push(
      sqlWhere(fn('regexp_replace', col('Member.phone'), '[^0-9]', '', 'g'), {
        [Op.like]: `%${digits}%`,
      }),
    );
  }
  return { [Op.or]: either };
}

function whereOf(filter: MemberFilter): WhereOptions<Member> {
  const conditions: WhereOptions<Member>[] = [];
  if (filter.status !== 'all') conditions.push({ status: filter.status });
  if (filter.group) {
    const groupId = db().escape(filter.group);
    conditions.push({
      id: { [Op.in]: literal(`(SELECT member_id FROM group_members WHERE group_id = ${groupId})`) },
    });
  }
  if (filter.q) conditions.push(matching(filter.q));
  return conditions.length ? { [Op.and]: conditions } : {};
}

const STATUS_RANK = literal(
  `array_position(ARRAY['visitor','regular','member','inactive'], "Member"."status"::text)`,
);

function orderOf(filter: MemberFilter): Order {
  const dir = filter.dir === 'desc' ? 'DESC' : 'ASC';
  const byName = (d: string): OrderItem[] => [
    ['lastName', d],
    ['firstName', d],
    ['id', d],
  ];
  if (filter.sort === 'status') return [[STATUS_RANK, dir], ...byName('ASC')];
  if (filter.sort === 'joined') return [['joinedOn', `${dir} NULLS LAST`], ...byName('ASC')];
  return byName(dir);
}

/** What a row of the directory shows: plain values, not model instances (a page builds 50 of them). */
export interface MemberRow {
  id: string;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  status: string;
  joinedOn: string | null;
  household: { id: string; name: string } | null;
}

const ROW_ATTRIBUTES = ['id', 'firstName', 'lastName', 'email', 'phone', 'status', 'joinedOn'];

/** A row as `raw: true, nest: true` returns it: the household's fields are null without one. */
type RawMemberRow = Omit<MemberRow, 'household'> & { household: { id: string | null; name: string } };

/**
 * One page of the directory (the filter's page of 50, or `window` when given), with the total count
 * of matches. The count reads `members` alone (the household join only adds names to the page), and
 * both queries run at once. The page selects only the columns the list shows and comes back as plain rows.
 */
export async function searchMembers(
  filter: MemberFilter,
  window = { limit: MEMBERS_PER_PAGE, offset: (filter.page - 1) * MEMBERS_PER_PAGE },
) {
  const where = whereOf(filter);
  const [count, rows] = await Promise.all([
    Member.count({ where }),
    Member.findAll({
      attributes: ROW_ATTRIBUTES,
      where,
      include: [{ model: Household, as: 'household', attributes: ['id', 'name'] }],
      order: orderOf(filter),
      limit: window.limit,
      offset: window.offset,
      raw: true,
      nest: true,
      // raw: true returns plain rows, which Sequelize's types still describe as instances.
    }) as unknown as Promise<RawMemberRow[]>,
  ]);
  // A left join without a match comes back as a household whose fields are all null.
  const members: MemberRow[] = rows.map((r) => ({
    ...r,
    id: String(r.id),
    household: r.household.id === null ? null : { id: String(r.household.id), name: r.household.name },
  }));
  return { members, total: count, pages: Math.max(1, Math.ceil(count / MEMBERS_PER_PAGE)) };
}

/** Every match of the filter (not one page), in the list's order: what an export contains. */
export function allMatching(filter: MemberFilter): Promise<Member[]> {
  return Member.findAll({
    where: whereOf(filter),
    include: [{ model: Household, as: 'household' }],
    order: orderOf(filter),
  });
}

/** The groups a filter can choose from. */
export function groupChoices(): Promise<Group[]> {
  return Group.findAll({ attributes: ['id', 'name'], order: [['name', 'ASC']] });
}

/** The person named by `id` with their household; null when this tenant has none. */
export function findMember(id: string): Promise<Member | null> {
  return Member.findByPk(id, { include: [{ model: Household, as: 'household' }] });
}

/** A plain copy for the audit log. */
export function memberSnapshot(member: Member): Record<string, unknown> {
  const { household: _h, groups: _g, ...fields } = member.get({ plain: true }) as Record<string, unknown>;
  return fields;
}

export function fullName(member: Pick<Member, 'firstName' | 'lastName'>): string {
  return `${member.firstName} ${member.lastName}`;
}

/** Is `email` used by another person here (case-insensitive)? */
export async function memberEmailTaken(email: string, exceptId?: string): Promise<boolean> {
  const conditions: WhereOptions<Member>[] = [sqlWhere(fn('lower', col('email')), email.toLowerCase())];
  if (exceptId) conditions.push({ id: { [Op.ne]: exceptId } });
  return (await Member.count({ where: { [Op.and]: conditions } })) > 0;
}

/** The person already linked to staff account `userId`, other than `exceptId`. */
export function memberLinkedTo(userId: string, exceptId?: string): Promise<Member | null> {
  return Member.findOne({ where: { userId, ...(exceptId ? { id: { [Op.ne]: exceptId } } : {}) } });
}

/** Staff accounts no person is linked to yet, plus the one `member` is linked to. */
export async function linkableUsers(member?: Member): Promise<User[]> {
  const taken = await Member.findAll({
    attributes: ['userId'],
    where: { userId: { [Op.ne]: null }, ...(member ? { id: { [Op.ne]: member.id } } : {}) },
  });
  const ids = taken.map((m) => m.userId).filter((id): id is string => id !== null);
  return User.findAll({
    where: ids.length ? { id: { [Op.notIn]: ids } } : {},
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}

export function householdChoices(): Promise<Household[]> {
  return Household.findAll({
    attributes: ['id', 'name'],
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
  });
}

const DAY_MS = 86_400_000;

/** What a person's page shows beside the contact facts; giving only when `withGiving`. */
export async function memberFacts(member: Member, opts: { withGiving: boolean; now?: Date }) {
  const now = opts.now ?? new Date();
  const [mates, memberships, attended, recentAttendance, timeline, linkedUser] = await Promise.all([
    member.householdId
      ? Member.findAll({
          where: { householdId: member.householdId, id: { [Op.ne]: member.id } },
          order: [
            ['lastName', 'ASC'],
            ['firstName', 'ASC'],
          ],
        })
      : Promise.resolve([]),
    GroupMember.findAll({
      where: { memberId: member.id },
      include: [{ model: Group, as: 'group' }],
      order: [[{ model: Group, as: 'group' }, 'name', 'ASC']],
    }),
    Event.findAll({
      include: [attendedBy(member)],
      order: [
        ['startsAt', 'DESC'],
        ['id', 'DESC'],
      ],
      limit: 20,
      subQuery: false,
    }),
    Event.count({
      include: [attendedBy(member)],
      where: { startsAt: { [Op.gte]: new Date(now.getTime() - 90 * DAY_MS), [Op.lte]: now } },
    }),
    AuditLog.findAll({
      where: { recordType: 'member', recordId: String(member.id) },
      order: [
        ['createdAt', 'DESC'],
        ['id', 'DESC'],
      ],
      limit: 50,
    }),
    member.userId ? User.findByPk(member.userId) : Promise.resolve(null),
  ]);
  const giving = opts.withGiving ? await givingOf(member, now) : null;
  return { mates, memberships, attended, recentAttendance, timeline, linkedUser, giving };
}

function attendedBy(member: Member) {
  return {
    model: Member,
    as: 'attendees',
    where: { id: member.id },
    attributes: [],
    through: { attributes: [] },
    required: true,
  };
}

/** This calendar year's total (integer cents, summed in SQL) and the latest 10 contributions. */
async function givingOf(member: Member, now: Date) {
  const year = now.getUTCFullYear();
  const [sum] = (await Contribution.findAll({
    attributes: [[db().cast(fn('COALESCE', fn('SUM', col('amount_cents')), 0), 'bigint'), 'total']],
    where: { memberId: member.id, receivedOn: { [Op.between]: [`${year}-01-01`, `${year}-12-31`] } },
    raw: true,
  })) as unknown as { total: string }[];
  const latest = await Contribution.findAll({
    where: { memberId: member.id },
    include: [{ association: 'fund' }],
    order: [
      ['receivedOn', 'DESC'],
      ['id', 'DESC'],
    ],
    limit: 10,
  });
  return { year, totalCents: String(sum?.total ?? '0'), latest };
}
