import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { Forbidden, NotFound, ValidationError } from '../../errors.ts';
import { Attachment } from '../../models/attachment.ts';
import type { Task } from '../../models/task.ts';
import type { User } from '../../models/user.ts';
import { managesAllProjects, requireWork, type Visible } from '../../policies/project.policy.ts';
import { idParam } from '../../validators/common.ts';
import { attachFile, checkFile, isRefusal, openFile, removeAttachment, showsInline } from '../attachments.ts';
import * as audit from '../audit.ts';
import { contentDisposition } from '../storage.ts';

/**
 * The files attached to a task, for the pages and the API alike: the task comes loaded through the
 * project policy (`loadTask`), so an attachment is only ever reached through a task its reader may see.
 */

const UPLOADER = [{ association: 'uploader', attributes: ['id', 'name'] }];

const NEWEST_FIRST: [string, string][] = [
  ['createdAt', 'DESC'],
  ['id', 'DESC'],
];

/** The task's attachments, newest first, with their uploaders. */
export function attachmentsOf(v: Visible<Task>): Promise<Attachment[]> {
  return Attachment.findAll({ where: { taskId: v.record.id }, include: UPLOADER, order: NEWEST_FIRST });
}

/** `limit` of the task's attachments from `offset` on, newest first, and how many it has. */
export async function attachmentSlice(
  v: Visible<Task>,
  opts: { limit: number; offset: number },
): Promise<{ rows: Attachment[]; total: number }> {
  const { rows, count } = await Attachment.findAndCountAll({
    where: { taskId: v.record.id },
    include: UPLOADER,
    order: NEWEST_FIRST,
    limit: opts.limit,
    offset: opts.offset,
  });
  return { rows, total: count };
}

/** The attachment named by `rawId`, only when it belongs to this task; 404 otherwise. */
export async function loadAttachment(
  v: Visible<Task>,
  rawId: unknown,
  opts: { withUploader?: boolean } = {},
): Promise<Attachment> {
  const include = opts.withUploader ? UPLOADER : [];
  const attachment = await Attachment.findOne({
    where: { id: idParam(rawId), taskId: v.record.id },
    include,
  });
  if (!attachment) throw new NotFound();
  return attachment;
}

/**
 * Sends the attachment's bytes with the type of its extension: images and PDF shown inline, the rest
 * downloaded, never sniffed, never cached, and (but for PDF) in a sandbox. 404 when the file is gone.
 */
export async function sendAttachment(res: Response, attachment: Attachment): Promise<void> {
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
  // Resolves once the answer is sent (or the client is gone), so no caller answers over it.
  await pipeline(file.stream, res).catch(() => res.destroy());
}

/** The person who attached the file, or a project manager. */
export function mayRemove(attachment: Attachment, user: User): boolean {
  const own = attachment.uploadedBy !== null && String(attachment.uploadedBy) === String(user.id);
  return own || managesAllProjects(user);
}

/**
 * Attaches an uploaded file to the task after the allow-list checks (extension, declared type,
 * content); a refused file is a ValidationError on `file` with the reason.
 */
export async function addAttachment(
  v: Visible<Task>,
  user: User,
  upload: Express.Multer.File | undefined,
): Promise<Attachment> {
  requireWork(v);
  const file = checkFile(upload);
  if (isRefusal(file)) throw new ValidationError({ file: file.message }, file.message);
  return attachFile(v.record.id, user.id, file, (a) => record('attachment.added', v, a, null, snapshot(a)));
}

/** Removes the attachment and its file (its uploader or a project manager), audited. */
export async function deleteAttachment(v: Visible<Task>, attachment: Attachment, user: User): Promise<void> {
  requireWork(v);
  if (!mayRemove(attachment, user)) {
    throw new Forbidden('Only the person who attached a file or a project manager can remove it.');
  }
  const before = snapshot(attachment);
  await inTransaction(db(), async () => {
    await removeAttachment(attachment);
    await record('attachment.removed', v, attachment, before, null);
  });
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
