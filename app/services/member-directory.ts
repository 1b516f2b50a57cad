import { col, fn, literal, Op, QueryTypes, where as sqlWhere, type WhereOptions } from 'sequelize';
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

/** How a value reaches the SQL text: as a bind parameter (`$n`) or as an escaped literal. */
type Param = (value: unknown) => string;

const inline: Param = (value) => db().escape(value as string);

function bound(): { param: Param; bind: unknown[] } {
  const bind: unknown[] = [];
  return {
    bind,
    param: (value) => {
      bind.push(value);
      return `$${bind.length}`;
    },
  };
}

/** People (table alias `m`) whose name, e-mail or phone contains `q` (a phone also by its digits alone). */
function matchingSql(q: string, m: string, param: Param): string {
  const pattern = param(containing(q));
  const either = [
    `concat_ws(' ', ${m}.first_name, ${m}.last_name) ILIKE ${pattern}`,
    `${m}.email ILIKE ${pattern}`,
    `${m}.phone ILIKE ${pattern}`,
  ];
  // "555 1234" finds "(555) 123-4" style numbers too: compare the digits alone.
  const digits = q.replace(/\D/g, '');
  if (digits.length >= 3)
    either.push(`regexp_replace(${m}.phone, '[^0-9]', '', 'g') LIKE ${param(`%${digits}%`)}`);
  return `(${either.join(' OR ')})`;
}

/** People whose name, e-mail or phone contains `q`, as a condition of a Member query. */
export function matching(q: string): WhereOptions<Member> {
  return literal(matchingSql(q, '"Member"', inline));
}

/**
 * The list's filter as SQL conditions over `members` (alias `m`). Written once as text: the
 * directory's page runs on every visit, and building the statement through the ORM cost more than
 * running it. An empty list means no condition.
 */
function filterSql(filter: MemberFilter, m: string, param: Param): string[] {
  const parts: string[] = [];
  if (filter.status !== 'all') parts.push(`${m}.status = ${param(filter.status)}`);
  if (filter.group)
    parts.push(`${m}.id IN (SELECT member_id FROM group_members WHERE group_id = ${param(filter.group)})`);
  if (filter.q) parts.push(matchingSql(filter.q, m, param));
  return parts;
}

/** The list's order as SQL; the sort and direction come from the filter schema's whitelist. */
function orderSql(filter: MemberFilter, m: string): string {
  const dir = filter.dir === 'desc' ? 'DESC' : 'ASC';
  const byName = (d: string) => `${m}.last_name ${d}, ${m}.first_name ${d}, ${m}.id ${d}`;
  if (filter.sort === 'status')
    return `array_position(ARRAY['visitor','regular','member','inactive'], ${m}.status::text) ${dir}, ${byName('ASC')}`;
  if (filter.sort === 'joined') return `${m}.joined_on ${dir} NULLS LAST, ${byName('ASC')}`;
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

type RawMemberRow = Omit<MemberRow, 'household'> & {
  householdId: string | null;
  householdName: string | null;
};

/**
 * One page of the directory (the filter's page of 50, or `window` when given), with the total count
 * of matches. The count reads `members` alone (the household join only adds names to the page), and
 * both queries run at once. The page selects only the columns the list shows, as plain rows.
 */
export async function searchMembers(
  filter: MemberFilter,
  window = { limit: MEMBERS_PER_PAGE, offset: (filter.page - 1) * MEMBERS_PER_PAGE },
) {
  const { param, bind } = bound();
  const conditions = filterSql(filter, 'm', param);
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const n = bind.length;
  const [[counted], rows] = await Promise.all([
    db().query<{ count: number }>(`SELECT count(*)::int AS count FROM members m ${where}`, {
      bind,
      type: QueryTypes.SELECT,
    }),
    db().query<RawMemberRow>(
      `SELECT m.id, m.first_name AS "firstName", m.last_name AS "lastName", m.email, m.phone, m.status,
              m.joined_on AS "joinedOn", h.id AS "householdId", h.name AS "householdName"
         FROM members m LEFT JOIN households h ON h.id = m.household_id
         ${where}
        ORDER BY ${orderSql(filter, 'm')}
        LIMIT $${n + 1} OFFSET $${n + 2}`,
      { bind: [...bind, window.limit, window.offset], type: QueryTypes.SELECT },
    ),
  ]);
  const members: MemberRow[] = rows.map(({ householdId, householdName, ...r }) => ({
    ...r,
    id: String(r.id),
    household: householdId === null ? null : { id: String(householdId), name: householdName ?? '' },
  }));
  const count = counted?.count ?? 0;
  return { members, total: count, pages: Math.max(1, Math.ceil(count / MEMBERS_PER_PAGE)) };
}

/** Every match of the filter (not one page), in the list's order: what an export contains. */
export function allMatching(filter: MemberFilter): Promise<Member[]> {
  const conditions = filterSql(filter, '"Member"', inline);
  return Member.findAll({
    where: conditions.length ? literal(conditions.join(' AND ')) : {},
    include: [{ model: Household, as: 'household' }],
    order: literal(orderSql(filter, '"Member"')),
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
