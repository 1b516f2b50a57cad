import type { Request, Response } from 'express';
import multer from 'multer';
import { Op } from 'sequelize';
import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { currentTransaction, inTransaction } from '../db/transaction-context.ts';
import { log } from '../logger.ts';
import { bodyRefused, limitBody, multipartBodyMax } from '../middleware/body-limit.ts';
import { Attachment } from '../models/attachment.ts';
import { requireTenant, withTenant } from '../tenancy/context.ts';
import { isGif, isJpeg, isPng, isWebp, isZip, pdfHeaderAt } from './file-signatures.ts';
import { fileStore, safeFileName } from './storage.ts';

/**
 * Files attached to tasks. A file is accepted when its name ends in an allowed extension, the type
 * its browser declared fits that extension, and its first bytes (or, for text, all of it) look
 * like that kind of file. The type stored and sent back is the one of the extension, never the
 * declared one. Bytes go to the tenant's file store (never under public/); they are served only
 * through the task's attachment route.
 */

interface FileKind {
  label: string;
  type: string;
  /** Types browsers declare for such a file, besides `type` and the generic ones. */
  declared: string[];
  /** A browser may show it by itself; anything else is always downloaded. */
  inline: boolean;
  looksRight(data: Buffer): boolean;
}

const ZIP_TYPES = ['application/zip', 'application/x-zip-compressed'];

function isPdf(data: Buffer): boolean {
  return pdfHeaderAt(data) >= 0;
}

/** Plain text: no NUL or other control bytes than tab, line breaks and form feed (UTF-16 with a BOM is fine). */
function isText(data: Buffer): boolean {
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) return true;
  for (const byte of data) {
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) return false;
  }
  return true;
}

/** An Office Open XML package (a zip whose parts live under `folder`). */
function isOoxml(folder: string) {
  return (data: Buffer) =>
    isZip(data) && data.indexOf('[Content_Types].xml') >= 0 && data.indexOf(folder) >= 0;
}

/** An OpenDocument file: a zip whose first, uncompressed entry `mimetype` holds its type. */
function isOpenDocument(type: string) {
  return (data: Buffer) => isZip(data) && data.subarray(0, 256).indexOf(`mimetype${type}`) >= 0;
}

const PDF: FileKind = {
  label: 'PDF',
  type: 'application/pdf',
  declared: ['application/x-pdf'],
  inline: true,
  looksRight: isPdf,
};
const JPEG: FileKind = {
  label: 'JPEG',
  type: 'image/jpeg',
  declared: ['image/pjpeg', 'image/jpg'],
  inline: true,
  looksRight: isJpeg,
};
const OOXML = 'application/vnd.openxmlformats-officedocument';
const ODF = 'application/vnd.oasis.opendocument';

/** The allowed kinds of file, by lower-case extension. */
export const FILE_KINDS: Record<string, FileKind> = {
  pdf: PDF,
  png: {
    label: 'PNG',
    type: 'image/png',
    declared: [],
    inline: true,
    looksRight: isPng,
  },
  jpg: JPEG,
  jpeg: JPEG,
  gif: {
    label: 'GIF',
    type: 'image/gif',
    declared: [],
    inline: true,
    looksRight: isGif,
  },
  webp: {
    label: 'WebP',
    type: 'image/webp',
    declared: [],
    inline: true,
    looksRight: isWebp,
  },
  txt: { label: 'text', type: 'text/plain', declared: [], inline: false, looksRight: isText },
  csv: {
    label: 'CSV',
    type: 'text/csv',
    declared: [
      'text/plain',
      'application/csv',
      'text/x-csv',
      'text/comma-separated-values',
      'application/vnd.ms-excel',
    ],
    inline: false,
    looksRight: isText,
  },
  docx: {
    label: 'Word (.docx)',
    type: `${OOXML}.wordprocessingml.document`,
    declared: ZIP_TYPES,
    inline: false,
    looksRight: isOoxml('word/'),
  },
  xlsx: {
    label: 'Excel (.xlsx)',
    type: `${OOXML}.spreadsheetml.sheet`,
    declared: ZIP_TYPES,
    inline: false,
    looksRight: isOoxml('xl/'),
  },
  pptx: {
    label: 'PowerPoint (.pptx)',
    type: `${OOXML}.presentationml.presentation`,
    declared: ZIP_TYPES,
    inline: false,
    looksRight: isOoxml('ppt/'),
  },
  odt: {
    label: 'OpenDocument text (.odt)',
    type: `${ODF}.text`,
    declared: ZIP_TYPES,
    inline: false,
    looksRight: isOpenDocument(`${ODF}.text`),
  },
  ods: {
    label: 'OpenDocument spreadsheet (.ods)',
    type: `${ODF}.spreadsheet`,
    declared: ZIP_TYPES,
    inline: false,
    looksRight: isOpenDocument(`${ODF}.spreadsheet`),
  },
};

/** Declared types that say nothing (a browser that did not know): the extension and content decide. */
const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/unknown']);

/** For the file input's `accept` attribute. */
export const UPLOAD_ACCEPT = Object.keys(FILE_KINDS)
  .map((ext) => `.${ext}`)
  .join(',');

/** "PDF, PNG, JPEG, …" for messages and hints. */
export const ALLOWED_LABELS = [...new Set(Object.values(FILE_KINDS).map((k) => k.label))].join(', ');

export const UPLOAD_MAX_BYTES = Math.floor(config.UPLOAD_MAX_MB * 1024 * 1024);

/** Whether a stored type may be shown in the browser (images and PDF); others are downloaded. */
export function showsInline(type: string): boolean {
  return Object.values(FILE_KINDS).some((k) => k.inline && k.type === type);
}

/** Why an upload was refused, with the HTTP status to answer. */
export interface UploadRefusal {
  status: 400 | 413 | 422;
  message: string;
}

export interface AcceptedFile {
  name: string;
  type: string;
  data: Buffer;
}

const upload = multer({
  storage: multer.memoryStorage(),
  // Browsers send file names as UTF-8 without saying so; busboy would read them as Latin-1.
  defParamCharset: 'utf8',
  limits: { fileSize: UPLOAD_MAX_BYTES, files: 1, fields: 10, fieldSize: 2000, parts: 12 },
}).single('file');
/** The attachment form: the file and its few fields. */
export const ATTACHMENT_BODY_MAX_BYTES = multipartBodyMax(UPLOAD_MAX_BYTES, 10 * 2000);

/**
 * Reads a multipart upload (one `file` and a few fields) into memory. Call it only after the
 * person's access is checked, so nobody else's bytes are read. A limit that was hit is a refusal,
 * never an error page of the server.
 */
export function readUpload(req: Request, res: Response): Promise<UploadRefusal | null> {
  // A body over its limit is answered (413) here, unread; what called this then never resumes.
  if (limitBody(req, res, ATTACHMENT_BODY_MAX_BYTES, tooLargeMessage())) return new Promise(() => {});
  return parseUpload(req, res, () => {});
}

/**
 * The same reading for the API, whose requests the app's body limit already bounds: a body that
 * limit refuses while it is read rejects (its 413 is already on its way), so the caller never waits.
 */
export function readApiUpload(req: Request, res: Response): Promise<UploadRefusal | null> {
  return new Promise((resolve, reject) => {
    parseUpload(req, res, () => reject(new Error(tooLargeMessage()))).then(resolve, reject);
  });
}

function parseUpload(req: Request, res: Response, refused: () => void): Promise<UploadRefusal | null> {
  return new Promise((resolve) => {
    upload(req, res, (err?: unknown) => {
      if (bodyRefused(req)) return refused();
      req.body ??= {};
      resolve(err ? refusalOf(err) : null);
    });
  });
}

function tooLargeMessage(): string {
  return `The file is too large: files can be at most ${config.UPLOAD_MAX_MB} MB.`;
}

function refusalOf(err: unknown): UploadRefusal {
  const code = (err as { code?: string }).code;
  if (code === 'LIMIT_FILE_SIZE') return { status: 413, message: tooLargeMessage() };
  if (code === 'LIMIT_FILE_COUNT' || code === 'LIMIT_UNEXPECTED_FILE') {
    return { status: 422, message: 'Attach one file at a time.' };
  }
  return { status: 400, message: 'The upload could not be read. Please choose the file and try again.' };
}

/** The name a file is stored and shown under: no folders, no control characters, its extension kept. */
export function storedName(original: string): string {
  const base = (original.split(/[\\/]/).pop() ?? '').trim().replace(/[.\s]+$/, '');
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(base)?.[1]?.toLowerCase();
  const stem = ext ? base.slice(0, -(ext.length + 1)) : base;
  const cleanStem = wellFormed(Array.from(safeFileName(stem)).slice(0, 140).join(''));
  return ext ? `${cleanStem}.${ext}` : cleanStem;
}

/** The uploaded file, checked against the allow-list, or why it is refused. */
export function checkFile(file: Express.Multer.File | undefined): AcceptedFile | UploadRefusal {
  if (!file) return { status: 422, message: 'Choose a file to attach.' };
  if (file.size === 0 || file.buffer.length === 0) return { status: 422, message: 'The file is empty.' };
  const name = storedName(file.originalname);
  const ext = /\.([a-z0-9]+)$/.exec(name)?.[1] ?? '';
  const kind = Object.hasOwn(FILE_KINDS, ext) ? FILE_KINDS[ext] : undefined;
  if (!kind) {
    return { status: 422, message: `Files of this type cannot be attached. Allowed: ${ALLOWED_LABELS}.` };
  }
  const declared = (file.mimetype ?? '').split(';')[0].trim().toLowerCase();
  if (!GENERIC_TYPES.has(declared) && declared !== kind.type && !kind.declared.includes(declared)) {
    return { status: 422, message: `The file's type (${declared}) does not match its name (.${ext}).` };
  }
  if (!kind.looksRight(file.buffer)) {
    return {
      status: 422,
      message: `The file's content is not a ${kind.label} file, although its name ends in .${ext}.`,
    };
  }
  return { name, type: kind.type, data: file.buffer };
}

export function isRefusal(x: AcceptedFile | UploadRefusal | null): x is UploadRefusal {
  return x !== null && 'status' in x;
}

/**
 * Stores the file and records it on the task, then runs `andThen` (the audit entry) in the same
 * transaction; nothing is left behind when any step fails.
 */
export async function attachFile(
  taskId: string,
  uploadedBy: string | null,
  file: AcceptedFile,
  andThen: (attachment: Attachment) => Promise<unknown> = async () => {},
): Promise<Attachment> {
  const fileKey = await fileStore.put('attachments', file.data);
  try {
    return await inTransaction(db(), async () => {
      const attachment = await Attachment.create({
        taskId,
        fileKey,
        fileName: file.name,
        contentType: file.type,
        sizeBytes: file.data.length,
        uploadedBy,
      });
      await andThen(attachment);
      return attachment;
    });
  } catch (err) {
    await removeFile(fileKey);
    throw err;
  }
}

/** The stored bytes of an attachment, or null when they are missing or not this tenant's. */
export async function openFile(attachment: Attachment) {
  return fileStore.open(attachment.fileKey).catch(() => null);
}

/**
 * Deletes the attachment's record, then its file: inside a transaction only once it commits, so a
 * deletion that is rolled back keeps its file.
 */
export async function removeAttachment(attachment: Attachment): Promise<void> {
  await attachment.destroy();
  const transaction = currentTransaction();
  if (!transaction) return removeFile(attachment.fileKey);
  const tenant = requireTenant();
  transaction.afterCommit(() => withTenant(tenant, () => removeFile(attachment.fileKey)));
}

/**
 * Removes from the file store the files of the attachments of these tasks. Call it before deleting
 * the tasks (or their project): the attachment rows then go with them (ON DELETE CASCADE).
 */
export async function deleteTaskFiles(taskIds: string[]): Promise<void> {
  const ids = [...new Set(taskIds.map(String).filter((id) => /^[1-9][0-9]{0,17}$/.test(id)))];
  if (!ids.length) return;
  const rows = await Attachment.findAll({
    where: { taskId: { [Op.in]: ids } },
    attributes: ['id', 'fileKey'],
  });
  for (const row of rows) await removeFile(row.fileKey);
}

/** A file that cannot be removed (already gone, or a key that is not this tenant's) is logged, not fatal. */
async function removeFile(key: string): Promise<void> {
  await fileStore
    .remove(key)
    .catch((err: unknown) => log().warn({ err, key }, 'attachment file not removed'));
}

/** Drops halves of surrogate pairs that a cut in the middle of an emoji may leave. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}
