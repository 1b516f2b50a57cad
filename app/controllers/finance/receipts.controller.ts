import type { Request, Response } from 'express';
import type { Expense } from '../../models/index.ts';
import { openReceipt } from '../../services/finance/expenses.ts';
import { contentDisposition } from '../../services/storage.ts';
import { loadExpense } from './expenses.controller.ts';

// Types a browser can show by itself; anything else is downloaded.
const SHOWN_INLINE = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/webp']);

// GET /finance/expenses/:id/receipt: the only way to a receipt file, for people who see the entries.
export async function show(req: Request, res: Response): Promise<void> {
  await sendReceipt(res, await loadExpense(req));
}

/** Streams the expense's receipt as a private download (404 when it has none); the API sends it the same way. */
export async function sendReceipt(res: Response, entry: Expense): Promise<void> {
  const file = await openReceipt(entry);
  res.set({
    'Content-Type': file.type,
    'Content-Length': String(file.size),
    'Content-Disposition': contentDisposition(file.name, SHOWN_INLINE.has(file.type)),
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  // A browser's PDF viewer does not run in a sandboxed document; images and downloads do.
  if (file.type !== 'application/pdf')
    res.set('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'");
  file.stream.on('error', () => res.destroy());
  file.stream.pipe(res);
}
