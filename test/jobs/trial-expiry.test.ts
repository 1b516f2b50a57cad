import { expect } from 'chai';
import { db } from '../../app/db/database.ts';
import { runJob } from '../../app/jobs/run-job.ts';
import { trialExpiry } from '../../app/jobs/trial-expiry.ts';
import type { Tenant } from '../../app/models/index.ts';
import { quoteIdent } from '../../app/tenancy/schema-name.ts';
import { config } from '../../config/index.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';
import { chargeFor, chargesOf, fresh, freshDay } from './billing-support.ts';

const DAY = 86_400_000;

async function trialTenant(endsInMs: number, plan = 'basic'): Promise<Tenant> {
  const tenant = await createTenant({ plan });
  await tenant.update({ trialEndsAt: new Date(Date.now() + endsInMs) });
  return tenant;
}

async function run() {
  const outcome = await runJob(trialExpiry, { triggeredBy: 'test' });
  if (outcome.skipped) throw new Error('skipped');
  return outcome.run;
}

describe('trial expiry job', function () {
  this.timeout(60_000);

  it(`warns the super admins ${config.TRIAL_WARNING_DAYS} days before a trial ends, once`, async () => {
    const soon = await trialTenant(2 * DAY);
    const later = await trialTenant((config.TRIAL_WARNING_DAYS + 2) * DAY);
    const admin = await createUser(soon, { level: 0 });
    const laterAdmin = await createUser(later, { level: 0 });
    const member = await createUser(soon, { level: 5 });
    await mailbox.settled();
    mailbox.clear();

    const first = await run();
    expect(first.status).to.equal('succeeded');
    await mailbox.settled();
    const mail = await mailbox.waitFor(admin.email);
    expect(mail.subject).to.include('trial ends soon');
    expect(mail.text).to.include(soon.trialEndsAt?.toISOString().slice(0, 10));
    expect(mail.text).to.include('Basic plan ($9.00 a month)');
    // The tenant's first admin (from provisioning) is told too; people below level 0 are not.
    expect(mailbox.to(`admin@${soon.slug}.test`)).to.have.length(1);
    expect(mailbox.to(member.email)).to.have.length(0);
    expect(mailbox.to(laterAdmin.email)).to.have.length(0);
    expect((await fresh(soon)).trialWarnedAt).to.be.instanceOf(Date);
    expect((await fresh(soon)).status).to.equal('trial');

    await run();
    expect(mailbox.to(admin.email)).to.have.length(1);
  });

  it('ends a trial whose end has passed: the tenant becomes active and is charged from then on', async () => {
    const over = await trialTenant(-60_000);
    const running = await trialTenant(10 * DAY);
    const result = await run();
    expect(result.tenantsDone).to.be.at.least(1);
    const ended = await fresh(over);
    expect(ended.status).to.equal('active');
    expect(ended.onTrial).to.equal(false);
    expect((await fresh(running)).status).to.equal('trial');
    // Its Basic plan is now charged daily, from its (empty) credit.
    const day = freshDay();
    await chargeFor(day);
    expect(await chargesOf(over, day)).to.have.length(1);
    expect((await fresh(over)).creditCents).to.equal('-30');
    expect(await chargesOf(running, day)).to.have.length(0);
  });

  it('records a tenant whose warning fails and still warns the others', async () => {
    const broken = await trialTenant(DAY);
    const fine = await trialTenant(DAY);
    const admin = await createUser(fine, { level: 0 });
    await mailbox.settled();
    mailbox.clear();
    await db().query(`DROP SCHEMA ${quoteIdent(broken.schemaName)} CASCADE`);
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run();
    } finally {
      await broken.destroy();
    }
    expect(result.status).to.equal('partial');
    expect(result.failures.map((f) => f.tenant)).to.deep.equal([broken.slug]);
    expect(result.failures[0].message).to.match(/does not exist/);
    await mailbox.settled();
    await mailbox.waitFor(admin.email);
    expect((await fresh(fine)).trialWarnedAt).to.be.instanceOf(Date);
  });
});
