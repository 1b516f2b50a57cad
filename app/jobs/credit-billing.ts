import { QueryTypes } from 'sequelize';
import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { Tenant } from '../models/tenant.ts';
import { dayNumber } from '../services/billing.ts';
import type { NoticeEvent } from '../services/notice-outbox.ts';
import { announceChange } from '../tenancy/changes.ts';
import { deliverNotices, queueNoticeDeliveries } from './notice-delivery.ts';
import type { Job, JobContext } from './run-job.ts';

export interface Transition {
  id: string;
  status: 'past_due' | 'suspended';
}

export interface BatchResult {
  /** Tenants of the batch (charged now or already charged for the day). */
  seen: number;
  lastId: string | null;
  /** Tenants charged by this statement. */
  charged: number;
  transitions: Transition[];
  /** Notices written to the outbox with the charges (past due, suspended, low credit). */
  queued: number;
}

/** Days of credit left at which super admins are warned, once on each of those days. */
export const LOW_CREDIT_WARNING_DAYS = [7, 3, 1] as const;

/** The outbox events this job writes and delivers. */
export const BILLING_EVENTS = ['past_due', 'suspended', 'low_credit'] as const satisfies NoticeEvent[];

/*
 * One statement per batch of tenants, in one transaction: lock the batch's tenant rows, insert the
 * day's charges (ON CONFLICT on the one-charge-a-day index skips tenants already charged, so a
 * rerun or a second clock charges nobody twice), set each charged tenant's credit to the balance
 * its ledger row recorded, and move it past due (credit below zero) or, once past due for the grace
 * period, suspended. Status changes ride on the day's charge: the batch only includes active and
 * past-due tenants, so a returned "suspended" or a past-due day of today is a change made now.
 * What the change must tell goes to the notice outbox in the same statement: past due, suspended,
 * or (still active) a credit that lasts exactly 7, 3 or 1 more days after the charge, in the whole
 * days the billing page shows. A crash after the commit leaves those rows for the next run, where
 * a rerun would see the charges made and find nothing changed.
 * The charge formula is the one of dailyChargeCents (services/billing.ts). The UPDATE joins the
 * inserted rows to tenants by primary key (and plans by code); a join between two CTEs would be
 * planned on a guess of two rows and turn into a nested loop of batch × batch.
 */
const CHARGE_BATCH_SQL = `
WITH batch AS (
  SELECT t.id, t.credit_cents, t.status, t.past_due_since, p.name AS plan_name,
         p.price_per_month_cents::bigint AS price
    FROM public.tenants t
    JOIN public.plans p ON p.code = t.plan
   WHERE t.id > $1 AND t.status IN ('active', 'past_due') AND p.price_per_month_cents > 0
   ORDER BY t.id
   LIMIT $2
   FOR UPDATE OF t
), priced AS (
  SELECT b.*, (b.price * ($4::bigint + 1)) / 30 - (b.price * $4::bigint) / 30 AS cost FROM batch b
), charged AS (
  INSERT INTO public.billing_entries (tenant_id, day, kind, amount_cents, balance_after_cents, note)
  SELECT id, $3::date, 'charge', -cost, credit_cents - cost, plan_name || ' plan, one day'
    FROM priced
  ON CONFLICT (tenant_id, day, kind) WHERE kind = 'charge' DO NOTHING
  RETURNING tenant_id, balance_after_cents
), changed AS (
  UPDATE public.tenants t
     SET credit_cents = c.balance_after_cents,
         status = CASE
           WHEN c.balance_after_cents >= 0 THEN t.status
           WHEN t.status = 'active' THEN 'past_due'
           WHEN COALESCE(t.past_due_since, $3::date) <= $3::date - $5::int THEN 'suspended'
           ELSE t.status
         END,
         past_due_since = CASE WHEN c.balance_after_cents < 0 AND t.status = 'active' THEN $3::date
                               ELSE t.past_due_since END,
         updated_at = now()
    FROM charged c, public.plans p
   WHERE t.id = c.tenant_id AND p.code = t.plan
  RETURNING t.id, t.status, t.past_due_since, t.credit_cents,
            (t.credit_cents * 30 / NULLIF(p.price_per_month_cents, 0))::int AS days_left
), told AS (
  SELECT id,
         CASE WHEN status = 'active' THEN 'low_credit' ELSE status END AS event,
         CASE WHEN status = 'active' THEN jsonb_build_object('daysLeft', days_left)
              ELSE jsonb_build_object('since', past_due_since) END AS details
    FROM changed
   WHERE status = 'suspended'
      OR (status = 'past_due' AND past_due_since = $3::date)
      OR (status = 'active' AND credit_cents > 0 AND days_left = ANY($6::int[]))
), queued AS (
  INSERT INTO public.notice_outbox (tenant_id, event, day, details)
  SELECT id, event, $3::date, details FROM told
  ON CONFLICT (tenant_id, event, day) DO NOTHING
  RETURNING id, tenant_id
)
SELECT (SELECT count(*) FROM batch)::int AS seen,
       (SELECT max(id) FROM batch)::text AS "lastId",
       (SELECT count(*) FROM changed)::int AS charged,
       (SELECT count(*) FROM queued)::int AS queued,
       COALESCE((SELECT json_agg(json_build_object('id', id::text, 'tenantId', tenant_id::text) ORDER BY id)
                   FROM queued),
                '[]'::json) AS notices,
       COALESCE((SELECT json_agg(json_build_object('id', id::text, 'status', event) ORDER BY id)
                   FROM told WHERE event <> 'low_credit'),
                '[]'::json) AS transitions`;

/** Charges the paid tenants with an id above `afterId`, up to `limit` of them, for `day`. */
export async function chargeBatch(day: string, afterId: string, limit: number): Promise<BatchResult> {
  const sequelize = db();
  return sequelize.transaction(async () => {
    const [row] = await sequelize.query<BatchResult & { notices: { id: string; tenantId: string }[] }>(
      CHARGE_BATCH_SQL,
      {
        bind: [afterId, limit, day, dayNumber(day), config.PAST_DUE_GRACE_DAYS, LOW_CREDIT_WARNING_DAYS],
        type: QueryTypes.SELECT,
      },
    );
    // Raw SQL bypassed the model hooks that announce tenant changes; NOTIFY inside the transaction
    // reaches the other processes' caches exactly when the status change commits.
    if (row.transitions.length) await announceChange({ kind: 'all-tenants' });
    // Each notice's delivery job commits with its row and the charge.
    await queueNoticeDeliveries(row.notices);
    const { notices: _written, ...result } = row;
    return result;
  });
}

/**
 * A batch whose statement failed is done again one tenant at a time, so one tenant's problem
 * (a bad row, a constraint) is recorded against it and the others are still charged.
 */
async function chargeOneByOne(ctx: JobContext, day: string, afterId: string, limit: number) {
  const result: BatchResult = { seen: 0, lastId: null, charged: 0, transitions: [], queued: 0 };
  const ids = (
    await db().query<{ id: string }>(
      `SELECT t.id::text AS id FROM public.tenants t JOIN public.plans p ON p.code = t.plan
      WHERE t.id > $1 AND t.status IN ('active', 'past_due') AND p.price_per_month_cents > 0
      ORDER BY t.id LIMIT $2`,
      { bind: [afterId, limit], type: QueryTypes.SELECT },
    )
  ).map((r) => r.id);
  for (const id of ids) {
    try {
      const one = await chargeBatch(day, (BigInt(id) - 1n).toString(), 1);
      result.charged += one.charged;
      result.queued += one.queued;
      result.transitions.push(...one.transitions);
    } catch (err) {
      const tenant = await Tenant.findByPk(id);
      ctx.fail(tenant?.slug ?? `tenant ${id}`, err);
    }
    result.seen += 1;
    result.lastId = id;
  }
  return result;
}

/** Charges every paid tenant for `ctx.day`, batch by batch; answers the status changes made. */
export async function chargeDay(
  ctx: JobContext,
  batchSize = config.BILLING_BATCH_SIZE,
): Promise<Transition[]> {
  const transitions: Transition[] = [];
  let afterId = '0';
  for (;;) {
    const batch = await chargeBatch(ctx.day, afterId, batchSize).catch((err: unknown) => {
      ctx.log.warn({ err, afterId }, 'a charge batch failed: charging its tenants one at a time');
      return chargeOneByOne(ctx, ctx.day, afterId, batchSize);
    });
    ctx.done(batch.charged);
    transitions.push(...batch.transitions);
    if (!batch.lastId || batch.seen < batchSize) break;
    afterId = batch.lastId;
  }
  return transitions;
}

export const creditBilling: Job = {
  name: 'credit-billing',
  schedule: config.BILLING_CRON,
  description:
    'Charges each active tenant on a paid plan one day of its price from its credit; past due below zero, suspended after the grace period. Tells super admins (in the app and by e-mail) from the notice outbox.',
  async run(ctx) {
    const transitions = await chargeDay(ctx);
    ctx.log.info({ transitions: transitions.length }, 'tenants charged');
    // Also delivers what an earlier run committed and did not get to deliver.
    const delivered = await deliverNotices(ctx, BILLING_EVENTS);
    ctx.log.info({ delivered }, 'billing notices delivered');
  },
};
