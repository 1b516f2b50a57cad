import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { Forbidden, NotFound } from '../../errors.ts';
import { CommentMention } from '../../models/comment-mention.ts';
import type { Task } from '../../models/task.ts';
import { TaskComment } from '../../models/task-comment.ts';
import type { User } from '../../models/user.ts';
import { managesAllProjects, requireWork, type Visible } from '../../policies/project.policy.ts';
import type { CommentInput } from '../../validators/comment.validator.ts';
import { idParam } from '../../validators/common.ts';
import * as audit from '../audit.ts';
import { mentionablePeople, mentionedIds, replaceMentions } from '../mentions.ts';
import { notify } from '../notifications.ts';

/**
 * Comments on tasks, for the pages and the API alike. The task comes loaded through the project
 * policy (`loadTask`), so a comment is only ever reached through a task its reader may see.
 */

/** How long after posting its author may still change or delete a comment. */
export const EDIT_WINDOW_MINUTES = 15;
const EDIT_WINDOW_MS = EDIT_WINDOW_MINUTES * 60_000;

const PEOPLE = [
  { association: 'author', attributes: ['id', 'name'] },
  { association: 'mentioned', attributes: ['id', 'name', 'email'] },
];

const OLDEST_FIRST: [string, string][] = [
  ['createdAt', 'ASC'],
  ['id', 'ASC'],
];

/** The task's comments, oldest first, with their authors and the people they mention. */
export function commentsOf(v: Visible<Task>): Promise<TaskComment[]> {
  return TaskComment.findAll({ where: { taskId: v.record.id }, include: PEOPLE, order: OLDEST_FIRST });
}

/** `limit` of the task's comments from `offset` on, oldest first, and how many it has. */
export async function commentSlice(
  v: Visible<Task>,
  opts: { limit: number; offset: number },
): Promise<{ rows: TaskComment[]; total: number }> {
  const { rows, count } = await TaskComment.findAndCountAll({
    where: { taskId: v.record.id },
    include: PEOPLE,
    order: OLDEST_FIRST,
    limit: opts.limit,
    offset: opts.offset,
    distinct: true,
  });
  return { rows, total: count };
}

/** The comment named by `rawId`, only when it belongs to this task; 404 otherwise. */
export async function loadComment(
  v: Visible<Task>,
  rawId: unknown,
  opts: { withPeople?: boolean } = {},
): Promise<TaskComment> {
  const include = opts.withPeople ? PEOPLE : [];
  const comment = await TaskComment.findOne({ where: { id: idParam(rawId), taskId: v.record.id }, include });
  if (!comment) throw new NotFound();
  return comment;
}

/** Its author, in the first minutes after posting. */
export function mayEdit(comment: TaskComment, user: User, now = Date.now()): boolean {
  const own = comment.authorId !== null && String(comment.authorId) === String(user.id);
  return own && now - comment.createdAt.getTime() <= EDIT_WINDOW_MS;
}

/** Its author while they may still edit it, or a project manager. */
export function mayDelete(comment: TaskComment, user: User): boolean {
  return mayEdit(comment, user) || managesAllProjects(user);
}

/** Throws 403 (saying why) unless the user may change the comment. */
export function requireEdit(comment: TaskComment, user: User): void {
  if (!mayEdit(comment, user)) throw new Forbidden(refusal(comment, user, 'changed'));
}

/** Throws 403 (saying why) unless the user may delete the comment. */
export function requireDelete(comment: TaskComment, user: User): void {
  if (!mayDelete(comment, user)) throw new Forbidden(refusal(comment, user, 'deleted'));
}

function refusal(comment: TaskComment, user: User, verb: 'changed' | 'deleted'): string {
  if (comment.authorId !== null && String(comment.authorId) === String(user.id)) {
    return `A comment can only be ${verb} in the first ${EDIT_WINDOW_MINUTES} minutes after it was posted.`;
  }
  return verb === 'changed'
    ? 'Only the author of a comment can change it.'
    : 'Only the author of a comment (in its first minutes) or a project manager can delete it.';
}

/** Posts `user`'s comment on the task, stores its mentions and tells the people it concerns. */
export async function postComment(v: Visible<Task>, user: User, input: CommentInput): Promise<TaskComment> {
  requireWork(v);
  const people = v.record.project ? await mentionablePeople(v.record.project) : [];
  return inTransaction(db(), async () => {
    const comment = await TaskComment.create({
      taskId: v.record.id,
      authorId: user.id,
      body: input.body,
      editedAt: null,
    });
    const mentioned = mentionedIds(input.body, people);
    await replaceMentions(comment.id, mentioned);
    await record('comment.created', v, comment, null, await snapshot(comment));
    await tellPeople(v.record, comment, user, mentioned);
    return comment;
  });
}

/** Changes the comment's text (its author, within the edit window); the same text changes nothing. */
export async function editComment(
  v: Visible<Task>,
  comment: TaskComment,
  user: User,
  input: CommentInput,
): Promise<TaskComment> {
  requireWork(v);
  requireEdit(comment, user);
  if (input.body === comment.body) return comment;
  const people = v.record.project ? await mentionablePeople(v.record.project) : [];
  const before = await snapshot(comment);
  await inTransaction(db(), async () => {
    await comment.update({ body: input.body, editedAt: new Date() });
    const mentioned = mentionedIds(input.body, people);
    await replaceMentions(comment.id, mentioned);
    await record('comment.updated', v, comment, before, await snapshot(comment));
    // Someone named only in the edit is told now; the others already were.
    await tellPeople(v.record, comment, user, mentioned, { assignee: false });
  });
  return comment;
}

/** Deletes the comment (its author within the edit window, or a project manager), audited. */
export async function deleteComment(v: Visible<Task>, comment: TaskComment, user: User): Promise<void> {
  requireWork(v);
  requireDelete(comment, user);
  const before = await snapshot(comment);
  await inTransaction(db(), async () => {
    await comment.destroy();
    await record('comment.deleted', v, comment, before, null);
  });
}

/**
 * Tells the people `@mentioned` in a comment, and the task's assignee that their task has a comment;
 * never the author, and one notification per person per comment (the dedupe key holds across edits).
 * Runs inside the comment's transaction, so nothing is pushed for a comment that is not saved.
 */
async function tellPeople(
  task: Task,
  comment: TaskComment,
  author: User,
  mentioned: string[],
  opts: { assignee?: boolean } = {},
): Promise<void> {
  const self = String(author.id);
  const told: string[] = [];
  const url = `/tasks/${task.id}#comment-${comment.id}`;
  const said = { body: comment.body, url, dedupeKey: `comment:${comment.id}` };
  for (const userId of mentioned.filter((id) => id !== self)) {
    const title = `${author.name} mentioned you on “${task.title}”`;
    if (await notify({ userId, kind: 'task.mentioned', title, ...said })) told.push(userId);
  }
  if (told.length)
    await CommentMention.update(
      { notifiedAt: new Date() },
      { where: { commentId: comment.id, userId: told } },
    );
  const assignee = task.assigneeId ? String(task.assigneeId) : null;
  if (opts.assignee === false || !assignee || assignee === self || mentioned.includes(assignee)) return;
  await notify({
    userId: assignee,
    kind: 'task.commented',
    title: `${author.name} commented on “${task.title}”`,
    ...said,
  });
}

/** The comment for the audit log: its text is not secret, so it is kept whole. */
async function snapshot(comment: TaskComment): Promise<Record<string, unknown>> {
  const mentions = await CommentMention.findAll({
    where: { commentId: comment.id },
    attributes: ['userId'],
    order: [['userId', 'ASC']],
  });
  return {
    taskId: String(comment.taskId),
    authorId: comment.authorId === null ? null : String(comment.authorId),
    body: comment.body,
    bodyLength: comment.body.length,
    mentionedUserIds: mentions.map((m) => String(m.userId)),
  };
}

function record(
  action: string,
  v: Visible<Task>,
  comment: TaskComment,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
) {
  return audit.record({
    action,
    recordType: 'comment',
    recordId: String(comment.id),
    recordLabel: v.record.title,
    before,
    after,
    projectId: String(v.record.projectId),
  });
}
