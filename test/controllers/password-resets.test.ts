import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import supertest from 'supertest';
import { createApp } from '../../app/app.ts';
import { db } from '../../app/db/database.ts';
import { AuditLog, type Tenant, User } from '../../app/models/index.ts';
import { PRIORITY } from '../../app/queue/queue.ts';
import { issueToken } from '../../app/services/tokens.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, signedIn } from '../support/auth.ts';
import { createTenant, hostOf, http, TEST_PASSWORD } from '../support/factories.ts';
import { linkIn, mailbox } from '../support/mailbox.ts';

const GENERIC = 'If that e-mail belongs to an account here, a link to choose a new password is on its way.';

async function askForReset(tenant: Tenant, email: string) {
  const agent = http();
  const host = hostOf(tenant);
  const _csrf = await csrfToken(agent, host, '/password/forgot');
  const res = await agent.post('/password/forgot').set('Host', host).type('form').send({ email, _csrf });
  const page = await agent.get('/login').set('Host', host);
  return { res, page };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
};

async function choosePassword(tenant: Tenant, path: string, password: string, confirm = password) {
  const agent = http();
  const host = hostOf(tenant);
  const _csrf = await csrfToken(agent, host, path);
  return agent.post(path).set('Host', host).type('form').send({ password, confirm, _csrf });
}

describe('password reset and invitations', () => {
  let tenant: Tenant;
  let other: Tenant;

  before(async () => {
    tenant = await createTenant();
    other = await createTenant();
    await createUser(tenant, { email: 'rosa@example.test', name: 'Rosa' });
  });

  // Mail queued by an earlier test has gone out before this one starts counting.
  beforeEach(async () => {
    await mailbox.settled();
    mailbox.clear();
  });

  it('e-mails a single-use link that sets a new password', async () => {
    const { res, page } = await askForReset(tenant, 'rosa@example.test');
    expect(res.status).to.equal(302);
    expect(page.text).to.include(GENERIC);
    const mail = await mailbox.waitFor('rosa@example.test');
    expect(mail.subject).to.equal('Choose a new password');
    expect(mail.headers.get('x-steward-tenant')).to.equal(tenant.slug);
    const path = linkIn(mail, '/password/reset/');
    // Queued ahead of any mass mailing, in the tenant it was asked for.
    const [job] = await db().query<{ priority: number; tenantId: string }>(
      `SELECT priority, data->>'tenantId' AS "tenantId" FROM pgboss.job
        WHERE name = 'mail' AND data->'payload'->>'to' = $1
        ORDER BY created_on DESC LIMIT 1`,
      { bind: ['rosa@example.test'], type: QueryTypes.SELECT },
    );
    expect(job).to.deep.equal({ priority: PRIORITY.urgent, tenantId: String(tenant.id) });
    expect(mail.text).to.include(`http://${hostOf(tenant)}`);
    expect(mail.text).to.include(`${tenant.name} on Steward`);
    expect(mail.text).not.to.include('[object Promise]');

    const mismatch = await choosePassword(tenant, path, 'a brand new password', 'something else entirely');
    expect(mismatch.status).to.equal(422);
    expect(mismatch.text).to.include('does not match the password');
    const short = await choosePassword(tenant, path, 'short');
    expect(short.status).to.equal(422);

    const ok = await choosePassword(tenant, path, 'a brand new password');
    expect(ok.status).to.equal(302);
    await signedIn(tenant, 'rosa@example.test', 'a brand new password');

    const again = await http().get(path).set('Host', hostOf(tenant));
    expect(again.status).to.equal(410);
    const reuse = await http().post(path).set('Host', hostOf(tenant)).type('form').send({});
    expect([403, 410]).to.include(reuse.status);

    await withTenant(tenant.toRef(), async () => {
      const entry = await AuditLog.findOne({ where: { action: 'password.reset' } });
      expect(entry?.recordLabel).to.equal('rosa@example.test');
      expect(JSON.stringify(entry?.changes)).not.to.match(/argon2|passwordHash/);
    });
  });

  it('answers an unknown or inactive e-mail exactly like a known one, and sends nothing', async () => {
    await createUser(tenant, { email: 'off@example.test', active: false });
    for (const email of ['nobody@example.test', 'off@example.test']) {
      const { res, page } = await askForReset(tenant, email);
      expect(res.status).to.equal(302);
      expect(page.text).to.include(GENERIC);
    }
    // The lookup runs after the answer: give it the moment a known address takes to queue its mail.
    await new Promise((r) => setTimeout(r, 200));
    await mailbox.settled();
    expect(mailbox.messages).to.have.length(0);
  });

  it('limits the sixth request for an address inside the window, known or not, and sends no sixth e-mail', async () => {
    await createUser(tenant, { email: 'lim@example.test' });
    const pages: string[] = [];
    for (const email of ['lim@example.test', 'ghost@example.test']) {
      for (let i = 1; i <= 5; i++) {
        const { res, page } = await askForReset(tenant, email);
        expect(res.status, `${email} #${i}`).to.equal(302);
        expect(page.text).to.include(GENERIC);
      }
      const { res } = await askForReset(tenant, email);
      expect(res.status, `${email} #6`).to.equal(429);
      expect(res.text).to.match(
        /Too many requests for this address\. No e-mail was sent\. Try again in \d+ minutes?, at \d\d:\d\d UTC\./,
      );
      pages.push(res.text.replaceAll(email, 'ADDRESS').replace(/name="_csrf" value="[^"]+"/, ''));
    }
    // A known and an unknown address get the same limited page.
    expect(pages[0]).to.equal(pages[1]);
    const until = Date.now() + 3000;
    while (mailbox.to('lim@example.test').length < 5 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    await mailbox.settled();
    expect(mailbox.to('lim@example.test')).to.have.length(5);
    expect(mailbox.to('ghost@example.test')).to.have.length(0);
  });

  it('answers a known and an unknown address in the same time, within noise', async function () {
    this.timeout(20_000);
    const host = hostOf(other);
    const known = Array.from({ length: 30 }, (_, i) => `known${i}@example.test`);
    const unknown = Array.from({ length: 30 }, (_, i) => `unknown${i}@example.test`);
    await withTenant(other.toRef(), () =>
      User.bulkCreate(
        known.map((email, i) => ({ email, name: `Known ${i}`, passwordHash: null, department: null })),
      ),
    );
    // Each sample from its own client address, so the per-client limit stays out of the way.
    const app = createApp();
    app.set('trust proxy', 'loopback');
    const samples = { known: [] as number[], unknown: [] as number[] };
    const sample = async (kind: 'known' | 'unknown', i: number) => {
      const email = kind === 'known' ? known[i] : unknown[i];
      const ip = `10.0.${kind === 'known' ? 1 : 2}.${i + 1}`;
      const agent = supertest.agent(app);
      const form = await agent.get('/password/forgot').set('Host', host).set('X-Forwarded-For', ip);
      const _csrf = form.text.match(/name="_csrf" value="([^"]+)"/)?.[1];
      const started = process.hrtime.bigint();
      const res = await agent
        .post('/password/forgot')
        .set('Host', host)
        .set('X-Forwarded-For', ip)
        .type('form')
        .send({ email, _csrf });
      samples[kind].push(Number(process.hrtime.bigint() - started) / 1e6);
      expect(res.status).to.equal(302);
      // Work left after the answer finishes before the next sample starts.
      if (kind === 'known') await mailbox.waitFor(email);
      await new Promise((r) => setTimeout(r, 10));
    };
    for (let i = 0; i < 30; i++) {
      // Alternating which goes first, so neither always follows the other.
      if (i % 2 === 0) {
        await sample('known', i);
        await sample('unknown', i);
      } else {
        await sample('unknown', i);
        await sample('known', i);
      }
    }
    const mk = median(samples.known);
    const mu = median(samples.unknown);
    const all = median([...samples.known, ...samples.unknown]);
    expect(Math.abs(mk - mu), `median known ${mk.toFixed(1)} ms, unknown ${mu.toFixed(1)} ms`).to.be.below(
      Math.max(3, 0.5 * all),
    );
    await mailbox.settled();
    expect(mailbox.messages).to.have.length(30);
  });

  it('refuses an expired link', async () => {
    const user = await createUser(tenant);
    const token = await withTenant(tenant.toRef(), () => issueToken(user.id, 'reset', 1));
    await new Promise((r) => setTimeout(r, 10));
    const res = await http().get(`/password/reset/${token}`).set('Host', hostOf(tenant));
    expect(res.status).to.equal(410);
    expect(res.text).to.include('This link no longer works');
  });

  it("refuses a link of tenant A on tenant B's host", async () => {
    const user = await createUser(tenant);
    const token = await withTenant(tenant.toRef(), () => issueToken(user.id, 'reset'));
    expect((await http().get(`/password/reset/${token}`).set('Host', hostOf(other))).status).to.equal(410);
    expect((await http().get(`/password/reset/${token}`).set('Host', hostOf(tenant))).status).to.equal(200);
  });

  it('only the newest link works when several were asked for', async () => {
    await askForReset(tenant, 'rosa@example.test');
    const first = linkIn(await mailbox.waitFor('rosa@example.test'), '/password/reset/');
    mailbox.clear();
    await askForReset(tenant, 'rosa@example.test');
    const second = linkIn(await mailbox.waitFor('rosa@example.test'), '/password/reset/');
    expect((await http().get(first).set('Host', hostOf(tenant))).status).to.equal(410);
    expect((await http().get(second).set('Host', hostOf(tenant))).status).to.equal(200);
  });

  it('lets an invited person choose a password once, then sign in', async () => {
    const invited = await withTenant(tenant.toRef(), () =>
      User.create({ email: 'new@example.test', name: 'New Person', passwordHash: null, department: null }),
    );
    const token = await withTenant(tenant.toRef(), () => issueToken(invited.id, 'invite'));
    const path = `/invitations/${token}`;
    expect((await http().get(path).set('Host', hostOf(tenant))).text).to.include('Choose your password');
    expect((await choosePassword(tenant, path, 'my first password')).status).to.equal(302);
    await signedIn(tenant, 'new@example.test', 'my first password');
    expect((await http().get(path).set('Host', hostOf(tenant))).status).to.equal(410);
    // a reset token is not an invitation token
    const reset = await withTenant(tenant.toRef(), () => issueToken(invited.id, 'reset'));
    expect((await http().get(`/invitations/${reset}`).set('Host', hostOf(tenant))).status).to.equal(410);
  });

  it('an account without a password cannot sign in with any password', async () => {
    await withTenant(tenant.toRef(), () =>
      User.create({ email: 'nopass@example.test', name: 'No Pass', passwordHash: null, department: null }),
    );
    const agent = http();
    const _csrf = await csrfToken(agent, hostOf(tenant), '/login');
    const res = await agent
      .post('/login')
      .set('Host', hostOf(tenant))
      .type('form')
      .send({ email: 'nopass@example.test', password: TEST_PASSWORD, _csrf });
    expect(res.status).to.equal(401);
  });
});
