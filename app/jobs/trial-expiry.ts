import { QueryTypes } from 'sequelize';
import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import type { NoticeEvent } from '../services/notice-outbox.ts';
import { announceChange } from '../tenancy/changes.ts';
import { deliverNotices, queueNoticeDeliveries } from './notice-delivery.ts';
import type { Job } from './run-job.ts';

const DAY_MS = 86_400_000;
const TRIAL_EVENTS = ['trial_ending'] as const satisfies NoticeEvent[];

/*
 * Marks the trials ending within the warning period as warned and writes their warning to the
 * notice outbox, in one statement: the mark and the message commit together, so a crash can
 * neither lose the warning (marked, never sent) nor send it again (sent, never marked).
 */
const QUEUE_WARNINGS_SQL = `
WITH warned AS (
  UPDATE public.tenants
     SET trial_warned_at = $1, updated_at = now()
   WHERE status = 'trial' AND on_trial AND trial_warned_at IS NULL
     AND trial_ends_at > $1 AND trial_ends_at <= $2
  RETURNING id, trial_ends_at
)
INSERT INTO public.notice_outbox (tenant_id, event, day, details)
SELECT id, 'trial_ending', $3::date,
       jsonb_build_object('endsOn', to_char(trial_ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
  FROM warned
ON CONFLICT (tenant_id, event, day) DO NOTHING
RETURNING id::text AS id, tenant_id::text AS "tenantId"`;

/** Ends the trials that are over, announcing the status change in the same transaction. */
async function endTrials(now: Date): Promise<number> {
  const sequelize = db();
  return sequelize.transaction(async () => {
    const ended = await sequelize.query<{ id: string }>(
      `UPDATE public.tenants
          SET on_trial = false,
              status = CASE WHEN status = 'trial' THEN 'active' ELSE status END,
              updated_at = now()
        WHERE on_trial AND trial_ends_at <= $1
      RETURNING id`,
      { bind: [now], type: QueryTypes.SELECT },
    );
    // Raw SQL bypassed the model hooks that announce tenant changes to every process's caches.
    if (ended.length) await announceChange({ kind: 'all-tenants' });
    return ended.length;
  });
}

/**
 * Ends trials whose trial_ends_at has passed (a trial tenant becomes active, so a paid plan is
 * charged from then on), and warns super admins TRIAL_WARNING_DAYS before (once per tenant),
 * through the notice outbox.
 */
export const trialExpiry: Job = {
  name: 'trial-expiry',
  schedule: '15 0 * * *',
  description: `E-mails super admins ${config.TRIAL_WARNING_DAYS} days before their trial ends; ends trials that are over.`,
  async run(ctx) {
    // The warnings, their marks and their delivery jobs commit together.
    const queued = await db().transaction(async () => {
      const written = await db().query<{ id: string; tenantId: string }>(QUEUE_WARNINGS_SQL, {
        bind: [ctx.now, new Date(ctx.now.getTime() + config.TRIAL_WARNING_DAYS * DAY_MS), ctx.day],
        type: QueryTypes.SELECT,
      });
      await queueNoticeDeliveries(written);
      return written;
    });
    const ended = await endTrials(ctx.now);
    const warned = await deliverNotices(ctx, TRIAL_EVENTS);
    ctx.log.info({ queued: queued.length, warned, ended }, 'trials checked');
    ctx.done(warned + ended);
  },
};
