import type { Request, Response } from 'express';
import type { Task } from '../models/task.ts';
import type { User } from '../models/user.ts';
import { loadTask, requireWork, type Visible } from '../policies/project.policy.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import { type CommentPart, commentParts, handlesOf, mentionablePeople } from '../services/mentions.ts';
import {
  commentsOf,
  deleteComment,
  editComment,
  loadComment,
  mayDelete,
  mayEdit,
  postComment,
  requireEdit,
} from '../services/work/comments.ts';
import { backTo, commentFormValues, commentSchema } from '../validators/comment.validator.ts';
import { fieldErrors } from '../validators/common.ts';
import { signedInUser } from './signed-in.ts';

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
  const comment = await postComment(v, user, parsed.data);
  req.flash('success', 'Your comment was added.');
  res.redirect(backTo(req.body?.back, v.record.id, `#comment-${comment.id}`));
}

// POST /tasks/:taskId/comments/:id: its author may change it for 15 minutes.
export async function update(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const v = await loadTask(user, req.params.taskId);
  requireWork(v);
  const comment = await loadComment(v, req.params.id);
  requireEdit(comment, user);
  const parsed = commentSchema.safeParse(req.body ?? {});
  if (!parsed.success) {
    const form = { id: comment.id, values: commentFormValues(req.body), errors: fieldErrors(parsed.error) };
    return renderIndex(res, v, user, 422, { editForm: form });
  }
  await editComment(v, comment, user, parsed.data);
  req.flash('success', 'Your comment was changed.');
  res.redirect(backTo(req.body?.back, v.record.id, `#comment-${comment.id}`));
}

// POST /tasks/:taskId/comments/:id/delete: its author within 15 minutes, or a project manager.
export async function destroy(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const v = await loadTask(user, req.params.taskId);
  requireWork(v);
  await deleteComment(v, await loadComment(v, req.params.id), user);
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
  const rows = await commentsOf(v);
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
