import type { Request, Response } from 'express';
import { config } from '../../config/index.ts';
import { Forbidden, NotFound } from '../errors.ts';
import { Attachment } from '../models/attachment.ts';
import type { Task } from '../models/task.ts';
import type { User } from '../models/user.ts';
import { loadTask, managesAllProjects, requireWork, type Visible } from '../policies/project.policy.ts';
import {
  ALLOWED_LABELS,
  attachFile,
  checkFile,
  isRefusal,
  openFile,
  readUpload,
  removeAttachment,
  showsInline,
  UPLOAD_ACCEPT,
} from '../services/attachments.ts';
import * as audit from '../services/audit.ts';
import { formatDateTime, tenantTimeZone } from '../services/local-time.ts';
import { contentDisposition } from '../services/storage.ts';
import { backTo } from '../validators/comment.validator.ts';
import { idParam } from '../validators/common.ts';
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
  const file = refused ?? checkFile(req.file);
  if (isRefusal(file)) return renderIndex(res, v, user, file.status, file.message);
  const attachment = await attachFile(v.record.id, user.id, file);
  await record('attachment.added', v, attachment, null, snapshot(attachment));
  req.flash('success', `${attachment.fileName} was attached.`);
  res.redirect(backTo(req.body?.back, v.record.id, '#attachments'));
}

// GET /tasks/:taskId/attachments/:id: the only way to an attachment's bytes.
export async function show(req: Request, res: Response): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.taskId);
  const attachment = await loadAttachment(v, req.params.id);
  const file = await openFile(attachment);
  if (!file) throw new NotFound('The file of this attachment is missing.');
  const inline = showsInline(attachment.contentType);
  res.set({
    'Content-Type': attachment.contentType,
    'Content-Length': String(file.size),
    'Content-Disposition': contentDisposition(attachment.fileName, inline),
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  // A browser's PDF viewer does not run in a sandboxed document; images and downloads do.
  if (attachment.contentType !== 'application/pdf') {
    res.set('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'");
  }
  file.stream.on('error', () => res.destroy());
  file.stream.pipe(res);
}

// POST /tasks/:taskId/attachments/:id/delete: its uploader or a project manager.
export async function destroy(req: Request, res: Response): Promise<void> {
  const user = signedInUser(req);
  const v = await loadTask(user, req.params.taskId);
  requireWork(v);
  const attachment = await loadAttachment(v, req.params.id);
  if (!mayDelete(attachment, user)) {
    throw new Forbidden('Only the person who attached a file or a project manager can remove it.');
  }
  const before = snapshot(attachment);
  await removeAttachment(attachment);
  await record('attachment.removed', v, attachment, before, null);
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
  const rows = await Attachment.findAll({
    where: { taskId: v.record.id },
    include: [{ association: 'uploader', attributes: ['id', 'name'] }],
    order: [
      ['createdAt', 'DESC'],
      ['id', 'DESC'],
    ],
  });
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
    canDelete: v.canWork && mayDelete(a, user),
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

/** The attachment named by the URL, only when it belongs to this task; 404 otherwise. */
async function loadAttachment(v: Visible<Task>, rawId: unknown): Promise<Attachment> {
  const attachment = await Attachment.findOne({ where: { id: idParam(rawId), taskId: v.record.id } });
  if (!attachment) throw new NotFound();
  return attachment;
}

function mayDelete(attachment: Attachment, user: User): boolean {
  const own = attachment.uploadedBy !== null && String(attachment.uploadedBy) === String(user.id);
  return own || managesAllProjects(user);
}

function snapshot(a: Attachment): Record<string, unknown> {
  return {
    taskId: String(a.taskId),
    fileName: a.fileName,
    sizeBytes: a.sizeBytes,
    contentType: a.contentType,
  };
}

function record(
  action: string,
  v: Visible<Task>,
  attachment: Attachment,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
) {
  return audit.record({
    action,
    recordType: 'attachment',
    recordId: String(attachment.id),
    recordLabel: v.record.title,
    before,
    after,
    projectId: String(v.record.projectId),
  });
}

function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
