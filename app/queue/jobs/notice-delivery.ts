/**
 * Delivers one row of the notice outbox (past due, suspended, low credit, trial ending) in the
 * tenant it was queued in: queued by the billing and trial jobs in the transaction that wrote the
 * row. Delivering a row already delivered (by the run's own pass, or an earlier try) does nothing.
 */
import { deliverNoticeById } from '../../services/notice-outbox.ts';
import { defineJob } from '../queue.ts';

export const noticeDeliveryJob = defineJob<{ outboxId: string }>({
  name: 'notice-delivery',
  description: 'Tells a tenant’s super admins about its account (in the app, and queues the e-mails).',
  retryLimit: 5,
  retryDelay: 30,
  async handler({ outboxId }, ctx) {
    if (!ctx.tenant || !/^[1-9][0-9]{0,17}$/.test(String(outboxId))) return;
    await deliverNoticeById(String(outboxId));
  },
});
