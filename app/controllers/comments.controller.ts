import type { Request, Response } from 'express';
import { db } from '../db/database.ts';
import { Forbidden, NotFound } from '../errors.ts';
import { CommentMention } from '../models/comment-mention.ts';
import type { Task } from '../models/task.ts';
import { TaskComment } from '../models/task-comment.ts';
import type { User } from '../models/user.ts';
import { loadTask, managesAllProjects, requireWork, type Visible } from '../policies/project.policy.ts';
import * as audit from '../services/audit.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import {
  type CommentPart,
  commentParts,
  handlesOf,
  mentionablePeople,
  mentionedIds,
  replaceMentions,
} from '../services/mentions.ts';
import { notify } from '../services/notifications.ts';
import { backTo, commentFormValues, commentSchema } from '../validators/comment.validator.ts';
import { fieldErrors, idParam } from '../validators/common.ts';
import { signedInUser } from './signed-in.ts';

/** How long after posting its author may still change or delete a comment. */
export const EDIT_WINDOW_MINUTES = 15;
const EDIT_WINDOW_MS = EDIT_WINDOW_MINUTES * 60_000;

type Errors = Record<string, string>;

/** A comment as `views/comments/_list.ejs` shows it. */
export interface CommentItem {
  id: string;
  authorName: string;
  mine: boolean;
  body: string;
  lines: CommentPart[][];
  postedAt: string;
  postedIso: string;
  editedAt: string | null;
  canEdit: boolean;
  canDelete: boolean;
}

// GET /tasks/:taskId/comments: the task's comments on a page of their own.
export async function index(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  await renderIndex(res, await loadTask(user, req.params.taskId), user, 200);
}

// POST /tasks/:taskId/comments
export async function create(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const v = await loadTask(user, req.params.taskId);
  requireWork(v);
  const parsed = commentSchema.safeParse(req.body ?? {});
  if (!parsed.success) {
    const form = { values: commentFormValues(req.body), errors: fieldErrors(parsed.error) };
    return renderIndex(res, v, user, 422, { commentForm: form });
  }
  const comment = await postComment(v, user, parsed.data.body);
  req.flash('success', 'Your comment was added.');
  res.redirect(backTo(req.body?.back, v.record.id, `#comment-${comment.id}`));
}

// POST /tasks/:taskId/comments/:id: its author may change it for 15 minutes.
export async function update(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const v = await loadTask(user, req.params.taskId);
  requireWork(v);
  const comment = await loadComment(v, req.params.id);
  if (!mayEdit(comment, user)) throw new Forbidden(refusal(comment, user, 'changed'));
  const parsed = commentSchema.safeParse(req.body ?? {});
  if (!parsed.success) {
    const form = { id: comment.id, values: commentFormValues(req.body), errors: fieldErrors(parsed.error) };
    return renderIndex(res, v, user, 422, { editForm: form });
  }
  await editComment(v, comment, user, parsed.data.body);
  req.flash('success', 'Your comment was changed.');
  res.redirect(backTo(req.body?.back, v.record.id, `#comment-${comment.id}`));
}

// POST /tasks/:taskId/comments/:id/delete: its author within 15 minutes, or a project manager.
export async function destroy(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const v = await loadTask(user, req.params.taskId);
  requireWork(v);
  const comment = await loadComment(v, req.params.id);
  if (!mayDelete(comment, user)) throw new Forbidden(refusal(comment, user, 'deleted'));
  const before = await snapshot(comment);
  await db().transaction(async () => {
    await comment.destroy();
    await record('comment.deleted', v, comment, before, null);
  });
  req.flash('success', 'The comment was deleted.');
  res.redirect(backTo(req.body?.back, v.record.id, '#comments'));
}

/**
 * What `views/comments/_list.ejs` needs besides `task`, `canWork` and `currentUser`: the task's
 * comments, oldest first, and the handles of the people who can be mentioned.
 */
export async function commentListLocals(
  v: Visible<Task>,
  user: User,
): Promise<{ comments: CommentItem[]; mentionHandles: { handle: string; name: string }[] }> {
  const people = v.record.project ? await mentionablePeople(v.record.project) : [];
  const rows = await TaskComment.findAll({
    where: { taskId: v.record.id },
    include: [
      { association: 'author', attributes: ['id', 'name'] },
      { association: 'mentioned', attributes: ['id', 'name', 'email'] },
    ],
    order: [
      ['createdAt', 'ASC'],
      ['id', 'ASC'],
    ],
  });
  const timeZone = await tenantTimeZone();
  const comments = rows.map((c) => {
    const mentioned = c.mentioned ?? [];
    return {
      id: String(c.id),
      authorName: c.author?.name ?? 'A former colleague',
      mine: String(c.authorId) === String(user.id),
      body: c.body,
      lines: commentParts(c.body, [...people, ...mentioned], new Set(mentioned.map((m) => String(m.id)))),
      postedAt: formatDateTime(c.createdAt, timeZone),
      postedIso: c.createdAt.toISOString(),
      editedAt: c.editedAt ? formatDateTime(c.editedAt, timeZone) : null,
      canEdit: v.canWork && mayEdit(c, user),
      canDelete: v.canWork && mayDelete(c, user),
    };
  });
  const mentionHandles = handlesOf(people).map(({ handle, person }) => ({ handle, name: person.name }));
  return { comments, mentionHandles };
}

async function renderIndex(
  res: Response,
  v: Visible<Task>,
  user: User,
  status: number,
  forms: {
    commentForm?: { values: { body: string }; errors: Errors };
    editForm?: { id: string; values: { body: string }; errors: Errors };
  } = {},
): Promise<void> {
  res.status(status).render('comments/index', {
    title: `Comments · ${v.record.title}`,
    task: v.record,
    canWork: v.canWork,
    commentsBack: `/tasks/${v.record.id}/comments`,
    ...(await commentListLocals(v, user)),
    ...forms,
  });
}

/** The comment named by the URL, only when it belongs to this task; 404 otherwise. */
async function loadComment(v: Visible<Task>, rawId: unknown): Promise<TaskComment> {
  const comment = await TaskComment.findOne({ where: { id: idParam(rawId), taskId: v.record.id } });
  if (!comment) throw new NotFound();
  return comment;
}

function mayEdit(comment: TaskComment, user: User, now = Date.now()): boolean {
  const own = comment.authorId !== null && String(comment.authorId) === String(user.id);
  return own && now - comment.createdAt.getTime() <= EDIT_WINDOW_MS;
}

function mayDelete(comment: TaskComment, user: User): boolean {
  return mayEdit(comment, user) || managesAllProjects(user);
}

function refusal(comment: TaskComment, user: User, verb: 'changed' | 'deleted'): string {
  if (comment.authorId !== null && String(comment.authorId) === String(user.id)) {
    return `A comment can only be ${verb} in the first ${EDIT_WINDOW_MINUTES} minutes after it was posted.`;
  }
  return verb === 'changed'
    ? 'Only the author of a comment can change it.'
    : 'Only the author of a comment (in its first minutes) or a project manager can delete it.';
}

async function postComment(v: Visible<Task>, user: User, body: string): Promise<TaskComment> {
  const people = v.record.project ? await mentionablePeople(v.record.project) : [];
  return db().transaction(async () => {
    const comment = await TaskComment.create({
      taskId: v.record.id,
      authorId: user.id,
      body,
      editedAt: null,
    });
    const mentioned = mentionedIds(body, people);
    await replaceMentions(comment.id, mentioned);
    await record('comment.created', v, comment, null, await snapshot(comment));
    await tellPeople(v.record, comment, user, mentioned);
    return comment;
  });
}

async function editComment(v: Visible<Task>, comment: TaskComment, user: User, body: string): Promise<void> {
  if (body === comment.body) return;
  const people = v.record.project ? await mentionablePeople(v.record.project) : [];
  const before = await snapshot(comment);
  await db().transaction(async () => {
    await comment.update({ body, editedAt: new Date() });
    const mentioned = mentionedIds(body, people);
    await replaceMentions(comment.id, mentioned);
    await record('comment.updated', v, comment, before, await snapshot(comment));
    // Someone named only in the edit is told now; the others already were.
    await tellPeople(v.record, comment, user, mentioned, { assignee: false });
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
