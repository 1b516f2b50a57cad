import { pipeline } from 'node:stream/promises';
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

/**
 * Streams the expense's receipt, private and never cached (404 when it has none). `asDownload`
 * sends it as bytes to save (the API: its type is in the expense's `receipt.type`) rather than
 * for the browser to show.
 */
export async function sendReceipt(res: Response, entry: Expense, asDownload = false): Promise<void> {
  const file = await openReceipt(entry);
  res.set({
    'Content-Type': asDownload ? 'application/octet-stream' : file.type,
    'Content-Length': String(file.size),
    'Content-Disposition': contentDisposition(file.name, !asDownload && SHOWN_INLINE.has(file.type)),
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  // A browser's PDF viewer does not run in a sandboxed document; images and downloads do.
  if (file.type !== 'application/pdf')
    res.set('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'");
  // Resolves once the whole file is sent, so nothing answers the request before it is done.
  await pipeline(file.stream, res).catch(() => res.destroy());
}
