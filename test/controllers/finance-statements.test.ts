import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import type supertest from 'supertest';
import { db } from '../../app/db/database.ts';
import type { Member, Tenant } from '../../app/models/index.ts';
import { Setting } from '../../app/models/index.ts';
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

  it('e-mails one statement with the same total as the ledger and audits it', async () => {
    mailbox.clear();
    const _csrf = await csrfToken(treasurer, host, `/finance/statements/${alice.id}?year=2025`);
    const res = await treasurer
      .post(`/finance/statements/${alice.id}/email`)
      .set('Host', host)
      .type('form')
      .send({ _csrf, year: '2025' });
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal(`/finance/statements/${alice.id}?year=2025`);
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
    const page = await treasurer.get(res.headers.location).set('Host', host);
    expect(page.text).to.include('was sent to alice@hope.test');
  });

  it('does not e-mail a member without an address, and says so', async () => {
    mailbox.clear();
    const before = (await auditEntries(tenant, 'statement.emailed')).length;
    const _csrf = await csrfToken(treasurer, host, '/');
    const res = await treasurer
      .post(`/finance/statements/${bob.id}/email`)
      .set('Host', host)
      .type('form')
      .send({ _csrf, year: '2025' });
    expect(res.status).to.equal(302);
    const page = await treasurer.get(res.headers.location).set('Host', host);
    expect(page.text).to.include('has no e-mail address');
    expect(mailbox.messages).to.have.length(0);
    expect((await auditEntries(tenant, 'statement.emailed')).length).to.equal(before);
  });

  it('e-mails every giver of the year who has an address and reports how many were sent and skipped', async () => {
    mailbox.clear();
    const before = (await auditEntries(tenant, 'statement.emailed')).length;
    const _csrf = await csrfToken(treasurer, host, '/finance/statements?year=2025');
    const res = await treasurer
      .post('/finance/statements/email-all')
      .set('Host', host)
      .type('form')
      .send({ _csrf, year: '2025' });
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/finance/statements?year=2025');
    await mailbox.waitFor('alice@hope.test');
    await mailbox.waitFor('carol@hope.test');
    expect(mailbox.to('dan@hope.test')).to.have.length(0);
    expect(mailbox.messages).to.have.length(2);
    const carolMail = mailbox.to('carol@hope.test')[0];
    expect(carolMail.text).to.include('Total 2025: 0.01');
    const page = await treasurer.get(res.headers.location).set('Host', host);
    expect(page.text).to.include('2025: 2 statements were sent, 1 skipped (no e-mail address).');
    expect((await auditEntries(tenant, 'statement.emailed')).length).to.equal(before + 2);
  });

  it('takes a year that makes no sense as this year', async () => {
    const res = await viewer.get('/finance/statements?year=20x5').set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.text).to.include(`Giving statements ${new Date().getUTCFullYear()}`);
  });
});
