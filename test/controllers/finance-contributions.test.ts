import { expect } from 'chai';
import type { CreationAttributes } from 'sequelize';
import type supertest from 'supertest';
import type { Tenant } from '../../app/models/index.ts';
import { Contribution, Fund, Member } from '../../app/models/index.ts';
import { PICKER_FULL_LIST } from '../../app/services/ledger.ts';
import { createUser, csrfToken, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';
import { auditEntries, createContribution, createMember, fundNamed, inTenant } from '../support/finance.ts';

describe('contributions (/finance/contributions)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let treasurer: supertest.Agent;
  let tithe: string;
  let offering: string;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    await createUser(tenant, { level: 1, email: 'treasurer@gifts.test', name: 'Ruth Treasurer' });
    treasurer = await signedIn(tenant, 'treasurer@gifts.test');
    tithe = await fundNamed(tenant, 'Tithe');
    offering = await fundNamed(tenant, 'Offering');
  });

  async function post(path: string, body: Record<string, string>): Promise<supertest.Response> {
    const _csrf = await csrfToken(treasurer, host, '/finance/contributions/new');
    return treasurer
      .post(path)
      .set('Host', host)
      .type('form')
      .send({ ...body, _csrf });
  }

  const entry = (id: string) => inTenant(tenant, () => Contribution.findByPk(id));
  const newest = () => inTenant(tenant, () => Contribution.findOne({ order: [['id', 'DESC']] }));

  describe('recording', () => {
    it('records "1,234.56" as 123456 cents for a member and audits it', async () => {
      const member = await createMember(tenant, { firstName: 'Abel', lastName: 'Amount' });
      const res = await post('/finance/contributions', {
        memberId: member.id,
        fundId: tithe,
        amount: '1,234.56',
        receivedOn: '2025-02-09',
        method: 'check',
        reference: 'CHK 1001',
        note: 'February',
      });
      expect(res.status).to.equal(302);
      const saved = await newest();
      expect(saved?.amountCents).to.equal('123456');
      expect(saved?.memberId).to.equal(member.id);
      expect(saved?.method).to.equal('check');
      expect(saved?.reference).to.equal('CHK 1001');
      expect(res.headers.location).to.equal(`/finance/contributions/${saved?.id}`);
      const [logged] = await auditEntries(tenant, 'contribution.created');
      expect(logged.recordId).to.equal(saved?.id);
      expect(logged.changes.amountCents).to.deep.equal({ from: null, to: '123456' });
      const page = await treasurer.get(res.headers.location).set('Host', host);
      expect(page.text).to.include('1,234.56').and.include('Abel Amount').and.include('CHK 1001');
    });

    it('records "1234.5" as 123450 cents and an anonymous gift without a member', async () => {
      const res = await post('/finance/contributions', {
        memberId: '',
        fundId: offering,
        amount: '1234.5',
        receivedOn: '2025-02-10',
        method: 'cash',
      });
      expect(res.status).to.equal(302);
      const saved = await newest();
      expect(saved?.amountCents).to.equal('123450');
      expect(saved?.memberId).to.equal(null);
      const page = await treasurer.get(`/finance/contributions/${saved?.id}`).set('Host', host);
      expect(page.text).to.include('Anonymous');
    });

    for (const amount of ['12.345', 'abc', '0', '-5', '', '1e3']) {
      it(`re-renders the form with 422 and keeps the input for the amount "${amount}"`, async () => {
        const before = await inTenant(tenant, () => Contribution.count());
        const res = await post('/finance/contributions', {
          fundId: tithe,
          amount,
          receivedOn: '2025-02-11',
          method: 'cash',
          note: 'kept note',
        });
        expect(res.status).to.equal(422);
        expect(res.text).to.include('is-invalid');
        expect(res.text).to.match(/must be an amount|must be more than 0|is required/);
        expect(res.text).to.include('value="kept note"');
        if (amount) expect(res.text).to.include(`value="${amount}"`);
        expect(await inTenant(tenant, () => Contribution.count())).to.equal(before);
      });
    }

    it('refuses an impossible date, an unknown method, fund and person with field messages', async () => {
      const res = await post('/finance/contributions', {
        memberId: '987654321',
        fundId: '987654321',
        amount: '5',
        receivedOn: '2025-02-30',
        method: 'barter',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('must be a date').and.include('choose a method');
      const res2 = await post('/finance/contributions', {
        memberId: '987654321',
        fundId: '987654321',
        amount: '5',
        receivedOn: '2025-02-28',
        method: 'cash',
      });
      expect(res2.status).to.equal(422);
      expect(res2.text).to.include('choose an active fund').and.include('is not a known person');
    });

    it('refuses a new entry on an inactive fund', async () => {
      const closed = await inTenant(tenant, () =>
        Fund.create({ name: 'Closed appeal', description: null, active: false }),
      );
      const res = await post('/finance/contributions', {
        fundId: closed.id,
        amount: '5',
        receivedOn: '2025-02-28',
        method: 'cash',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('choose an active fund');
    });

    it('preselects the person of a ?member= link and ignores a malformed one', async () => {
      const member = await createMember(tenant, { firstName: 'Picked', lastName: 'Person' });
      const res = await treasurer.get(`/finance/contributions/new?member=${member.id}`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(res.text).to.match(new RegExp(`<option value="${member.id}" selected>Person, Picked`));
      const bad = await treasurer.get('/finance/contributions/new?member=abc').set('Host', host);
      expect(bad.status).to.equal(200);
      expect(bad.text).to.include('<option value="">Anonymous</option>');
    });

    it('includes no inline script or style on the form', async () => {
      const res = await treasurer.get('/finance/contributions/new').set('Host', host);
      expect(res.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).not.to.match(/\sstyle=|\son[a-z]+=/i);
    });
  });

  describe('corrections', () => {
    it('saves an edit and audits the values before and after', async () => {
      const gift = await createContribution(tenant, {
        fundId: tithe,
        amountCents: '5000',
        receivedOn: '2025-04-01',
      });
      const res = await post(`/finance/contributions/${gift.id}`, {
        fundId: offering,
        amount: '55.05',
        receivedOn: '2025-04-02',
        method: 'card',
      });
      expect(res.status).to.equal(302);
      const saved = await entry(gift.id);
      expect(saved?.amountCents).to.equal('5505');
      expect(saved?.fundId).to.equal(offering);
      const [logged] = await auditEntries(tenant, 'contribution.updated');
      expect(logged.recordId).to.equal(gift.id);
      expect(logged.changes.amountCents).to.deep.equal({ from: '5000', to: '5505' });
      expect(logged.changes.fundId).to.deep.equal({ from: tithe, to: offering });
      expect(logged.changes.receivedOn).to.deep.equal({ from: '2025-04-01', to: '2025-04-02' });
    });

    it('re-renders an edit with 422 on a bad amount and leaves the entry as it was', async () => {
      const gift = await createContribution(tenant, {
        fundId: tithe,
        amountCents: '700',
        receivedOn: '2025-04-01',
      });
      const res = await post(`/finance/contributions/${gift.id}`, {
        fundId: tithe,
        amount: '12.345',
        receivedOn: '2025-04-01',
        method: 'cash',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('value="12.345"');
      expect((await entry(gift.id))?.amountCents).to.equal('700');
    });

    it('reverses an entry with a negative entry that names it, keeps both, and locks both', async () => {
      const member = await createMember(tenant, { firstName: 'Rev', lastName: 'Ersal' });
      const gift = await createContribution(tenant, {
        fundId: tithe,
        memberId: member.id,
        amountCents: '2599',
        receivedOn: '2025-06-15',
      });
      const res = await post(`/finance/contributions/${gift.id}/reversal`, { reason: 'entered twice' });
      expect(res.status).to.equal(302);
      const reversal = await newest();
      expect(res.headers.location).to.equal(`/finance/contributions/${reversal?.id}`);
      expect(reversal?.amountCents).to.equal('-2599');
      expect(reversal?.memberId).to.equal(member.id);
      expect(reversal?.fundId).to.equal(tithe);
      expect(reversal?.receivedOn).to.equal('2025-06-15');
      expect(reversal?.note).to.equal(`Reversal of contribution #${gift.id}: entered twice`);
      expect((await entry(gift.id))?.amountCents).to.equal('2599');
      const [logged] = await auditEntries(tenant, 'contribution.reversed');
      expect(logged.recordId).to.equal(reversal?.id);
      expect(logged.changes.amountCents).to.deep.equal({ from: null, to: '-2599' });

      const again = await post(`/finance/contributions/${gift.id}/reversal`, {});
      expect(again.status).to.equal(409);
      expect(again.text).to.include('was reversed');
      const ofReversal = await post(`/finance/contributions/${reversal?.id}/reversal`, {});
      expect(ofReversal.status).to.equal(409);
      const edit = await post(`/finance/contributions/${gift.id}`, {
        fundId: tithe,
        amount: '1',
        receivedOn: '2025-06-15',
        method: 'cash',
      });
      expect(edit.status).to.equal(302);
      expect((await entry(gift.id))?.amountCents).to.equal('2599');
      const count = await inTenant(tenant, () => Contribution.count({ where: { memberId: member.id } }));
      expect(count).to.equal(2);

      const list = await treasurer.get(`/finance/contributions?memberId=${member.id}`).set('Host', host);
      expect(list.text).to.include('Reversed').and.include(`Reverses #${gift.id}`);
      expect(list.text).to.include('data-total-cents="0"');
    });
  });

  describe('the list', () => {
    let listed: Tenant;
    let viewer: supertest.Agent;
    let fund: string;
    let other: string;
    let member: string;
    let daily: bigint;

    before(async () => {
      listed = await createTenant({ kind: 'church' });
      await createUser(listed, { level: 2, email: 'viewer@list.test' });
      viewer = await signedIn(listed, 'viewer@list.test');
      fund = await fundNamed(listed, 'Tithe');
      other = await fundNamed(listed, 'Building');
      member = (await createMember(listed, { firstName: 'Daily', lastName: 'Giver' })).id;
      // A year of daily gifts with odd cents, summed here with BigInt.
      daily = 0n;
      const rows: CreationAttributes<Contribution>[] = [];
      for (let day = 0; day < 365; day += 1) {
        const date = new Date(Date.UTC(2025, 0, 1 + day)).toISOString().slice(0, 10);
        const cents = 1_000_003n + BigInt(day) * 7919n + (day % 2 ? 1n : 0n);
        daily += cents;
        rows.push({
          memberId: member,
          fundId: fund,
          amountCents: cents.toString(),
          receivedOn: date,
          method: 'card' as const,
          reference: null,
          note: null,
          createdBy: null,
        });
      }
      await inTenant(listed, () => Contribution.bulkCreate(rows));
      await createContribution(listed, { fundId: other, amountCents: '123', receivedOn: '2025-07-01' });
      await createContribution(listed, { fundId: fund, amountCents: '999', receivedOn: '2024-12-31' });
    });

    it('totals the whole filtered set to the cent, not only the page', async () => {
      const res = await viewer
        .get(`/finance/contributions?from=2025-01-01&to=2025-12-31&fundId=${fund}`)
        .set('Host', hostOf(listed));
      expect(res.status).to.equal(200);
      expect(res.text).to.include(`data-total-cents="${daily}"`);
      expect(res.text).to.include('>365<');
      expect(
        (res.text.match(/<tr>\s*<td class="text-nowrap"><a href="\/finance\/contributions\/\d+">/g) ?? [])
          .length,
      ).to.equal(50);
      expect(res.text).to.include('rel="next"');
    });

    it('filters by period, fund, member and method', async () => {
      const h = hostOf(listed);
      const all = await viewer.get('/finance/contributions').set('Host', h);
      expect(all.text).to.include(`data-total-cents="${daily + 123n + 999n}"`);
      const july = await viewer.get('/finance/contributions?from=2025-07-01&to=2025-07-31').set('Host', h);
      let july2025 = 123n;
      for (let d = 181; d < 212; d += 1) july2025 += 1_000_003n + BigInt(d) * 7919n + (d % 2 ? 1n : 0n);
      expect(july.text).to.include(`data-total-cents="${july2025}"`);
      const byFund = await viewer.get(`/finance/contributions?fundId=${other}`).set('Host', h);
      expect(byFund.text).to.include('data-total-cents="123"');
      const byMember = await viewer
        .get(`/finance/contributions?memberId=${member}&to=2025-12-31`)
        .set('Host', h);
      expect(byMember.text).to.include(`data-total-cents="${daily}"`);
      const byMethod = await viewer.get('/finance/contributions?method=cash').set('Host', h);
      expect(byMethod.text).to.include('data-total-cents="1122"');
      const garbage = await viewer
        .get('/finance/contributions?from=nope&fundId=abc&method=x&page=-3')
        .set('Host', h);
      expect(garbage.status).to.equal(200);
      expect(garbage.text).to.include(`data-total-cents="${daily + 123n + 999n}"`);
    });

    it('keeps the filters in the page links and says so past the last page', async () => {
      const h = hostOf(listed);
      const page2 = await viewer.get(`/finance/contributions?fundId=${fund}&page=2`).set('Host', h);
      expect(page2.text).to.include(`fundId=${fund}&amp;page=3`);
      const far = await viewer.get(`/finance/contributions?fundId=${fund}&page=99`).set('Host', h);
      expect(far.status).to.equal(200);
      expect(far.text).to.include('There is no page 99');
    });

    it('shows a viewer no button to record or correct', async () => {
      const res = await viewer.get('/finance/contributions').set('Host', hostOf(listed));
      expect(res.text).not.to.include('/finance/contributions/new');
      const one = await inTenant(listed, () => Contribution.findOne());
      const show = await viewer.get(`/finance/contributions/${one?.id}`).set('Host', hostOf(listed));
      expect(show.status).to.equal(200);
      expect(show.text).not.to.include('/edit').and.not.include('/reversal');
    });
  });

  describe('choosing a person', () => {
    let big: Tenant;
    let bigTreasurer: supertest.Agent;
    let chosen: string;

    before(async () => {
      // One more than a picker lists whole.
      big = await createTenant({ kind: 'church' });
      await inTenant(big, () =>
        Member.bulkCreate(
          Array.from({ length: PICKER_FULL_LIST + 1 }, (_, i) => ({
            firstName: `Person${String(i).padStart(3, '0')}`,
            lastName: i === 7 ? 'Needleworth' : 'Crowd',
            email: `p${i}@big.test`,
            phone: i === 7 ? '(555) 010-7777' : null,
          })),
        ),
      );
      chosen = String(
        (await inTenant(big, () => Member.findOne({ where: { lastName: 'Needleworth' } })))?.id,
      );
      await createUser(big, { level: 1, email: 'treasurer@big.test' });
      bigTreasurer = await signedIn(big, 'treasurer@big.test');
    });

    const options = (html: string, selectId: string) => {
      const select = html.slice(
        html.indexOf(`id="${selectId}"`),
        html.indexOf('</select>', html.indexOf(`id="${selectId}"`)),
      );
      return [...select.matchAll(/<option value="(\d*)"/g)].map((m) => m[1]);
    };

    it('lists a small directory whole, narrowed in the page', async () => {
      await createMember(tenant, { firstName: 'Listed', lastName: 'Whole' });
      const res = await treasurer.get('/finance/contributions/new').set('Host', host);
      expect(res.text).to.include('data-filter-select="f-memberId"').and.not.include('data-people-search');
      expect(options(res.text, 'f-memberId').length).to.be.greaterThan(1);
    });

    it('lists only the chosen person of a big directory and searches for the others', async () => {
      const blank = await bigTreasurer.get('/finance/contributions/new').set('Host', hostOf(big));
      expect(blank.status).to.equal(200);
      expect(blank.text)
        .to.include('data-people-search="f-memberId"')
        .and.include('data-people-url="/finance/people"');
      expect(options(blank.text, 'f-memberId')).to.deep.equal(['']);

      const preselected = await bigTreasurer
        .get(`/finance/contributions/new?member=${chosen}`)
        .set('Host', hostOf(big));
      expect(options(preselected.text, 'f-memberId')).to.deep.equal(['', chosen]);
      expect(preselected.text).to.include(`<option value="${chosen}" selected>Needleworth, Person007`);

      const filtered = await bigTreasurer
        .get(`/finance/contributions?memberId=${chosen}`)
        .set('Host', hostOf(big));
      expect(options(filtered.text, 'f-memberId')).to.deep.equal(['', chosen]);
    });

    it('keeps the chosen person when a form of a big directory comes back with errors', async () => {
      const _csrf = await csrfToken(bigTreasurer, hostOf(big), '/finance/contributions/new');
      const res = await bigTreasurer
        .post('/finance/contributions')
        .set('Host', hostOf(big))
        .type('form')
        .send({
          _csrf,
          memberId: chosen,
          fundId: '',
          amount: 'lots',
          receivedOn: '2025-03-01',
          method: 'cash',
        });
      expect(res.status).to.equal(422);
      expect(options(res.text, 'f-memberId')).to.deep.equal(['', chosen]);
    });

    it("finds people by name, e-mail or phone in the tenant's own directory only", async () => {
      await createMember(tenant, { firstName: 'Other', lastName: 'Needleworth' });
      const byName = await bigTreasurer.get('/finance/people?q=needle').set('Host', hostOf(big)).expect(200);
      expect(byName.body.people).to.deep.equal([
        { id: chosen, label: 'Needleworth, Person007 · p7@big.test' },
      ]);
      const byEmail = await bigTreasurer.get('/finance/people?q=p7@big').set('Host', hostOf(big)).expect(200);
      expect(byEmail.body.people.map((p: { id: string }) => p.id)).to.deep.equal([chosen]);
      const byPhone = await bigTreasurer
        .get('/finance/people?q=555 0107')
        .set('Host', hostOf(big))
        .expect(200);
      expect(byPhone.body.people.map((p: { id: string }) => p.id)).to.deep.equal([chosen]);
      const many = await bigTreasurer.get('/finance/people?q=crowd').set('Host', hostOf(big)).expect(200);
      expect(many.body.people).to.have.length(20);
      expect(many.body.people[0].label).to.match(/^Crowd, Person000/);
    });

    it('answers an empty, odd or repeated query with nobody, never an error', async () => {
      for (const query of ['', 'q=', 'q=%25', 'q=_', 'q[]=a&q[]=b', `q=${'x'.repeat(500)}`]) {
        const res = await bigTreasurer.get(`/finance/people?${query}`).set('Host', hostOf(big));
        expect(res.status, query).to.equal(200);
        expect(res.body.people, query).to.deep.equal([]);
      }
    });

    it('refuses the search to those who cannot see the finances', async () => {
      await createUser(big, { level: 3, email: 'analyst@big.test' });
      const analyst = await signedIn(big, 'analyst@big.test');
      const res = await analyst.get('/finance/people?q=needle').set('Host', hostOf(big));
      expect(res.status).to.equal(403);
      expect(JSON.stringify(res.body)).not.to.include('Needleworth');
    });

    it("links a person's page to recording their gift and to their gifts", async () => {
      const res = await bigTreasurer.get(`/members/${chosen}`).set('Host', hostOf(big)).expect(200);
      expect(res.text).to.include(`/finance/contributions/new?member=${chosen}`);
      expect(res.text).to.include(`/finance/contributions?memberId=${chosen}`);
    });
  });
});
