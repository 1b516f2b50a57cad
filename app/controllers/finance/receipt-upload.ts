import type { NextFunction, Request, Response } from 'express';
import multer from 'multer';
import { config } from '../../../config/index.ts';
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

const upload = multer({
  storage: multer.memoryStorage(),
  limits: {
    fileSize: Math.floor(config.UPLOAD_MAX_MB * 1024 * 1024),
    files: 1,
    fields: 30,
    fieldSize: 10_000,
  },
}).single('receipt');

/**
 * Parses an expense form sent as multipart (fields and an optional `receipt` file, kept in memory).
 * An upload the limits refuse becomes a field message for the form, not an error page.
 */
export function receiptUpload(req: Request, res: Response, next: NextFunction): void {
  upload(req, res, (err?: unknown) => {
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
