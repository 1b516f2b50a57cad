import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type supertest from 'supertest';
import { db } from '../../app/db/database.ts';
import type { Member, Tenant } from '../../app/models/index.ts';
import { Setting } from '../../app/models/index.ts';
import { statementJobsPending } from '../../app/services/statements.ts';
import { createUser, csrfToken, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';
import { auditEntries, createContribution, createMember, fundNamed, inTenant } from '../support/finance.ts';
import { mailbox } from '../support/mailbox.ts';

describe('giving statements (/finance/statements)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let treasurer: supertest.Agent;
  let viewer: supertest.Agent;
  let alice: Member;
  let bob: Member;
  let carol: Member;
  let dan: Member;
  let aliceCents: bigint;

  before(async () => {
    tenant = await createTenant({ kind: 'church', name: 'Hope Chapel' });
    host = hostOf(tenant);
    await inTenant(tenant, () =>
      Setting.bulkCreate(
        [
          { key: 'address', value: '12 Church Lane\nSpringfield' },
          { key: 'phone', value: '+1 555 0100' },
        ],
        { updateOnDuplicate: ['value'] },
      ),
    );
    await createUser(tenant, { level: 1, email: 'treasurer@hope.test' });
    await createUser(tenant, { level: 2, email: 'viewer@hope.test' });
    treasurer = await signedIn(tenant, 'treasurer@hope.test');
    viewer = await signedIn(tenant, 'viewer@hope.test');
    const tithe = await fundNamed(tenant, 'Tithe');
    const building = await fundNamed(tenant, 'Building');
    alice = await createMember(tenant, {
      firstName: 'Alice',
      lastName: 'Able',
      email: 'alice@hope.test',
      address: '1 Oak St',
    });
    bob = await createMember(tenant, { firstName: 'Bob', lastName: 'Baker', email: null });
    carol = await createMember(tenant, { firstName: 'Carol', lastName: 'Cole', email: 'carol@hope.test' });
    dan = await createMember(tenant, { firstName: 'Dan', lastName: 'Dry', email: 'dan@hope.test' });
    // Alice gives every week of 2025 with odd cents, gets one gift reversed, and gave in 2024 too.
    aliceCents = 0n;
    for (let week = 0; week < 52; week += 1) {
      const date = new Date(Date.UTC(2025, 0, 5 + week * 7)).toISOString().slice(0, 10);
      const cents = 2_501n + BigInt(week) * 37n;
      aliceCents += cents;
      await createContribution(tenant, {
        fundId: week % 3 ? tithe : building,
        memberId: alice.id,
        amountCents: cents.toString(),
        receivedOn: date,
      });
    }
    await createContribution(tenant, {
      fundId: tithe,
      memberId: alice.id,
      amountCents: '-2501',
      receivedOn: '2025-01-05',
      note: 'Reversal of contribution #1',
    });
    aliceCents -= 2501n;
    await createContribution(tenant, {
      fundId: tithe,
      memberId: alice.id,
      amountCents: '100000',
      receivedOn: '2024-12-31',
    });
    await createContribution(tenant, {
      fundId: tithe,
      memberId: alice.id,
      amountCents: '100000',
      receivedOn: '2026-01-01',
    });
    await createContribution(tenant, {
      fundId: tithe,
      memberId: bob.id,
      amountCents: '7777',
      receivedOn: '2025-06-01',
    });
    await createContribution(tenant, {
      fundId: building,
      memberId: carol.id,
      amountCents: '1',
      receivedOn: '2025-12-31',
    });
    await createContribution(tenant, {
      fundId: tithe,
      memberId: null,
      amountCents: '50000',
      receivedOn: '2025-06-01',
    });
    // Dan gave only in 2024.
    await createContribution(tenant, {
      fundId: tithe,
      memberId: dan.id,
      amountCents: '300',
      receivedOn: '2024-05-05',
    });
  });

  /** Waits until the tenant's statement jobs (and any other mail) have all run. */
  async function settled(t: Tenant = tenant): Promise<void> {
    const until = Date.now() + 20_000;
    while (await inTenant(t, statementJobsPending)) {
      if (Date.now() > until) throw new Error('statement jobs were still queued after 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    await mailbox.settled();
  }

  async function ledgerSum(memberId: string, year: number): Promise<string> {
    const [row] = await inTenant(tenant, () =>
      db().query<{ total: string }>(
        `SELECT COALESCE(SUM(amount_cents), 0)::bigint AS total FROM contributions
          WHERE member_id = $1 AND received_on BETWEEN $2::date AND $3::date`,
        { bind: [memberId, `${year}-01-01`, `${year}-12-31`], type: QueryTypes.SELECT },
      ),
    );
    return String(row.total);
  }

  it('lists the givers of the year with their totals, those without an e-mail address first', async () => {
    const res = await viewer.get('/finance/statements?year=2025').set('Host', host);
    expect(res.status).to.equal(200);
    const without = res.text.indexOf('Without an e-mail address (1)');
    const withEmail = res.text.indexOf('With an e-mail address (2)');
    expect(without).to.be.greaterThan(0);
    expect(withEmail).to.be.greaterThan(without);
    const bobAt = res.text.indexOf(`data-member-id="${bob.id}"`);
    expect(bobAt).to.be.greaterThan(without).and.lessThan(withEmail);
    expect(res.text.indexOf(`data-member-id="${alice.id}"`)).to.be.greaterThan(withEmail);
    expect(res.text.indexOf(`data-member-id="${carol.id}"`)).to.be.greaterThan(
      res.text.indexOf(`data-member-id="${alice.id}"`),
    );
    expect(res.text).not.to.include(`data-member-id="${dan.id}"`);
    expect(res.text).to.include('77.77');
    // A viewer cannot send anything.
    expect(res.text).not.to.include('/finance/statements/email-all');
  });

  it('prints a statement whose total equals the ledger for that member and year, reversals included', async () => {
    const res = await viewer.get(`/finance/statements/${alice.id}?year=2025`).set('Host', host);
    expect(res.status).to.equal(200);
    const ledger = await ledgerSum(alice.id, 2025);
    expect(ledger).to.equal(aliceCents.toString());
    expect(res.text).to.include(`data-statement-total="${ledger}"`);
    expect(res.text)
      .to.include('Hope Chapel')
      .and.include('12 Church Lane\nSpringfield')
      .and.include('+1 555 0100');
    expect(res.text).to.include('Alice Able').and.include('1 Oak St');
    expect((res.text.match(/<tr><td class="text-nowrap">2025-/g) ?? []).length).to.equal(53);
    expect(res.text).not.to.include('2024-12-31').and.not.include('2026-01-01');
    expect(res.text).to.include('class="statement"');
    expect(res.text).to.include('d-print-none');
    expect(res.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.to.match(/\sstyle=|\son[a-z]+=/i);
    const y2024 = await viewer.get(`/finance/statements/${alice.id}?year=2024`).set('Host', host);
    expect(y2024.text).to.include('data-statement-total="100000"');
    const none = await viewer.get(`/finance/statements/${bob.id}?year=2023`).set('Host', host);
    expect(none.status).to.equal(200);
    expect(none.text).to.include('No gifts were recorded');
  });

  it('has print rules that hide the navigation and buttons on an A4 page', async () => {
    const css = await viewer.get('/assets/css/app.css').set('Host', host);
    expect(css.text).to.match(
      /@media print[\s\S]*size: A4[\s\S]*nav\.navbar[\s\S]*\.btn[\s\S]*display: none/,
    );
  });

  /** The action and hidden fields (CSRF token included) of the form in dialog or confirmation page `id`. */
  function formOf(html: string, id: string): { action: string; fields: Record<string, string> } {
    const marked = [`id="${id}"`, `data-confirmation="${id}"`]
      .map((m) => html.indexOf(m))
      .filter((i) => i >= 0);
    expect(marked, `no dialog ${id}`).not.to.be.empty;
    const form = html.slice(html.indexOf('<form', Math.min(...marked)));
    const body = form.slice(0, form.indexOf('</form>'));
    const action = /action="([^"]+)"/.exec(body)?.[1] ?? '';
    const fields = Object.fromEntries(
      [...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]),
    );
    return { action, fields };
  }

  async function submit(agent: supertest.Agent, form: { action: string; fields: Record<string, string> }) {
    return agent.post(form.action).set('Host', host).type('form').send(form.fields);
  }

  it('asks before e-mailing one statement, and sends nothing until the question is answered', async () => {
    mailbox.clear();
    const page = await treasurer.get(`/finance/statements/${alice.id}?year=2025`).set('Host', host);
    expect(page.text).to.include('href="#email-statement"');
    const dialog = formOf(page.text, 'email-statement');
    expect(dialog.action).to.equal(`/finance/statements/${alice.id}/email`);
    expect(dialog.fields).to.include({ confirmed: 'yes', year: '2025', sentUpTo: '' });
    expect(dialog.fields._csrf).to.be.a('string').and.not.equal('');
    expect(page.text).to.include('Alice Able will get the statement of 2025 at alice@hope.test.');
    // A form posted without the answer gets the question as a page of its own.
    const { _csrf } = dialog.fields;
    const unconfirmed = await treasurer
      .post(`/finance/statements/${alice.id}/email`)
      .set('Host', host)
      .type('form')
      .send({ _csrf, year: '2025' });
    expect(unconfirmed.status).to.equal(200);
    expect(unconfirmed.text).to.include('E-mail the 2025 statement?');
    expect(formOf(unconfirmed.text, 'email-statement').fields).to.include({ confirmed: 'yes', year: '2025' });
    const get = await treasurer.get(`/finance/statements/${alice.id}/email?year=2025`).set('Host', host);
    expect(get.status).to.equal(404);
    await settled();
    expect(mailbox.messages).to.have.length(0);
    expect(await auditEntries(tenant, 'statement.emailed')).to.have.length(0);
  });

  it('e-mails one statement with the same total as the ledger, audits it and confirms it on the page', async () => {
    mailbox.clear();
    const page = await treasurer.get(`/finance/statements/${alice.id}?year=2025`).set('Host', host);
    const res = await submit(treasurer, formOf(page.text, 'email-statement'));
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal(`/finance/statements/${alice.id}?year=2025`);
    // The request only queued it: the flash says it is on its way, the worker sends it.
    const queued = await treasurer.get(res.headers.location).set('Host', host);
    expect(queued.text).to.include('The 2025 statement is being sent to alice@hope.test.');
    await settled();
    const mail = await mailbox.waitFor('alice@hope.test');
    expect(mail.subject).to.equal('Your 2025 giving statement from Hope Chapel');
    const total = (BigInt(await ledgerSum(alice.id, 2025)) / 100n).toLocaleString('en-US');
    const cents = (BigInt(await ledgerSum(alice.id, 2025)) % 100n).toString().padStart(2, '0');
    expect(mail.text).to.include(`Total 2025: ${total}.${cents}`);
    expect(mail.html).to.include(`${total}.${cents}`);
    const [logged] = await auditEntries(tenant, 'statement.emailed');
    expect(logged.recordId).to.equal(alice.id);
    expect(logged.changes.year).to.deep.equal({ from: null, to: 2025 });
    expect(logged.changes.totalCents).to.deep.equal({ from: null, to: aliceCents.toString() });
    const after = await treasurer.get(res.headers.location).set('Host', host);
    expect(after.text).to.include('E-mailed: sent on ');
    // The same confirmed form again (a second click) sends nothing and says why.
    const again = await submit(treasurer, formOf(page.text, 'email-statement'));
    expect(again.status).to.equal(302);
    await settled();
    const told = await treasurer.get(again.headers.location).set('Host', host);
    expect(told.text)
      .to.include('The 2025 statement was sent already on ')
      .and.include('so it was not sent twice');
    expect(mailbox.messages).to.have.length(1);
  });

  it('sends one statement again when asked to, once per answer', async () => {
    mailbox.clear();
    const page = await treasurer.get(`/finance/statements/${alice.id}?year=2025`).set('Host', host);
    expect(page.text).to.include('Send again to alice@hope.test');
    const resend = formOf(page.text, 'email-statement');
    expect(resend.fields.sentUpTo).to.match(/^\d{4}-\d{2}-\d{2}T/);
    expect(page.text).to.include('Send the 2025 statement again?').and.include('It was sent on ');
    const res = await submit(treasurer, resend);
    expect(res.status).to.equal(302);
    const told = await treasurer.get(res.headers.location).set('Host', host);
    expect(told.text).to.include('The 2025 statement is being sent to alice@hope.test.');
    // The resend answered to the send it saw; pressed twice (before or after it went out), it does
    // not send a third time.
    await submit(treasurer, resend);
    await settled();
    await submit(treasurer, resend);
    await settled();
    expect(mailbox.to('alice@hope.test')).to.have.length(1);
    expect(await auditEntries(tenant, 'statement.emailed')).to.have.length(2);
  });

  it('does not e-mail a member without an address, and says so', async () => {
    mailbox.clear();
    const before = (await auditEntries(tenant, 'statement.emailed')).length;
    const _csrf = await csrfToken(treasurer, host, '/');
    const res = await treasurer
      .post(`/finance/statements/${bob.id}/email`)
      .set('Host', host)
      .type('form')
      .send({ _csrf, year: '2025', confirmed: 'yes' });
    expect(res.status).to.equal(302);
    const page = await treasurer.get(res.headers.location).set('Host', host);
    expect(page.text).to.include('Bob Baker has no e-mail address, so nothing was sent.');
    await settled();
    expect(mailbox.messages).to.have.length(0);
    expect((await auditEntries(tenant, 'statement.emailed')).length).to.equal(before);
  });

  it('asks before e-mailing all, saying how many will be sent and how many were sent already', async () => {
    mailbox.clear();
    const page = await treasurer.get('/finance/statements?year=2025').set('Host', host);
    expect(page.text).to.include('href="#email-all"').and.include('E-mail the 1 not sent yet');
    const dialog = formOf(page.text, 'email-all');
    expect(dialog.action).to.equal('/finance/statements/email-all');
    expect(dialog.fields).to.include({ confirmed: 'yes', year: '2025' });
    const question = page.text.slice(page.text.indexOf('id="email-all"'));
    expect(question)
      .to.include('E-mail 1 statement of 2025?')
      .and.include('1 statement will be sent now.')
      .and.include('1 statement was sent already and will not be sent again.')
      .and.include('1 without an e-mail address will not be sent');
    const unconfirmed = await treasurer
      .post('/finance/statements/email-all')
      .set('Host', host)
      .type('form')
      .send({ _csrf: dialog.fields._csrf, year: '2025' });
    expect(unconfirmed.status).to.equal(200);
    expect(unconfirmed.text)
      .to.include('1 statement will be sent now.')
      .and.include('name="confirmed" value="yes"');
    const get = await treasurer.get('/finance/statements/email-all?year=2025').set('Host', host);
    expect(get.status).to.equal(404);
    await settled();
    expect(mailbox.messages).to.have.length(0);
  });

  it('e-mails all only those not sent yet, and the page says who was sent on which day', async () => {
    mailbox.clear();
    const before = (await auditEntries(tenant, 'statement.emailed')).length;
    const page = await treasurer.get('/finance/statements?year=2025').set('Host', host);
    const res = await submit(treasurer, formOf(page.text, 'email-all'));
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/finance/statements?year=2025');
    const queued = await treasurer.get(res.headers.location).set('Host', host);
    expect(queued.text).to.include(
      '2025: 1 statement is being sent, 1 sent already or being sent, 1 skipped (no e-mail address).',
    );
    await settled();
    expect(mailbox.messages).to.have.length(1);
    expect(mailbox.to('carol@hope.test')[0].text).to.include('Total 2025: 0.01');
    const after = await treasurer.get(res.headers.location).set('Host', host);
    // The mailing's progress: done, nobody failed, nothing left to refresh for.
    const progress = after.text.slice(after.text.indexOf('id="mailing-progress"'));
    expect(progress.slice(0, progress.indexOf('</div>')))
      .to.include('data-finished="true"')
      .and.include('Mailing finished');
    expect(progress).to.match(/<span data-count="done">1<\/span> of 1 sent/);
    expect(progress).to.include('<span data-count="failed">0</span> could not be sent');
    expect(after.text).not.to.include('statement-progress.js');
    for (const m of [alice, carol]) {
      const row = after.text.slice(after.text.indexOf(`data-member-id="${m.id}"`));
      expect(row.slice(0, row.indexOf('</tr>'))).to.include('sent on ');
    }
    expect(after.text).not.to.include('href="#email-all"');
    expect((await auditEntries(tenant, 'statement.emailed')).length).to.equal(before + 1);
    // A viewer sees the record too, and still cannot send.
    const seen = await viewer.get('/finance/statements?year=2025').set('Host', host);
    expect(seen.text).to.include('sent on ').and.not.include('href="#resend-all"');
    const refused = await viewer
      .post('/finance/statements/email-all')
      .set('Host', host)
      .type('form')
      .send({ _csrf: await csrfToken(viewer, host, '/'), year: '2025', confirmed: 'yes' });
    expect(refused.status).to.equal(403);
  });

  it('sends each person exactly one message when "E-mail all" is pressed twice', async () => {
    mailbox.clear();
    const page = await treasurer.get('/finance/statements?year=2024').set('Host', host);
    expect(page.text).to.include('E-mail all 2 statements');
    const form = formOf(page.text, 'email-all');
    await submit(treasurer, form);
    const second = await submit(treasurer, form);
    const told = await treasurer.get(second.headers.location).set('Host', host);
    expect(told.text).to.include(
      '2024: 0 statements are being sent, 2 sent already or being sent, 0 skipped (no e-mail address).',
    );
    await settled();
    expect(mailbox.to('alice@hope.test')).to.have.length(1);
    expect(mailbox.to('dan@hope.test')).to.have.length(1);
    expect(mailbox.messages).to.have.length(2);
    // And pressed again once they went out, it sends nothing either.
    await submit(treasurer, form);
    await settled();
    expect(mailbox.messages).to.have.length(2);
  });

  it('e-mails all again when asked to resend, once per answer', async () => {
    mailbox.clear();
    const page = await treasurer.get('/finance/statements?year=2024').set('Host', host);
    const question = page.text.slice(page.text.indexOf('id="resend-all"'));
    expect(question).to.include('E-mail all 2 statements of 2024 again?').and.include('will be sent again');
    const form = formOf(page.text, 'resend-all');
    expect(form.action).to.equal('/finance/statements/resend-all');
    const unconfirmed = await treasurer
      .post(form.action)
      .set('Host', host)
      .type('form')
      .send({ ...form.fields, confirmed: '' });
    expect(unconfirmed.status).to.equal(200);
    await settled();
    expect(mailbox.messages).to.have.length(0);
    const res = await submit(treasurer, form);
    expect(res.status).to.equal(302);
    await submit(treasurer, form);
    await settled();
    await submit(treasurer, form);
    await settled();
    expect(mailbox.to('alice@hope.test')).to.have.length(1);
    expect(mailbox.to('dan@hope.test')).to.have.length(1);
    expect(mailbox.messages).to.have.length(2);
  });

  it('sends one message per person when two "E-mail all" requests run at the same time', async () => {
    const other = await createTenant({ kind: 'church', name: 'Grace Hall' });
    const otherHost = hostOf(other);
    await createUser(other, { level: 1, email: 'treasurer@grace.test' });
    const agent = await signedIn(other, 'treasurer@grace.test');
    const fund = await fundNamed(other, 'Tithe');
    const addresses: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const email = `giver${i}@grace.test`;
      addresses.push(email);
      const m = await createMember(other, { firstName: `Giver${i}`, lastName: 'Grace', email });
      await createContribution(other, {
        fundId: fund,
        memberId: m.id,
        amountCents: '1000',
        receivedOn: '2025-03-01',
      });
    }
    mailbox.clear();
    const page = await agent.get('/finance/statements?year=2025').set('Host', otherHost);
    const { action, fields } = formOf(page.text, 'email-all');
    const results = await Promise.all(
      [1, 2, 3].map(() => agent.post(action).set('Host', otherHost).type('form').send(fields)),
    );
    expect(results.map((r) => r.status)).to.deep.equal([302, 302, 302]);
    await settled(other);
    for (const a of addresses) expect(mailbox.to(a), a).to.have.length(1);
    expect(mailbox.messages).to.have.length(addresses.length);
    const sent = await inTenant(other, () =>
      db().query<{ n: string }>(
        'SELECT COUNT(*) AS n FROM statement_sendings WHERE sent_at IS NOT NULL AND sends = 1',
        {
          type: QueryTypes.SELECT,
        },
      ),
    );
    expect(Number(sent[0].n)).to.equal(addresses.length);
  });

  it('takes a year that makes no sense as this year', async () => {
    const res = await viewer.get('/finance/statements?year=20x5').set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.text).to.include(`Giving statements ${new Date().getUTCFullYear()}`);
  });
});
