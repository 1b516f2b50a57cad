import type { Request, Response } from 'express';
import multer from 'multer';
import { bodyRefused, limitBody, multipartBodyMax } from '../../middleware/body-limit.ts';
import {
  CSV_COLUMNS,
  CsvFileError,
  checkImport,
  discardImport,
  MAX_IMPORT_BYTES,
  storeImport,
  tooLargeMessage,
} from '../../services/members-csv.ts';
import { safeFileName } from '../../services/storage.ts';
import { requireTenant } from '../../tenancy/context.ts';
import { importKey } from '../../validators/member.validator.ts';

/** The import file arrives through this action (not a route middleware) so its refusals render the form. */
const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 5, fieldSize: 1000, parts: 6 },
  defParamCharset: 'utf8',
}).single('file');
/** The import form: the file and its few fields. */
export const IMPORT_BODY_MAX_BYTES = multipartBodyMax(MAX_IMPORT_BYTES, 5 * 1000);

// GET /members/import
export function newImport(_req: Request, res: Response): void {
  renderUpload(res, 200, null);
}

// POST /members/import: checks the file and shows what would be imported; nothing is saved yet.
export async function create(req: Request, res: Response): Promise<void> {
  if (limitBody(req, res, IMPORT_BODY_MAX_BYTES, tooLargeMessage())) return;
  const refused = await receive(req, res);
  if (refused) return renderUpload(res, refused.status, refused.message);
  const file = req.file;
  if (!file?.size) return renderUpload(res, 422, 'Choose a CSV file to import.');
  const check = await checkImport(file.buffer).catch(fileProblem);
  if (typeof check === 'string') return renderUpload(res, 422, check);
  const key = check.valid.length ? await storeImport(file.buffer) : null;
  const fileName = safeFileName(file.originalname || 'import.csv');
  res.render('members/import/preview', { title: 'Check the import', check, key, fileName });
}

// POST /members/import/delete: the stored file of a previewed import is dropped.
export async function destroy(req: Request, res: Response): Promise<void> {
  const key = importKey(req.body?.key, requireTenant().schema);
  if (key) await discardImport(key);
  req.flash('info', 'The import was cancelled. Nothing was imported.');
  res.redirect('/members');
}

/** The upload form, with why the last file was refused. */
export function renderUpload(res: Response, status: number, problem: string | null): void {
  res
    .status(status)
    .render('members/import/new', { title: 'Import from a CSV file', problem, columns: CSV_COLUMNS });
}

/**
 * Runs the upload parser; a refusal (too large, not a form upload) comes back as a status and
 * message. A body cut off at its limit has been answered already, so this never settles then.
 */
function receive(req: Request, res: Response): Promise<{ status: number; message: string } | null> {
  return new Promise((resolve) => {
    upload(req, res, (err?: unknown) => {
      if (bodyRefused(req)) return;
      if (!err) return resolve(null);
      if (err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE') {
        return resolve({ status: 413, message: tooLargeMessage() });
      }
      const why = err instanceof multer.MulterError ? err.message : 'the upload was cut short';
      resolve({
        status: 422,
        message: `The file could not be read (${why}). Choose one CSV file and try again.`,
      });
    });
  });
}

function fileProblem(err: unknown): string {
  if (err instanceof CsvFileError) return err.message;
  throw err;
}
