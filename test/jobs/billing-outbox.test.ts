import { spawn } from 'node:child_process';
import { expect } from 'chai';
import pg from 'pg';
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { chargeBatch, creditBilling } from '../../app/jobs/credit-billing.ts';
import { runJob } from '../../app/jobs/run-job.ts';
import { JobRun, Notification, type Tenant } from '../../app/models/index.ts';
import { CHANGES_CHANNEL } from '../../app/tenancy/changes.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { quoteIdent } from '../../app/tenancy/schema-name.ts';
import { config } from '../../config/index.ts';
import { adminEmail } from '../support/factories.ts';
import { mailbox } from '../support/mailbox.ts';
import { chargeFor, chargesOf, fresh, freshDay, payingTenant } from './billing-support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Tenants on Basic (30 cents a day) that today's charge takes below zero: past due. */
async function goingPastDue(count: number): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  for (let i = 0; i < count; i++) tenants.push(await payingTenant('basic', 10));
  return tenants;
}

/** What the tenant's first super admin was told: in-app notices of `kind` and e-mails. */
async function toldOf(
  tenant: Tenant,
  kind = 'billing.past_due',
): Promise<{ notices: number; mails: number }> {
  const notices = await withTenant(tenant.toRef(), () => Notification.count({ where: { kind } }));
  return { notices, mails: mailbox.to(adminEmail(tenant)).length };
}

interface OutboxState {
  event: string;
  delivered: boolean;
  mailedTo: string[];
}

async function outboxOf(tenant: Tenant): Promise<OutboxState[]> {
  return db().query<OutboxState>(
    `SELECT event, delivered_at IS NOT NULL AS delivered, mailed_to AS "mailedTo"
       FROM public.notice_outbox WHERE tenant_id = $1 ORDER BY id`,
    { bind: [tenant.id], type: QueryTypes.SELECT },
  );
}

/** Runs the charge again until the lock of a killed run has gone with its connection. */
async function rerun(day: string) {
  for (let i = 0; i < 50; i++) {
    const outcome = await runJob(creditBilling, { triggeredBy: 'rerun', day });
    if (!outcome.skipped) return outcome.run;
    await sleep(100);
  }
  throw new Error('the rerun never got the job lock');
}

describe('what credit billing tells survives a crash', function () {
  this.timeout(60_000);

  it('tells each tenant once, in the app and by e-mail, in an uninterrupted run, and a rerun adds nothing', async () => {
    const tenants = await goingPastDue(2);
    const day = freshDay();
    await mailbox.settled();
    mailbox.clear();
    const { run } = await chargeFor(day);
    expect(run.status).to.equal('succeeded');
    for (const t of tenants) {
      await mailbox.settled();
      await mailbox.waitFor(adminEmail(t));
      expect(await toldOf(t)).to.deep.equal({ notices: 1, mails: 1 });
      expect(await outboxOf(t)).to.deep.equal([
        { event: 'past_due', delivered: true, mailedTo: [adminEmail(t)] },
      ]);
    }
    const [first] = mailbox.to(adminEmail(tenants[0]));
    expect(first.messageId).to.match(/^<notice\.\d+\.[0-9a-f]{16}@localhost>$/);

    await chargeFor(day);
    for (const t of tenants) {
      expect(await toldOf(t)).to.deep.equal({ notices: 1, mails: 1 });
      expect(await outboxOf(t)).to.have.length(1);
      expect(await chargesOf(t, day)).to.have.length(1);
    }
  });

  it('keeps every notice through a mail-server outage and e-mails each tenant once when it is back', async () => {
    const tenants = await goingPastDue(3);
    // 240 cents leave 210 after the charge: seven days of Basic.
    const low = await payingTenant('basic', 240);
    const day = freshDay();
    await mailbox.settled();
    mailbox.clear();
    const port = Number(process.env.STEWARD_TEST_SMTP_PORT);
    const addresses = [...tenants, low].map(adminEmail);
    await mailbox.stop();
    try {
      // Delivery queues the e-mails; the run does not wait for the mail server.
      const { run } = await chargeFor(day);
      expect(run.status).to.equal('succeeded');
      for (const t of tenants) {
        expect((await fresh(t)).status).to.equal('past_due');
        expect(await outboxOf(t)).to.deep.equal([
          { event: 'past_due', delivered: true, mailedTo: [adminEmail(t)] },
        ]);
      }
      // Each e-mail's job meets the closed server and waits for its next try.
      const until = Date.now() + 10_000;
      for (;;) {
        const [row] = await db().query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pgboss.job
            WHERE name = 'mail' AND state = 'retry' AND data->'payload'->>'to' = ANY($1::text[])`,
          { bind: [addresses], type: QueryTypes.SELECT },
        );
        if (row.n === addresses.length) break;
        if (Date.now() > until) throw new Error(`${row.n} of ${addresses.length} mail jobs are retrying`);
        await sleep(100);
      }
    } finally {
      await mailbox.start(port);
    }
    // Their next try, now rather than after the backoff (with the mail the same charge queued for
    // other tests' tenants).
    await db().query("UPDATE pgboss.job SET start_after = now() WHERE name = 'mail' AND state = 'retry'");
    await mailbox.settled(10_000);
    for (const t of tenants) expect(await toldOf(t), t.slug).to.deep.equal({ notices: 1, mails: 1 });
    expect(await toldOf(low, 'billing.low_credit')).to.deep.equal({ notices: 1, mails: 1 });
    expect(mailbox.to(adminEmail(low))[0].subject).to.include('lasts 7 more days');

    const again = await rerun(day);
    expect(again.status).to.equal('succeeded');
    await mailbox.settled();
    for (const t of [...tenants, low]) expect(mailbox.to(adminEmail(t))).to.have.length(1);
  });

  it('delivers by its queued job what a run that died right after the charge left', async () => {
    const [tenant] = await goingPastDue(1);
    const day = freshDay();
    await mailbox.settled();
    mailbox.clear();
    // The batch alone, as a run that dies right after its commit would leave it.
    await chargeBatch(day, String(BigInt(tenant.id) - 1n), 1);
    const [row] = await outboxOf(tenant);
    expect(row).to.include({ event: 'past_due', delivered: false });
    const jobs = await db().query<{ id: string; tenantId: string; later: boolean }>(
      `SELECT j.id::text AS id, j.data->>'tenantId' AS "tenantId", j.start_after > now() AS later
         FROM pgboss.job j JOIN public.notice_outbox o ON o.id::text = j.data->'payload'->>'outboxId'
        WHERE j.name = 'notice-delivery' AND o.tenant_id = $1`,
      { bind: [tenant.id], type: QueryTypes.SELECT },
    );
    // Queued with the charge, in the tenant, a minute ahead (a live run delivers first).
    expect(jobs).to.have.length(1);
    expect(jobs[0]).to.include({ tenantId: String(tenant.id), later: true });
    await db().query('UPDATE pgboss.job SET start_after = now() WHERE id = $1', { bind: [jobs[0].id] });
    const until = Date.now() + 10_000;
    while (!(await outboxOf(tenant))[0].delivered) {
      if (Date.now() > until) throw new Error('the notice job did not deliver');
      await sleep(100);
    }
    await mailbox.settled();
    expect(await toldOf(tenant)).to.deep.equal({ notices: 1, mails: 1 });

    const again = await rerun(day);
    expect(again.status).to.equal('succeeded');
    await mailbox.settled();
    expect(await toldOf(tenant)).to.deep.equal({ notices: 1, mails: 1 });
  });

  it('tells each tenant once when the process dies in the middle of delivering', async () => {
    const tenants = await goingPastDue(3);
    const day = freshDay();
    await mailbox.settled();
    mailbox.clear();
    // Hold the first tenant's notifications so the run stops there, its charges committed and its
    // notices claimed, and kill it.
    const holder = new pg.Client({ connectionString: config.DATABASE_URL });
    await holder.connect();
    const notifications = `${quoteIdent(tenants[0].schemaName)}.notifications`;
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${notifications} IN SHARE MODE`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'app/cli.ts', 'job:run', 'credit-billing', '--date', day],
      { cwd: config.root, env: process.env, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const until = Date.now() + 30_000;
      for (;;) {
        const { rows } = await holder.query(
          'SELECT 1 FROM pg_locks WHERE NOT granted AND relation = $1::regclass',
          [notifications],
        );
        if (rows.length) break;
        if (Date.now() > until) throw new Error('the child run never reached the delivery');
        await sleep(50);
      }
      child.kill('SIGKILL');
      await exited;
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const killed = await JobRun.findOne({
      where: { job: 'credit-billing', triggeredBy: 'cli' },
      order: [['id', 'DESC']],
      rejectOnEmpty: true,
    });
    expect(killed.status).to.equal('running');
    for (const t of tenants) expect(mailbox.to(adminEmail(t)), t.slug).to.have.length(0);

    await rerun(day);
    for (const t of tenants) {
      await mailbox.settled();
      await mailbox.waitFor(adminEmail(t));
      expect(await toldOf(t), t.slug).to.deep.equal({ notices: 1, mails: 1 });
      expect(await chargesOf(t, day)).to.have.length(1);
      expect((await outboxOf(t)).map((r) => r.delivered)).to.deep.equal([true]);
    }
    await killed.reload();
    expect(killed.status).to.equal('failed');
  });

  it("announces a status change to other processes' caches with the charge's commit", async () => {
    const [tenant] = await goingPastDue(1);
    const day = freshDay();
    const listener = new pg.Client({ connectionString: config.DATABASE_URL });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    try {
      await listener.query(`LISTEN ${CHANGES_CHANNEL}`);
      // The batch alone, as a run that dies right after its commit would leave it.
      const batch = await chargeBatch(day, String(BigInt(tenant.id) - 1n), 1);
      expect(batch.transitions).to.deep.equal([{ id: String(tenant.id), status: 'past_due' }]);
      const until = Date.now() + 3000;
      while (!heard.includes('tenants') && Date.now() < until) await sleep(20);
      expect(heard).to.include('tenants');
    } finally {
      await listener.end();
    }
  });
});
