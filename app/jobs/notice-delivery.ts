import { Tenant } from '../models/tenant.ts';
import { noticeDeliveryJob } from '../queue/jobs/notice-delivery.ts';
import { enqueue } from '../queue/queue.ts';
import {
  claimNotices,
  deliverNotice,
  type NoticeEvent,
  noteDeliveryFailure,
} from '../services/notice-outbox.ts';
import { withTenant } from '../tenancy/context.ts';
import type { JobContext } from './run-job.ts';

/** How long the run has to deliver its rows itself before their delivery jobs take them. */
export const NOTICE_JOB_DELAY_SECONDS = 60;

/**
 * Queues the notice-delivery job of each outbox row just written, each in its tenant. Call in the
 * transaction that wrote the rows: the rows and their jobs commit together. The run that wrote them
 * delivers them at once (recording each tenant that fails); the job, a minute later, delivers what
 * a run that died after its commit left, instead of waiting for the next run.
 */
export async function queueNoticeDeliveries(written: { id: string; tenantId: string }[]): Promise<void> {
  if (!written.length) return;
  const tenants = new Map(
    (await Tenant.findAll({ where: { id: [...new Set(written.map((w) => w.tenantId))] } })).map((t) => [
      String(t.id),
      t,
    ]),
  );
  for (const { id, tenantId } of written) {
    const tenant = tenants.get(tenantId);
    if (!tenant) continue;
    await withTenant(tenant.toRef(), () =>
      enqueue(
        noticeDeliveryJob,
        { outboxId: id },
        {
          singletonKey: `notice:${id}`,
          startAfter: NOTICE_JOB_DELAY_SECONDS,
        },
      ),
    );
  }
}

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
          if (await deliverNotice(row, tenant)) delivered += 1;
        } catch (err) {
          await noteDeliveryFailure(row, err).catch(() => undefined);
          throw err;
        }
      }
    });
  }
}
