import type { Request, Response } from 'express';
import { NotFound } from '../../errors.ts';
import { contentDisposition, fileStore } from '../../services/storage.ts';
import { loadExpense } from './expenses.controller.ts';

// Types a browser can show by itself; anything else is downloaded.
const SHOWN_INLINE = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/webp']);

// GET /finance/expenses/:id/receipt: the only way to a receipt file, for people who see the entries.
export async function show(req: Request, res: Response): Promise<void> {
  const entry = await loadExpense(req);
  if (!entry.receiptKey) throw new NotFound('This expense has no receipt.');
  const file = await fileStore.open(entry.receiptKey).catch(() => null);
  if (!file) throw new NotFound('The receipt file is missing.');
  const type = entry.receiptType ?? 'application/octet-stream';
  res.set({
    'Content-Type': type,
    'Content-Length': String(file.size),
    'Content-Disposition': contentDisposition(entry.receiptName ?? 'receipt', SHOWN_INLINE.has(type)),
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  // A browser's PDF viewer does not run in a sandboxed document; images and downloads do.
  if (type !== 'application/pdf')
    res.set('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'");
  file.stream.on('error', () => res.destroy());
  file.stream.pipe(res);
}
