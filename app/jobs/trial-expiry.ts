import { QueryTypes } from 'sequelize';
import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { tellSuperAdmins, trialsEndingSoon } from '../services/billing.ts';
import { announceChange } from '../tenancy/changes.ts';
import type { Job } from './run-job.ts';

/**
 * Ends trials whose trial_ends_at has passed (a trial tenant becomes active, so a paid plan is
 * charged from then on), and warns super admins TRIAL_WARNING_DAYS before (once per tenant).
 */
export const trialExpiry: Job = {
  name: 'trial-expiry',
  schedule: '15 0 * * *',
  description: `E-mails super admins ${config.TRIAL_WARNING_DAYS} days before their trial ends; ends trials that are over.`,
  async run(ctx) {
    const ending = await trialsEndingSoon(ctx.now, config.TRIAL_WARNING_DAYS);
    const warned = await ctx.eachTenant(ending, async (tenant) => {
      await tellSuperAdmins(tenant, {
        template: 'trial-ending',
        subject: `${tenant.name}: your Steward trial ends soon`,
        locals: { endsOn: tenant.trialEndsAt?.toISOString().slice(0, 10) ?? '' },
      });
      await tenant.update({ trialWarnedAt: ctx.now });
    });
    const ended = await db().query<{ id: string }>(
      `UPDATE public.tenants
          SET on_trial = false,
              status = CASE WHEN status = 'trial' THEN 'active' ELSE status END,
              updated_at = now()
        WHERE on_trial AND trial_ends_at <= $1
      RETURNING id`,
      { bind: [ctx.now], type: QueryTypes.SELECT },
    );
    // Raw SQL bypassed the model hooks that announce tenant changes to every process's caches.
    if (ended.length) await announceChange({ kind: 'all-tenants' });
    ctx.log.info({ warned, ended: ended.length }, 'trials checked');
    ctx.done(warned + ended.length);
  },
};
