import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type supertest from 'supertest';
import { db } from '../../app/db/database.ts';
import { Contribution, Member, type Tenant } from '../../app/models/index.ts';
import { type StatementEmail, statementEmailJob } from '../../app/queue/jobs/statement-email.ts';
import { startQueue, stopQueue } from '../../app/queue/queue.ts';
import { claim, mailingProgress, statementJobsPending } from '../../app/services/statements.ts';
import { config } from '../../config/index.ts';
import { createUser, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';
import { auditEntries, createMember, fundNamed, inTenant } from '../support/finance.ts';
import { mailbox } from '../support/mailbox.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('giving statements through the job queue', function () {
  this.timeout(240_000);
  const PEOPLE = 500;
  let tenant: Tenant;
  let host: string;
  let treasurer: supertest.Agent;
  const addresses: string[] = [];

  before(async () => {
    tenant = await createTenant({ kind: 'church', name: 'Mercy Fellowship' });
    host = hostOf(tenant);
    await createUser(tenant, { level: 1, email: 'treasurer@mercy.test' });
    treasurer = await signedIn(tenant, 'treasurer@mercy.test');
    const fund = await fundNamed(tenant, 'Tithe');
    await inTenant(tenant, async () => {
      const rows = Array.from({ length: PEOPLE }, (_, i) => ({
        firstName: `Giver${i}`,
        lastName: 'Mercy',
        email: `giver${i}@mercy.test`,
        phone: null,
        address: null,
        birthDate: null,
        joinedOn: null,
        notes: null,
        householdId: null,
        userId: null,
      }));
      const members = await Member.bulkCreate(rows);
      await Contribution.bulkCreate(
        members.map((m, i) => ({
          memberId: m.id,
          fundId: fund,
          amountCents: String(1000 + i),
          receivedOn: '2025-04-01',
          method: 'cash',
          reference: null,
          note: null,
          createdBy: null,
        })),
      );
    });
    for (let i = 0; i < PEOPLE; i += 1) addresses.push(`giver${i}@mercy.test`);
  });

  const progress = () => inTenant(tenant, () => mailingProgress(2025));

  async function waitUntil(test: () => Promise<boolean>, ms: number, what: string): Promise<void> {
    const until = Date.now() + ms;
    while (!(await test())) {
      if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
      await sleep(20);
    }
  }

  function emailAllForm(html: string): Record<string, string> {
    const form = html.slice(html.indexOf('<form', html.indexOf('id="email-all"')));
    const body = form.slice(0, form.indexOf('</form>'));
    return Object.fromEntries(
      [...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]),
    );
  }

  it('mails 500 people with progress on the page, survives a worker restart, and sends each exactly one message', async () => {
    mailbox.clear();
    const page = await treasurer.get('/finance/statements?year=2025').set('Host', host);
    expect(page.text).to.include(`E-mail all ${PEOPLE} statements`);
    const fields = emailAllForm(page.text);
    const started = Date.now();
    const res = await treasurer
      .post('/finance/statements/email-all')
      .set('Host', host)
      .type('form')
      .send(fields);
    expect(res.status).to.equal(302);
    // The request queues and returns; it does not wait for 500 messages.
    expect(Date.now() - started).to.be.lessThan(10_000);
    const told = await treasurer.get(res.headers.location).set('Host', host);
    expect(told.text).to.include(`2025: ${PEOPLE} statements are being sent, 0 skipped (no e-mail address).`);

    // Part way through, the page shows the mailing under way with a way to refresh it.
    await waitUntil(async () => ((await progress())?.done ?? 0) >= 50, 60_000, 'the first 50 sent');
    const midway = await treasurer.get('/finance/statements?year=2025').set('Host', host);
    const box = midway.text.slice(midway.text.indexOf('id="mailing-progress"'));
    expect(box).to.include('data-finished="false"').and.include('Mailing under way');
    expect(box).to.include(`of ${PEOPLE} sent`);
    expect(box).to.include('href="/finance/statements?year=2025#mailing-progress"');
    expect(midway.text).to.include('<script src="/assets/js/statement-progress.js" defer></script>');

    // The worker stops (running jobs finish) and nothing moves until it is back.
    await stopQueue(10_000);
    try {
      const stopped = await progress();
      expect(stopped?.done).to.be.greaterThan(0).and.lessThan(PEOPLE);
      expect(stopped?.sending).to.equal(0);
      const sentWhileStopped = mailbox.messages.length;
      await sleep(1500);
      expect((await progress())?.done).to.equal(stopped?.done);
      expect(mailbox.messages.length).to.equal(sentWhileStopped);
      // A second "E-mail all" while it is stopped queues nobody twice.
      const again = await treasurer.get('/finance/statements?year=2025').set('Host', host);
      expect(again.text).not.to.include('href="#email-all"');
    } finally {
      await startQueue({ databaseUrl: config.DATABASE_URL ?? '', work: true });
    }

    await waitUntil(async () => (await progress())?.finished ?? false, 180_000, 'the mailing finished');
    await mailbox.settled();
    const done = await progress();
    expect(done).to.include({ total: PEOPLE, done: PEOPLE, queued: 0, sending: 0 });
    expect(done?.failed).to.deep.equal([]);
    await waitUntil(async () => mailbox.messages.length >= PEOPLE, 10_000, 'all messages arrived');
    expect(mailbox.messages).to.have.length(PEOPLE);
    for (const a of addresses) expect(mailbox.to(a), a).to.have.length(1);
    const [row] = await inTenant(tenant, () =>
      db().query<{ sent: number; once: number; claimed: number }>(
        `SELECT count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent,
                count(*) FILTER (WHERE sends = 1)::int AS once,
                count(*) FILTER (WHERE claimed_at IS NOT NULL)::int AS claimed
           FROM statement_sendings WHERE year = 2025`,
        { type: QueryTypes.SELECT },
      ),
    );
    expect(row).to.deep.equal({ sent: PEOPLE, once: PEOPLE, claimed: 0 });
    expect(await auditEntries(tenant, 'statement.emailed')).to.have.length(PEOPLE);
    const after = await treasurer.get('/finance/statements?year=2025').set('Host', host);
    expect(after.text)
      .to.include('Mailing finished')
      .and.include(`<span data-count="done">${PEOPLE}</span> of ${PEOPLE} sent`);
    expect(after.text).not.to.include('statement-progress.js');
  });

  it('a job run again after its message went out records the send instead of sending it twice', async () => {
    const m = await createMember(tenant, { firstName: 'Ruth', lastName: 'Again', email: 'ruth@mercy.test' });
    await inTenant(tenant, () =>
      Contribution.create({
        memberId: m.id,
        fundId: '0',
        amountCents: '500',
        receivedOn: '2025-05-05',
        method: 'cash',
        reference: null,
        note: null,
        createdBy: null,
      }).catch(async () =>
        Contribution.create({
          memberId: m.id,
          fundId: await fundNamed(tenant, 'Tithe'),
          amountCents: '500',
          receivedOn: '2025-05-05',
          method: 'cash',
          reference: null,
          note: null,
          createdBy: null,
        }),
      ),
    );
    mailbox.clear();
    const jobId = '00000000-0000-4000-8000-000000000015';
    await inTenant(tenant, async () => {
      const [c] = await claim([m.id], 2025, null);
      expect(c?.memberId).to.equal(String(m.id));
      const job: StatementEmail = { ...c, year: 2025, sentUpTo: null, userId: null, mailing: null };
      // The worker died after the mail server accepted the message: its delivery is on record.
      await db().query(
        `INSERT INTO public.mail_deliveries (job_id, tenant_id, recipient, subject, sent_at)
         VALUES ($1, $2, 'ruth@mercy.test', 'Giving statement 2025', now())`,
        { bind: [jobId, tenant.id] },
      );
      const ctx = { id: jobId, retryCount: 1, tenant: tenant.toRef() };
      await statementEmailJob.handler(job, ctx);
      // And once more: the claim is gone, nothing to do.
      await statementEmailJob.handler(job, ctx);
    });
    await sleep(300);
    expect(mailbox.to('ruth@mercy.test')).to.have.length(0);
    const [row] = await inTenant(tenant, () =>
      db().query<{ sends: number; claimed: boolean }>(
        'SELECT sends, claimed_at IS NOT NULL AS claimed FROM statement_sendings WHERE member_id = $1 AND year = 2025',
        { bind: [m.id], type: QueryTypes.SELECT },
      ),
    );
    expect(row).to.deep.equal({ sends: 1, claimed: false });
    const audited = (await auditEntries(tenant, 'statement.emailed')).filter(
      (e) => e.recordId === String(m.id),
    );
    expect(audited).to.have.length(1);
    expect(await inTenant(tenant, statementJobsPending)).to.equal(0);
  });

  it("lists who could not be sent, with the mail server's answer, once their last try failed", async () => {
    const m = await createMember(tenant, { firstName: 'Faye', lastName: 'Bounce', email: 'faye@mercy.test' });
    await inTenant(tenant, async () =>
      Contribution.create({
        memberId: m.id,
        fundId: await fundNamed(tenant, 'Tithe'),
        amountCents: '700',
        receivedOn: '2025-07-07',
        method: 'cash',
        reference: null,
        note: null,
        createdBy: null,
      }),
    );
    // The workers stop: the mailing is queued, and its one job then fails for good.
    await stopQueue(10_000);
    try {
      await startQueue({ databaseUrl: config.DATABASE_URL ?? '', work: false });
      const page = await treasurer.get('/finance/statements?year=2025').set('Host', host);
      expect(page.text).to.include('E-mail the 1 not sent yet');
      const res = await treasurer
        .post('/finance/statements/email-all')
        .set('Host', host)
        .type('form')
        .send(emailAllForm(page.text));
      expect(res.status).to.equal(302);
      const queued = await progress();
      expect(queued).to.include({ total: 1, queued: 1, done: 0 });
      expect(queued?.finished).to.equal(false);
      await db().query(
        `UPDATE pgboss.job SET state = 'failed', output = '{"message": "550 faye@mercy.test: mailbox unavailable"}'::jsonb
          WHERE name = 'statement-email' AND data->'payload'->>'memberId' = $1`,
        { bind: [String(m.id)] },
      );
    } finally {
      await stopQueue(10_000);
      await startQueue({ databaseUrl: config.DATABASE_URL ?? '', work: true });
    }
    const failed = await progress();
    expect(failed).to.include({ total: 1, queued: 0, sending: 0, done: 0, finished: true });
    expect(failed?.failed).to.deep.equal([
      {
        memberId: String(m.id),
        firstName: 'Faye',
        lastName: 'Bounce',
        error: '550 faye@mercy.test: mailbox unavailable',
      },
    ]);
    const after = await treasurer.get('/finance/statements?year=2025').set('Host', host);
    const box = after.text.slice(after.text.indexOf('id="mailing-progress"'));
    expect(box)
      .to.include('data-finished="true"')
      .and.include('<span data-count="failed">1</span> could not be sent');
    expect(after.text).to.match(/class="alert alert-warning small" id="mailing-progress"/);
    expect(box)
      .to.include(`data-failed-member-id="${m.id}"`)
      .and.include('550 faye@mercy.test: mailbox unavailable');
    expect(mailbox.to('faye@mercy.test')).to.have.length(0);
  });
});
