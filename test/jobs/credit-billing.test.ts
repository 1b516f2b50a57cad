import { spawn } from 'node:child_process';
import { expect } from 'chai';
import pg from 'pg';
import { db } from '../../app/db/database.ts';
import { chargeBatch, creditBilling } from '../../app/jobs/credit-billing.ts';
import { runJob } from '../../app/jobs/run-job.ts';
import { BillingEntry, JobRun, Plan, User } from '../../app/models/index.ts';
import { addDays, dailyChargeCents } from '../../app/services/billing.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';
import { createUser } from '../support/auth.ts';
import { hostOf, http } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';
import { chargeFor, chargesOf, fresh, freshDay, ledgerSum, payingTenant } from './billing-support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('credit billing job', function () {
  this.timeout(120_000);

  it('charges each active tenant on a paid plan one day of its price, as a ledger row in step with its credit', async () => {
    const basic = await payingTenant('basic', 1000);
    const premium = await payingTenant('premium', 5000);
    const free = await payingTenant('free', 1000);
    const trial = await payingTenant('basic', 1000, { status: 'trial' });
    const suspended = await payingTenant('basic', 1000, { status: 'suspended' });
    const day = freshDay();

    const { run } = await chargeFor(day);

    expect(run.status).to.equal('succeeded');
    expect(run.tenantsDone).to.be.at.least(2);
    const [b] = await chargesOf(basic, day);
    expect(b.amountCents).to.equal('-30');
    expect(b.balanceAfterCents).to.equal('970');
    expect(b.createdBy).to.equal(null);
    expect((await fresh(basic)).creditCents).to.equal('970');
    const [p] = await chargesOf(premium, day);
    const expected = dailyChargeCents(2900, day);
    expect(Number(p.amountCents)).to.equal(-expected);
    expect((await fresh(premium)).creditCents).to.equal(String(5000 - expected));
    for (const t of [free, trial, suspended]) {
      expect(await chargesOf(t)).to.have.length(0);
      expect((await fresh(t)).creditCents).to.equal('1000');
    }
  });

  it('charges a day exactly once when the job runs twice', async () => {
    const tenant = await payingTenant('basic', 900);
    const day = freshDay();
    const first = await chargeFor(day);
    const second = await chargeFor(day);
    expect(first.run.status).to.equal('succeeded');
    expect(second.run.status).to.equal('succeeded');
    expect(await chargesOf(tenant, day)).to.have.length(1);
    expect((await fresh(tenant)).creditCents).to.equal('870');
    expect(await ledgerSum(tenant)).to.equal(-30n);
    // The next day is a new charge.
    await chargeFor(addDays(day, 1));
    expect((await fresh(tenant)).creditCents).to.equal('840');
  });

  it('charges a day exactly once when two clocks run it at the same moment', async () => {
    const tenants = await Promise.all([payingTenant('basic', 900), payingTenant('premium', 900)]);
    const day = freshDay();
    const outcomes = await Promise.all([
      runJob(creditBilling, { triggeredBy: 'clock a', day }),
      runJob(creditBilling, { triggeredBy: 'clock b', day }),
      runJob(creditBilling, { triggeredBy: 'clock c', day }),
    ]);
    expect(outcomes.some((o) => !o.skipped)).to.equal(true);
    for (const t of tenants) {
      const charges = await chargesOf(t, day);
      expect(charges).to.have.length(1);
      expect((await fresh(t)).creditCents).to.equal(charges[0].balanceAfterCents);
    }
  });

  it('charges once even when two statements race past the lock for the same tenants', async () => {
    const tenant = await payingTenant('premium', 10_000);
    const day = freshDay();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => chargeBatch(day, String(BigInt(tenant.id) - 1n), 1)),
    );
    expect(results.reduce((n, r) => n + r.charged, 0)).to.equal(1);
    const charges = await chargesOf(tenant, day);
    expect(charges).to.have.length(1);
    expect((await fresh(tenant)).creditCents).to.equal(String(10_000 - dailyChargeCents(2900, day)));
  });

  it('charges a day exactly once when the run is killed half way and run again', async () => {
    const tenants = [];
    for (let i = 0; i < 5; i++) tenants.push(await payingTenant('basic', 3000));
    const last = tenants[4];
    const day = freshDay();
    // Hold the last tenant's row so the run blocks on the batch that holds it, after earlier batches committed.
    const holder = new pg.Client({ connectionString: config.DATABASE_URL });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM public.tenants WHERE id = $1 FOR UPDATE', [last.id]);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'app/cli.ts', 'job:run', 'credit-billing', '--date', day],
      { cwd: config.root, env: { ...process.env, BILLING_BATCH_SIZE: '2' }, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const until = Date.now() + 60_000;
      for (;;) {
        const charged = await BillingEntry.count({
          where: { tenantId: tenants.slice(0, 3).map((t) => t.id), day },
        });
        if (charged === 3) break;
        if (Date.now() > until) throw new Error('the child run did not charge the first tenants');
        await sleep(100);
      }
      child.kill('SIGKILL');
      await exited;
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // The killed batch left nothing behind; its run record is still "running".
    expect(await chargesOf(last, day)).to.have.length(0);
    expect((await fresh(last)).creditCents).to.equal('3000');
    const killed = await JobRun.findOne({
      where: { job: 'credit-billing', triggeredBy: 'cli' },
      order: [['id', 'DESC']],
    });
    expect(killed?.status).to.equal('running');

    // Its lock goes with its connection; the rerun may need a moment to get it.
    let rerun = await runJob(creditBilling, { triggeredBy: 'rerun', day });
    for (let i = 0; rerun.skipped && i < 50; i++) {
      await sleep(100);
      rerun = await runJob(creditBilling, { triggeredBy: 'rerun', day });
    }
    expect(rerun.skipped).to.equal(false);
    for (const t of tenants) {
      expect(await chargesOf(t, day), `charges of ${t.slug}`).to.have.length(1);
      expect((await fresh(t)).creditCents).to.equal('2970');
    }
    await killed?.reload();
    expect(killed?.status).to.equal('failed');
    expect(killed?.failures[0].message).to.match(/interrupted/);
  });

  it('sums exactly to the monthly price over 30 days, to the cent', async () => {
    const odd = await Plan.create({
      code: `odd${Date.now() % 100000}`,
      name: 'Odd',
      pricePerMonthCents: 1001,
      maxProjects: 1,
      maxTasks: 1,
      maxMembers: 1,
    });
    try {
      const premium = await payingTenant('premium', 10_000);
      const oddTenant = await payingTenant(odd.code, 10_000);
      const start = freshDay();
      for (let i = 0; i < 30; i++) await chargeFor(addDays(start, i));
      expect(await chargesOf(premium)).to.have.length(30);
      expect(await ledgerSum(premium)).to.equal(-2900n);
      expect((await fresh(premium)).creditCents).to.equal(String(10_000 - 2900));
      expect(await ledgerSum(oddTenant)).to.equal(-1001n);
      expect((await fresh(oddTenant)).creditCents).to.equal(String(10_000 - 1001));
      const amounts = (await chargesOf(premium)).map((c) => -Number(c.amountCents));
      expect(new Set(amounts)).to.deep.equal(new Set([96, 97]));
    } finally {
      await odd.destroy();
    }
  });

  it('makes a tenant past due below zero and tells its super admins, then suspends it after the grace period', async () => {
    const tenant = await payingTenant('basic', 40, { kind: 'church' });
    const admin = await createUser(tenant, { level: 0 });
    const viewer = await createUser(tenant, { level: 4 });
    const usersBefore = await withTenant(tenant.toRef(), () => User.count());
    await mailbox.settled();
    mailbox.clear();
    const day = freshDay();

    await chargeFor(day);
    let now = await fresh(tenant);
    expect(now.creditCents).to.equal('10');
    expect(now.status).to.equal('active');

    const { run } = await chargeFor(addDays(day, 1));
    expect(run.failures).to.deep.equal([]);
    now = await fresh(tenant);
    expect(now.creditCents).to.equal('-20');
    expect(now.status).to.equal('past_due');
    expect(now.pastDueSince).to.equal(addDays(day, 1));
    await mailbox.settled();
    const mail = await mailbox.waitFor(admin.email);
    expect(mail.subject).to.include('credit has run out');
    expect(mail.text).to.include('-$0.20');
    expect(mail.text).to.include(`${hostOf(tenant)}:${config.publicPort}/billing`);
    expect(mailbox.to(viewer.email)).to.have.length(0);
    // Still open while past due.
    expect((await http().get('/login').set('Host', hostOf(tenant))).status).to.equal(200);

    await mailbox.settled();
    mailbox.clear();
    for (let i = 2; i < 1 + config.PAST_DUE_GRACE_DAYS; i++) await chargeFor(addDays(day, i));
    expect((await fresh(tenant)).status).to.equal('past_due');
    await chargeFor(addDays(day, 1 + config.PAST_DUE_GRACE_DAYS));
    now = await fresh(tenant);
    expect(now.status).to.equal('suspended');
    await mailbox.settled();
    const suspendedMail = await mailbox.waitFor(admin.email);
    expect(suspendedMail.subject).to.include('is suspended');
    expect(mailbox.to(admin.email)).to.have.length(1);

    const page = await http().get('/').set('Host', hostOf(tenant));
    expect(page.status).to.equal(403);
    expect(page.text).to.include('is suspended');
    // No data is touched, and a suspended tenant is no longer charged.
    expect(await withTenant(tenant.toRef(), () => User.count())).to.equal(usersBefore);
    const balance = now.creditCents;
    await chargeFor(addDays(day, 2 + config.PAST_DUE_GRACE_DAYS));
    expect((await fresh(tenant)).creditCents).to.equal(balance);
  });

  it('keeps charging the others and records the tenant whose charge fails', async () => {
    const ok1 = await payingTenant('basic', 900);
    const broken = await payingTenant('basic', 900);
    const ok2 = await payingTenant('basic', 900);
    const day = freshDay();
    // A database rule that refuses this one tenant's rows stands in for any per-tenant failure.
    await db().query(
      `ALTER TABLE public.billing_entries ADD CONSTRAINT test_refuse_one CHECK (tenant_id <> ${Number(broken.id)}) NOT VALID`,
    );
    try {
      const { run } = await chargeFor(day);
      expect(run.status).to.equal('partial');
      expect(run.failures).to.have.length(1);
      expect(run.failures[0].tenant).to.equal(broken.slug);
      expect(run.failures[0].message).to.include('test_refuse_one');
      const stored = await JobRun.findByPk(run.id, { rejectOnEmpty: true });
      expect(stored.failures[0].tenant).to.equal(broken.slug);
    } finally {
      await db().query('ALTER TABLE public.billing_entries DROP CONSTRAINT test_refuse_one');
    }
    expect(await chargesOf(ok1, day)).to.have.length(1);
    expect(await chargesOf(ok2, day)).to.have.length(1);
    expect(await chargesOf(broken, day)).to.have.length(0);
    expect((await fresh(broken)).creditCents).to.equal('900');
    // The rerun charges it once the problem is gone, and nobody twice.
    const { run } = await chargeFor(day);
    expect(run.status).to.equal('succeeded');
    for (const t of [ok1, broken, ok2]) expect((await fresh(t)).creditCents).to.equal('870');
  });
});
