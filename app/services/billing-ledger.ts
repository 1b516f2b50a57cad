import { BillingEntry } from '../models/billing-entry.ts';

/** `limit` entries of a tenant's credit ledger from `offset` on, newest first, and how many it has. */
export async function ledgerSlice(
  tenantId: string,
  opts: { limit: number; offset: number },
): Promise<{ rows: BillingEntry[]; total: number }> {
  const { rows, count } = await BillingEntry.findAndCountAll({
    where: { tenantId },
    order: [
      ['createdAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit: opts.limit,
    offset: opts.offset,
  });
  return { rows, total: count };
}
