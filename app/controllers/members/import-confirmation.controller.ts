import type { Request, Response } from 'express';
import { DatabaseError, UniqueConstraintError } from 'sequelize';
import { log } from '../../logger.ts';
import { discardImport, ImportGone, runImport } from '../../services/members-csv.ts';
import { safeFileName } from '../../services/storage.ts';
import { requireTenant } from '../../tenancy/context.ts';
import { importKey } from '../../validators/member.validator.ts';
import { renderUpload } from './import.controller.ts';

const NOT_AVAILABLE = 'This import is not available any more. Upload the file again.';

// POST /members/import/confirm: the previewed file is checked again and its valid rows inserted together.
export async function create(req: Request, res: Response): Promise<void> {
  const key = importKey(req.body?.key, requireTenant().schema);
  if (!key) return renderUpload(res, 422, NOT_AVAILABLE);
  const fileName = safeFileName(typeof req.body?.fileName === 'string' ? req.body.fileName : 'import.csv');
  const result = await runImport(key, fileName).catch(async (err: unknown) => refusal(err, key));
  if (typeof result === 'string') return renderUpload(res, 409, result);
  const { imported, check } = result;
  res.render('members/import/result', { title: 'Import done', imported, check, fileName });
}

/** Why nothing was imported; any other error goes on to the error handler. */
async function refusal(err: unknown, key: string): Promise<string> {
  if (err instanceof ImportGone) return err.message;
  if (err instanceof DatabaseError || err instanceof UniqueConstraintError) {
    log().warn({ err }, 'member import rolled back');
    await discardImport(key);
    return 'Nothing was imported: the database refused a row (someone may have changed the directory meanwhile), so every row was undone. Upload the file again.';
  }
  throw err;
}
