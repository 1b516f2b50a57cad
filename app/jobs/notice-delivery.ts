import { Tenant } from '../models/tenant.ts';
import {
  claimNotices,
  deliverNotice,
  type NoticeEvent,
  noteDeliveryFailure,
} from '../services/notice-outbox.ts';
import type { JobContext } from './run-job.ts';

/**
 * Delivers every undelivered outbox row of `events`: those this run wrote and those an earlier run
 * left behind (it crashed, or a delivery failed). Each job delivers only its own events, under its
 * own lock. A tenant whose delivery fails is recorded and its rows wait for the next run.
 * Answers how many rows were delivered.
 */
export async function deliverNotices(ctx: JobContext, events: readonly NoticeEvent[]): Promise<number> {
  let delivered = 0;
  for (;;) {
    // A row this run failed stays claimed by it, so the loop ends when only such rows are left.
    const rows = await claimNotices(ctx.runId, events);
    if (!rows.length) return delivered;
    const tenants = await Tenant.findAll({
      where: { id: [...new Set(rows.map((r) => r.tenantId))] },
      order: [['id', 'ASC']],
    });
    await ctx.eachTenant(tenants, async (tenant) => {
      for (const row of rows.filter((r) => r.tenantId === String(tenant.id))) {
        try {
          await deliverNotice(row, tenant);
          delivered += 1;
        } catch (err) {
          await noteDeliveryFailure(row, err).catch(() => undefined);
          throw err;
        }
      }
    });
  }
}
