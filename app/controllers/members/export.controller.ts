import type { Request, Response } from 'express';
import { allMatching } from '../../services/member-directory.ts';
import { membersCsv } from '../../services/members-csv.ts';
import { contentDisposition } from '../../services/storage.ts';
import { memberFilterSchema } from '../../validators/member.validator.ts';

// GET /members/export.csv: every person the list's filter matches (all pages), as a dated download.
export async function show(req: Request, res: Response): Promise<void> {
  const filter = memberFilterSchema.parse(req.query);
  const csv = membersCsv(await allMatching(filter));
  const name = `${String(res.locals.words.members).toLowerCase()}-${new Date().toISOString().slice(0, 10)}.csv`;
  res
    .type('text/csv; charset=utf-8')
    .set('Content-Disposition', contentDisposition(name))
    .set('Cache-Control', 'no-store')
    .send(csv);
}
