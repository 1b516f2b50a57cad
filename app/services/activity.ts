import { literal, Op, type WhereOptions } from 'sequelize';
import { z } from 'zod';
import { levelCan } from '../auth/capabilities.ts';
import type { FieldChanges } from '../models/audit-log.ts';
import { Attachment, AuditLog, Project, type Task, TaskComment, User } from '../models/index.ts';
import { managesAllProjects, visibleProjectsWhere } from '../policies/project.policy.ts';
import { formatDateTime, tenantTimeZone } from './local-time.ts';

/**
 * The activity feed: audit entries told as sentences people read ("Ana moved *Fix roof* to done"),
 * with how long ago, the exact time, and a link to the record while it still exists.
 */

export const PER_PAGE = 30;

/** The page number of a feed's query string; nonsense means the first page. */
export const feedQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export interface FeedItem {
  id: string;
  action: string;
  actor: string;
  /** The words between the actor and the record's name. */
  before: string;
  /** The record's name, shown emphasised and linked; null when the entry names no record. */
  label: string | null;
  /** The words after the record's name. */
  after: string;
  href: string | null;
  iso: string;
  /** "3 min ago". */
  ago: string;
  /** "Sun 6 Dec 2026, 10:30" in the tenant's time zone. */
  absolute: string;
}

export interface FeedPage {
  items: FeedItem[];
  total: number;
  page: number;
  pages: number;
}

const STATUS_WORDS: Record<string, string> = {
  todo: 'to do',
  in_progress: 'in progress',
  review: 'review',
  done: 'done',
  planning: 'planning',
  active: 'active',
  on_hold: 'on hold',
  completed: 'completed',
  archived: 'archived',
};

/** The whole sentence as plain text, the record's name between asterisks. */
export function sentence(item: Pick<FeedItem, 'actor' | 'before' | 'label' | 'after'>): string {
  return [item.actor, item.before, item.label === null ? '' : `*${item.label}*`, item.after]
    .filter(Boolean)
    .join(' ');
}

/** "just now", "3 min ago", "2 hours ago", "yesterday", "4 days ago", "3 weeks ago", or the date. */
export function timeAgo(at: Date, now: Date, timeZone = 'UTC'): string {
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return hours === 1 ? '1 hour ago' : `${hours} hours ago`;
  const days = Math.floor(hours / 24);
  if (days === 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  if (days < 30) return `${Math.floor(days / 7)} week${days < 14 ? '' : 's'} ago`;
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  }).format(at);
}

/** What the entries of a page refer to, looked up once for the whole page. */
export interface Lookups {
  userNames: Map<string, string>;
  commentTasks: Map<string, string>;
  attachmentTasks: Map<string, string>;
}

function changed(changes: FieldChanges, ...fields: string[]): { from: unknown; to: unknown } | null {
  for (const f of fields) if (changes[f]) return changes[f];
  return null;
}

function text(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

function statusWord(v: unknown): string {
  const s = text(v) ?? '';
  return STATUS_WORDS[s] ?? s.replace(/_/g, ' ');
}

/** The person a membership or assignment entry is about: a name it carries, or the user id's name. */
function personIn(changes: FieldChanges, lookups: Lookups, side: 'from' | 'to'): string | null {
  for (const f of ['member', 'assignee', 'userName', 'memberName', 'assigneeName', 'user']) {
    const v = text(changes[f]?.[side]);
    if (v && !/^\d+$/.test(v)) return v;
  }
  for (const f of ['userId', 'assigneeId', 'user_id', 'assignee_id']) {
    const id = text(changes[f]?.[side]);
    if (id) return lookups.userNames.get(id) ?? 'a former colleague';
  }
  return null;
}

function taskIdIn(changes: FieldChanges): string | null {
  const c = changed(changes, 'taskId', 'task_id');
  return text(c?.to) ?? text(c?.from);
}

type Parts = Pick<FeedItem, 'before' | 'label' | 'after' | 'href'>;

function projectParts(entry: AuditLog, lookups: Lookups): Parts {
  const { changes } = entry;
  const label = entry.recordLabel ?? 'a project';
  const projectId = entry.recordType === 'project' ? (entry.recordId ?? entry.projectId) : entry.projectId;
  const href = projectId ? `/projects/${projectId}` : null;
  const person = personIn(changes, lookups, 'to') ?? personIn(changes, lookups, 'from');
  const who = person ?? 'someone';
  const role = text(changed(changes, 'role')?.to);
  switch (entry.action) {
    case 'project.created':
      return { before: 'created the project', label, after: '', href };
    case 'project.deleted':
      return { before: 'deleted the project', label, after: '', href: null };
    case 'project.member_added':
      return { before: `added ${who} to`, label, after: role === 'viewer' ? 'as a viewer' : '', href };
    case 'project.member_removed':
      return { before: `removed ${who} from`, label, after: '', href };
    case 'project.role_changed':
    case 'project.member_role_changed':
      // The person's name is only in the entry when the change recorded it (it did not change).
      return person
        ? {
            before: `made ${person} ${role === 'viewer' ? 'a viewer' : 'a member'} of`,
            label,
            after: '',
            href,
          }
        : { before: "changed a member's role in", label, after: role ? `to ${role}` : '', href };
  }
  const status = changed(changes, 'status');
  if (status) return { before: 'moved the project', label, after: `to ${statusWord(status.to)}`, href };
  const name = changed(changes, 'name');
  if (name && text(name.from))
    return {
      before: 'renamed the project',
      label: text(name.from),
      after: `to ${text(name.to) ?? ''}`,
      href,
    };
  return { before: 'updated the project', label, after: '', href };
}

function taskParts(entry: AuditLog, lookups: Lookups): Parts {
  const { changes } = entry;
  const label = entry.recordLabel ?? 'a task';
  const href = entry.recordId ? `/tasks/${entry.recordId}` : null;
  const assignee = personIn(changes, lookups, 'to');
  switch (entry.action) {
    case 'task.created':
      return { before: 'created', label, after: '', href };
    case 'task.completed':
      return { before: 'completed', label, after: '', href };
    case 'task.reopened':
      return { before: 'reopened', label, after: '', href };
    case 'task.deleted':
      return { before: 'deleted', label, after: '', href: null };
    case 'task.assigned':
      return assignee
        ? { before: 'assigned', label, after: `to ${assignee}`, href }
        : { before: 'unassigned', label, after: '', href };
  }
  const status = changed(changes, 'status');
  if (status) return { before: 'moved', label, after: `to ${statusWord(status.to)}`, href };
  if (changed(changes, 'assigneeId', 'assignee_id'))
    return assignee
      ? { before: 'assigned', label, after: `to ${assignee}`, href }
      : { before: 'unassigned', label, after: '', href };
  const title = changed(changes, 'title');
  if (title && text(title.from))
    return { before: 'renamed', label: text(title.from), after: `to ${text(title.to) ?? ''}`, href };
  if (changed(changes, 'dueAt', 'due_at'))
    return { before: 'changed the due date of', label, after: '', href };
  if (changed(changes, 'priority'))
    return { before: 'set the priority of', label, after: `to ${text(changes.priority?.to) ?? ''}`, href };
  return { before: 'updated', label, after: '', href };
}

function commentParts(entry: AuditLog, lookups: Lookups): Parts {
  const taskId = (entry.recordId && lookups.commentTasks.get(entry.recordId)) || taskIdIn(entry.changes);
  const exists = entry.recordId !== null && lookups.commentTasks.has(entry.recordId);
  const href = taskId ? `/tasks/${taskId}${exists ? `#comment-${entry.recordId}` : ''}` : null;
  const label = entry.recordLabel ?? 'a task';
  if (entry.action === 'comment.updated') return { before: 'edited a comment on', label, after: '', href };
  if (entry.action === 'comment.deleted') return { before: 'deleted a comment on', label, after: '', href };
  return { before: 'commented on', label, after: '', href };
}

function attachmentParts(entry: AuditLog, lookups: Lookups): Parts {
  const taskId = (entry.recordId && lookups.attachmentTasks.get(entry.recordId)) || taskIdIn(entry.changes);
  const href = taskId ? `/tasks/${taskId}` : null;
  const file = changed(entry.changes, 'fileName', 'file_name');
  const fileName = text(file?.to) ?? text(file?.from);
  const label = entry.recordLabel ?? 'a task';
  if (entry.action === 'attachment.removed')
    return { before: `removed ${fileName ?? 'a file'} from`, label, after: '', href };
  return { before: `attached ${fileName ?? 'a file'} to`, label, after: '', href };
}

const OTHER_LINKS: Partial<Record<string, (id: string) => string>> = {
  member: (id) => `/members/${id}`,
  group: (id) => `/groups/${id}`,
  user: (id) => `/users/${id}`,
};

/** Entries of the other modules (people, giving, settings...): "Ana updated the member *Jane*". */
function otherParts(entry: AuditLog): Parts {
  const [, verb = entry.action] = entry.action.split('.');
  const gone = /deleted|removed|reversed/.test(verb);
  const link = OTHER_LINKS[entry.recordType];
  return {
    before: `${verb.replace(/_/g, ' ')} the ${entry.recordType.replace(/_/g, ' ')}`,
    label: entry.recordLabel,
    after: '',
    href: link && entry.recordId && !gone ? link(entry.recordId) : null,
  };
}

/** The sentence parts of one entry. */
export function describe(entry: AuditLog, lookups: Lookups): Parts {
  switch (entry.recordType) {
    case 'project':
    case 'project_member':
      return projectParts(entry, lookups);
    case 'task':
      return taskParts(entry, lookups);
    case 'comment':
      return commentParts(entry, lookups);
    case 'attachment':
      return attachmentParts(entry, lookups);
    default:
      return otherParts(entry);
  }
}

async function lookupsFor(entries: AuditLog[]): Promise<Lookups> {
  const userIds = new Set<string>();
  for (const e of entries)
    for (const f of ['userId', 'assigneeId', 'user_id', 'assignee_id'])
      for (const side of ['from', 'to'] as const) {
        const id = text(e.changes[f]?.[side]);
        if (id && /^[1-9]\d{0,17}$/.test(id)) userIds.add(id);
      }
  const idsOf = (type: string) =>
    entries.filter((e) => e.recordType === type && e.recordId && /^[1-9]\d{0,17}$/.test(e.recordId));
  const commentIds = idsOf('comment').map((e) => e.recordId as string);
  const attachmentIds = idsOf('attachment').map((e) => e.recordId as string);
  const [users, comments, attachments] = await Promise.all([
    userIds.size ? User.findAll({ attributes: ['id', 'name'], where: { id: [...userIds] } }) : [],
    commentIds.length ? TaskComment.findAll({ attributes: ['id', 'taskId'], where: { id: commentIds } }) : [],
    attachmentIds.length
      ? Attachment.findAll({ attributes: ['id', 'taskId'], where: { id: attachmentIds } })
      : [],
  ]);
  return {
    userNames: new Map(users.map((u) => [String(u.id), u.name])),
    commentTasks: new Map(comments.map((c) => [String(c.id), String(c.taskId)])),
    attachmentTasks: new Map(attachments.map((a) => [String(a.id), String(a.taskId)])),
  };
}

/** Feed items for audit entries, newest first as given. */
export async function feedItems(entries: AuditLog[], now = new Date()): Promise<FeedItem[]> {
  const [lookups, timeZone] = await Promise.all([lookupsFor(entries), tenantTimeZone()]);
  return entries.map((entry) => ({
    id: String(entry.id),
    action: entry.action,
    actor: entry.actorName && entry.actorName !== 'system' ? entry.actorName : 'Steward',
    ...describe(entry, lookups),
    iso: entry.createdAt.toISOString(),
    ago: timeAgo(entry.createdAt, now, timeZone),
    absolute: formatDateTime(entry.createdAt, timeZone),
  }));
}

/**
 * The entries a user may read across the tenant: everything for those who may read the audit log;
 * otherwise only entries of projects they can see (every project for project managers).
 */
export async function visibleEntriesWhere(user: User): Promise<WhereOptions<AuditLog>> {
  if (levelCan(user.permissionLevel, 'audit.view')) return {};
  return projectEntriesWhere(user);
}

/** Entries of the projects the user can see, whatever the user's other rights. */
async function projectEntriesWhere(user: User): Promise<WhereOptions<AuditLog>> {
  if (managesAllProjects(user)) return { projectId: { [Op.ne]: null } };
  const projects = await Project.findAll({ attributes: ['id'], where: visibleProjectsWhere(user) });
  return { projectId: projects.map((p) => p.id) };
}

/** The entries about a task: its own, and those of its comments and attachments (even deleted ones). */
export function taskEntriesWhere(task: Task): WhereOptions<AuditLog> {
  const id = String(task.id);
  const escaped = AuditLog.sequelize?.escape(id) ?? "''";
  const ofTask = (table: string) => literal(`(SELECT id::text FROM ${table} WHERE task_id = ${escaped})`);
  const mentionsTask = [
    { changes: { taskId: { to: id } } },
    { changes: { taskId: { from: id } } },
    { changes: { task_id: { to: id } } },
    { changes: { task_id: { from: id } } },
  ];
  return {
    [Op.or]: [
      { recordType: 'task', recordId: id },
      { recordType: 'comment', recordId: { [Op.in]: ofTask('task_comments') } },
      { recordType: 'attachment', recordId: { [Op.in]: ofTask('attachments') } },
      { recordType: ['comment', 'attachment'], [Op.or]: mentionsTask },
    ],
  } as WhereOptions<AuditLog>;
}

/** One page of entries matching `where`, newest first, as feed items. */
export async function feedPage(
  where: WhereOptions<AuditLog>,
  page: number,
  now = new Date(),
): Promise<FeedPage> {
  const { items, total } = await feedSlice(where, { limit: PER_PAGE, offset: (page - 1) * PER_PAGE }, now);
  return { items, total, page, pages: Math.max(1, Math.ceil(total / PER_PAGE)) };
}

/** `limit` entries matching `where` from `offset` on, newest first, as feed items, and how many match. */
export async function feedSlice(
  where: WhereOptions<AuditLog>,
  opts: { limit: number; offset: number },
  now = new Date(),
): Promise<{ items: FeedItem[]; total: number }> {
  const { rows, count } = await AuditLog.findAndCountAll({
    where,
    order: [
      ['createdAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit: opts.limit,
    offset: opts.offset,
  });
  return { items: await feedItems(rows, now), total: count };
}

/** The latest work entries (projects, tasks, comments, files) the user may see, for dashboards. */
export async function recentWork(user: User, limit = 10, now = new Date()): Promise<FeedItem[]> {
  const rows = await AuditLog.findAll({
    where: await projectEntriesWhere(user),
    order: [
      ['createdAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit,
  });
  return feedItems(rows, now);
}
