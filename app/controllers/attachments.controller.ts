import type { Request, Response } from 'express';
import { config } from '../../config/index.ts';
import { ValidationError } from '../errors.ts';
import type { Task } from '../models/task.ts';
import type { User } from '../models/user.ts';
import { loadTask, requireWork, type Visible } from '../policies/project.policy.ts';
import { ALLOWED_LABELS, readUpload, showsInline, UPLOAD_ACCEPT } from '../services/attachments.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import {
  addAttachment,
  attachmentsOf,
  deleteAttachment,
  loadAttachment,
  mayRemove,
  sendAttachment,
} from '../services/work/task-attachments.ts';
import { backTo } from '../validators/comment.validator.ts';
import { signedInUser } from './signed-in.ts';

/** An attachment as `views/attachments/_list.ejs` shows it. */
export interface AttachmentItem {
  id: string;
  name: string;
  type: string;
  size: string;
  uploaderName: string;
  addedAt: string;
  addedIso: string;
  inline: boolean;
  canDelete: boolean;
}

// GET /tasks/:taskId/attachments: the task's files on a page of their own.
export async function index(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  await renderIndex(res, await loadTask(user, req.params.taskId), user, 200);
}

// POST /tasks/:taskId/attachments (multipart; the CSRF token is in the action URL)
export async function create(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const v = await loadTask(user, req.params.taskId);
  requireWork(v);
  const refused = await readUpload(req, res);
  if (refused) return renderIndex(res, v, user, refused.status, refused.message);
  try {
    const attachment = await addAttachment(v, user, req.file);
    req.flash('success', `${attachment.fileName} was attached.`);
  } catch (err) {
    if (err instanceof ValidationError) return renderIndex(res, v, user, 422, err.message);
    throw err;
  }
  res.redirect(backTo(req.body?.back, v.record.id, '#attachments'));
}

// GET /tasks/:taskId/attachments/:id: the only way to an attachment's bytes.
export async function show(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.taskId);
  const attachment = await loadAttachment(v, req.params.id);
  await sendAttachment(res, attachment);
}

// POST /tasks/:taskId/attachments/:id/delete: its uploader or a project manager.
export async function destroy(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const v = await loadTask(user, req.params.taskId);
  requireWork(v);
  const attachment = await loadAttachment(v, req.params.id);
  await deleteAttachment(v, attachment, user);
  req.flash('success', `${attachment.fileName} was removed.`);
  res.redirect(backTo(req.body?.back, v.record.id, '#attachments'));
}

/**
 * What `views/attachments/_list.ejs` needs besides `task`, `canWork` and `currentUser`: the task's
 * attachments, newest first, and the upload rules to show.
 */
export async function attachmentListLocals(
  v: Visible<Task>,
  user: User,
): Promise<{
  attachments: AttachmentItem[];
  uploadRules: { accept: string; allowed: string; maxMb: number };
}> {
  const rows = await attachmentsOf(v);
  const timeZone = await tenantTimeZone();
  const attachments = rows.map((a) => ({
    id: String(a.id),
    name: a.fileName,
    type: a.contentType,
    size: humanSize(a.sizeBytes),
    uploaderName: a.uploader?.name ?? 'A former colleague',
    addedAt: formatDateTime(a.createdAt, timeZone),
    addedIso: a.createdAt.toISOString(),
    inline: showsInline(a.contentType),
    canDelete: v.canWork && mayRemove(a, user),
  }));
  return {
    attachments,
    uploadRules: { accept: UPLOAD_ACCEPT, allowed: ALLOWED_LABELS, maxMb: config.UPLOAD_MAX_MB },
  };
}

async function renderIndex(
  res: Response,
  v: Visible<Task>,
  user: User,
  status: number,
  uploadError?: string,
): Promise<void> {
  res.status(status).render('attachments/index', {
    title: `Attachments · ${v.record.title}`,
    task: v.record,
    canWork: v.canWork,
    attachmentsBack: `/tasks/${v.record.id}/attachments`,
    uploadError,
    ...(await attachmentListLocals(v, user)),
  });
}

function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
