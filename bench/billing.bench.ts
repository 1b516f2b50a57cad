/**
 * The daily credit charge over many tenants: `tenants` paying tenant rows (public rows only: the
 * charge never enters a tenant schema unless a tenant changes status, and none does here), charged
 * for one day by the real job (lock, job_runs row, batches), then the same day again (every row a
 * conflict), then the next day. Target: the first run over 10,000 tenants within 2 s.
 */
import { QueryTypes } from 'sequelize';
import { db } from '../app/db/database.ts';
import { creditBilling } from '../app/jobs/credit-billing.ts';
import { runJob } from '../app/jobs/run-job.ts';
import { config } from '../config/index.ts';
import { line, ms, note, seconds, section, type TargetCheck, target, timed } from './support/stats.ts';

export interface BillingBenchResult {
  tenants: number;
  batchSize: number;
  firstRunMs: number;
  rerunMs: number;
  nextDayMs: number;
  charged: number;
  targets: TargetCheck[];
}

const TARGET_MS = 2000;
const PREFIX = 'benchbill';

async function charge(day: string): Promise<{ ms: number; done: number }> {
  const run = await timed(() => runJob(creditBilling, { triggeredBy: 'bench', day }));
  if (run.value.skipped) throw new Error('the credit-billing run was skipped');
  if (run.value.run.status !== 'succeeded') throw new Error(`the run ended ${run.value.run.status}`);
  return { ms: run.ms, done: run.value.run.tenantsDone };
}

export async function billingBench(opts: { tenants?: number } = {}): Promise<BillingBenchResult> {
  const count = opts.tenants ?? 10_000;
  section(`Credit billing: one day charged over ${count.toLocaleString('en-US')} paying tenants`);
  const sequelize = db();
  const fill = await timed(() =>
    sequelize.query(
      `INSERT INTO public.tenants (name, slug, schema_name, kind, status, plan, on_trial, credit_cents)
       SELECT 'Bench ' || n, '${PREFIX}' || n, 't_${PREFIX}_' || n, 'company', 'active',
              (ARRAY['basic', 'premium', 'enterprise'])[1 + n % 3], false, 1000000
         FROM generate_series(1, $1) AS n`,
      { bind: [count] },
    ),
  );
  line('tenant rows inserted (set-up)', seconds(fill.ms));
  try {
    const day = '2031-06-01';
    const first = await charge(day);
    const rerun = await charge(day);
    const next = await charge('2031-06-02');
    const [check] = await sequelize.query<{ entries: number; wrong: number }>(
      `SELECT count(*)::int AS entries,
              count(*) FILTER (WHERE t.credit_cents <> 1000000 + (
                 SELECT SUM(amount_cents) FROM public.billing_entries x WHERE x.tenant_id = t.id))::int AS wrong
         FROM public.billing_entries e JOIN public.tenants t ON t.id = e.tenant_id
        WHERE t.slug LIKE '${PREFIX}%'`,
      { type: QueryTypes.SELECT },
    );
    line(`first run (batches of ${config.BILLING_BATCH_SIZE})`, `${ms(first.ms)}, ${first.done} charged`);
    line('same day again (nothing to charge)', `${ms(rerun.ms)}, ${rerun.done} charged`);
    line('next day', `${ms(next.ms)}, ${next.done} charged`);
    line('ledger rows / balances out of step', `${check.entries} / ${check.wrong}`);
    note(
      'one INSERT ... SELECT ... ON CONFLICT DO NOTHING with the credit UPDATE per batch, in one transaction',
    );
    if (first.done !== count || rerun.done !== 0 || check.entries !== 2 * count || check.wrong !== 0)
      throw new Error('the charge did not do what it should: see the lines above');
    return {
      tenants: count,
      batchSize: config.BILLING_BATCH_SIZE,
      firstRunMs: first.ms,
      rerunMs: rerun.ms,
      nextDayMs: next.ms,
      charged: first.done,
      targets: [
        target(
          `credit billing over ${count.toLocaleString('en-US')} tenants`,
          `<= ${TARGET_MS} ms`,
          ms(first.ms),
          first.ms <= TARGET_MS,
        ),
      ],
    };
  } finally {
    await sequelize.query(`DELETE FROM public.tenants WHERE slug LIKE '${PREFIX}%'`);
  }
}
