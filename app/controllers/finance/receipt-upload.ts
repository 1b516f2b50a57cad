import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { config } from '../../../config/index.ts';
import { bodyRefused, limitBody, multipartBodyMax } from '../../middleware/body-limit.ts';
import { isHeic, isJpeg, isPng, isWebp, pdfHeaderAt } from '../../services/file-signatures.ts';

/** What a receipt may be, recognised from the file's first bytes (the browser's type is not trusted). */
const RECEIPT_TYPES = {
  'application/pdf': 'PDF',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/webp': 'WebP',
  'image/heic': 'HEIC',
} as const;
export type ReceiptType = keyof typeof RECEIPT_TYPES;

const ALLOWED = `${Object.values(RECEIPT_TYPES).slice(0, -1).join(', ')} or ${Object.values(RECEIPT_TYPES).at(-1)}`;
function sniffReceiptType(data: Buffer): ReceiptType | null {
  if (pdfHeaderAt(data) === 0) return 'application/pdf';
  if (isPng(data)) return 'image/png';
  if (isJpeg(data)) return 'image/jpeg';
  if (isWebp(data)) return 'image/webp';
  if (isHeic(data)) return 'image/heic';
  return null;
}

export const RECEIPT_ACCEPT =
  '.pdf,.png,.jpg,.jpeg,.webp,.heic,application/pdf,image/png,image/jpeg,image/webp,image/heic';

export interface ReceiptFile {
  data: Buffer;
  name: string;
  type: ReceiptType;
}

const RECEIPT_MAX_BYTES = Math.floor(config.UPLOAD_MAX_MB * 1024 * 1024);
const FIELDS = 30;
const FIELD_BYTES = 10_000;
/** The whole expense form: the receipt and its fields. */
export const RECEIPT_BODY_MAX_BYTES = multipartBodyMax(RECEIPT_MAX_BYTES, FIELDS * FIELD_BYTES);

const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: RECEIPT_MAX_BYTES, files: 1, fields: FIELDS, fieldSize: FIELD_BYTES },
}).single('receipt');

/**
 * Parses an expense form sent as multipart (fields and an optional `receipt` file, kept in memory).
 * An upload the limits refuse becomes a field message for the form, not an error page.
 */
export function receiptUpload(req: Request, res: Response, next: NextFunction): void {
  if (limitBody(req, res, RECEIPT_BODY_MAX_BYTES, tooLarge())) return;
  parseUpload(req, res, next);
}

/**
 * The same parsing and limits for the API, whose requests the app's body limit already bounds: a
 * file over the limit is a field message (422), a body refused for its size an error (its 413 is
 * already on its way), so the route's handler never waits for it.
 */
export function apiReceiptUpload(req: Request, res: Response, next: NextFunction): void {
  parseUpload(req, res, next, () => next(new Error(tooLarge())));
}

function parseUpload(req: Request, res: Response, next: NextFunction, refused: () => void = () => {}): void {
  upload(req, res, (err?: unknown) => {
    if (bodyRefused(req)) return refused();
    if (err) {
      const code = (err as { code?: string }).code;
      res.locals.receiptError =
        code === 'LIMIT_FILE_SIZE'
          ? `must be at most ${config.UPLOAD_MAX_MB} MB`
          : code === 'LIMIT_UNEXPECTED_FILE' || code === 'LIMIT_FILE_COUNT'
            ? 'must be one file'
            : 'could not be read; try again';
      req.body ??= {};
    }
    next();
  });
}

function tooLarge(): string {
  return `The receipt is too large: it can be at most ${config.UPLOAD_MAX_MB} MB.`;
}

/** The uploaded receipt, null when none was chosen, or the message explaining why it is refused. */
export function receiptFrom(req: Request, res: Response): ReceiptFile | null | { error: string } {
  if (typeof res.locals.receiptError === 'string') return { error: res.locals.receiptError };
  const file = req.file;
  if (!file) return null;
  if (file.size === 0) return { error: 'is an empty file' };
  const type = sniffReceiptType(file.buffer);
  if (!type) return { error: `must be a ${ALLOWED} file` };
  return { data: file.buffer, name: file.originalname, type };
}
