import { access } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { Contribution, Expense, Fund, Member, type Tenant, type User } from '../../app/models/index.ts';
import { financeStats, presentStats } from '../../app/services/finance-stats.ts';
import { config } from '../../config/index.ts';
import { type ApiClient, apiClient, patClient } from '../support/api.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';
import {
  auditEntries,
  createContribution,
  createExpense,
  createMember,
  fundNamed,
  inTenant,
} from '../support/finance.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 1),
]);

/** An id only the other tenant has (ids count per tenant, so a low one could exist in both). */
const FOREIGN_ID = '900000001';

const exists = (key: string) =>
  access(path.join(config.storageDir, ...key.split('/'))).then(
    () => true,
    () => false,
  );

/** The bytes of a binary response. */
function binary(res: supertest.Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('finance API (/api/v1/funds, contributions, expenses, statistics, statements)', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let other: Tenant;
  let treasurer: User;
  let treasurerApi: ApiClient;
  let viewerApi: ApiClient;
  let statsApi: ApiClient;
  let level4Api: ApiClient;
  let tithe: string;
  let building: string;
  let otherTithe: string;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    other = await createTenant({ kind: 'church' });
    treasurer = await createUser(tenant, { level: 1 });
    treasurerApi = await apiClient(tenant, treasurer);
    viewerApi = await apiClient(tenant, await createUser(tenant, { level: 2 }));
    statsApi = await apiClient(tenant, await createUser(tenant, { level: 3 }));
    level4Api = await apiClient(tenant, await createUser(tenant, { level: 4 }));
    tithe = await fundNamed(tenant, 'Tithe');
    building = await fundNamed(tenant, 'Building');
    otherTithe = await fundNamed(other, 'Tithe');
  });

  describe('funds', () => {
    it('lists the funds by name with their entry counts, a page at a time', async () => {
      await createContribution(tenant, { fundId: tithe, amountCents: '500', receivedOn: '2024-01-02' });
      const first = await viewerApi.get('/api/v1/funds?limit=2');
      expect(first.status, first.text).to.equal(200);
      expect(first.body.total).to.equal(3);
      expect(first.body.data.map((f: { name: string }) => f.name)).to.deep.equal(['Building', 'Offering']);
      expect(first.headers.link).to.include('rel="next"');
      const second = await viewerApi.get(`/api/v1/funds?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.data.map((f: { name: string }) => f.name)).to.deep.equal(['Tithe']);
      expect(second.body.data[0].entries).to.be.at.least(1);
      expect(second.body.nextCursor).to.equal(null);
    });

    it('refuses a forged cursor with 400 and a limit out of range with 422', async () => {
      expect((await viewerApi.get('/api/v1/funds?cursor=bm90LWEtY3Vyc29y')).status).to.equal(400);
      const res = await viewerApi.get('/api/v1/funds?limit=500');
      expect(res.status).to.equal(422);
      expect(res.body.fields).to.have.property('limit');
    });

    it('shows a fund, and 404s for an id of another tenant or one that cannot be an id', async () => {
      const res = await viewerApi.get(`/api/v1/funds/${building}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ id: building, name: 'Building', active: true });
      expect(res.headers.etag).to.be.a('string');
      expect(
        (await viewerApi.get(`/api/v1/funds/${building}`, { 'If-None-Match': res.headers.etag })).status,
      ).to.equal(304);
      const foreign = await inTenant(other, () =>
        Fund.create({ id: FOREIGN_ID, name: 'Only there', description: null }),
      );
      expect((await viewerApi.get(`/api/v1/funds/${foreign.id}`)).status).to.equal(404);
      expect((await viewerApi.get('/api/v1/funds/abc')).status).to.equal(404);
    });

    it('creates a fund (201, Location, audited) and refuses a taken name or an unknown field with 422', async () => {
      const res = await treasurerApi.post('/api/v1/funds', { name: 'Missions', description: 'Abroad' });
      expect(res.status, res.text).to.equal(201);
      expect(res.headers.location).to.equal(`/api/v1/funds/${res.body.id}`);
      expect(res.body).to.include({ name: 'Missions', description: 'Abroad', active: true, entries: 0 });
      const [entry] = await auditEntries(tenant, 'fund.created');
      expect(entry?.recordId).to.equal(res.body.id);
      expect(entry?.actorId).to.equal(String(treasurer.id));

      const taken = await treasurerApi.post('/api/v1/funds', { name: 'missions' });
      expect(taken.status).to.equal(422);
      expect(taken.headers['content-type']).to.include('application/problem+json');
      expect(taken.body.fields).to.deep.equal({ name: 'is already the name of another fund' });
      const unknown = await treasurerApi.post('/api/v1/funds', { name: 'Youth', colour: 'red' });
      expect(unknown.status).to.equal(422);
      expect(unknown.body.fields).to.have.property('colour');
      const blank = await treasurerApi.post('/api/v1/funds', { name: ' ' });
      expect(blank.status).to.equal(422);
      expect(blank.body.fields).to.have.property('name');
      expect(await inTenant(tenant, () => Fund.count({ where: { name: 'Youth' } }))).to.equal(0);
    });

    it('changes only the fields sent, and refuses a stale If-Match with 412', async () => {
      const created = await treasurerApi.post('/api/v1/funds', { name: 'Benevolence', description: 'Help' });
      const url = `/api/v1/funds/${created.body.id}`;
      const stale = created.headers.etag;
      const res = await treasurerApi.patch(url, { active: false }, { 'If-Match': stale });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ name: 'Benevolence', description: 'Help', active: false });
      const [entry] = await auditEntries(tenant, 'fund.updated');
      expect(entry?.changes).to.deep.include({ active: { from: true, to: false } });

      const refused = await treasurerApi.patch(url, { name: 'Renamed' }, { 'If-Match': stale });
      expect(refused.status).to.equal(412);
      const taken = await treasurerApi.patch(url, { name: 'TITHE' });
      expect(taken.status).to.equal(422);
      expect(taken.body.fields).to.deep.equal({ name: 'is already the name of another fund' });
      const fund = await inTenant(tenant, () => Fund.findByPk(created.body.id));
      expect(fund?.name).to.equal('Benevolence');
    });

    it('refuses a fund change to level 2 with 403 and to a read-only token too', async () => {
      const res = await viewerApi.post('/api/v1/funds', { name: 'Not mine' });
      expect(res.status).to.equal(403);
      const readOnly = await patClient(tenant, treasurer, 'read');
      expect((await readOnly.post('/api/v1/funds', { name: 'Not mine' })).status).to.equal(403);
      expect((await readOnly.get('/api/v1/funds')).status).to.equal(200);
      expect(await inTenant(tenant, () => Fund.count({ where: { name: 'Not mine' } }))).to.equal(0);
    });
  });

  describe('contributions', () => {
    let giver: string;

    before(async () => {
      giver = String((await createMember(tenant, { firstName: 'Grace', lastName: 'Giver' })).id);
    });

    it('records a contribution in cents (201), with its giver and fund, audited as the page does', async () => {
      const res = await treasurerApi.post('/api/v1/contributions', {
        memberId: giver,
        fundId: tithe,
        amountCents: 12_345,
        receivedOn: '2025-03-09',
        method: 'check',
        reference: '#1001',
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.include({
        memberId: giver,
        memberName: 'Grace Giver',
        fundId: tithe,
        fundName: 'Tithe',
        amountCents: 12_345,
        receivedOn: '2025-03-09',
        method: 'check',
        reference: '#1001',
        note: null,
        reversed: false,
        reversesId: null,
        createdBy: String(treasurer.id),
      });
      const saved = await inTenant(tenant, () => Contribution.findByPk(res.body.id));
      expect(saved?.amountCents).to.equal('12345');
      const [entry] = await auditEntries(tenant, 'contribution.created');
      expect(entry?.recordId).to.equal(res.body.id);
      expect(entry?.changes).to.deep.include({ amountCents: { from: null, to: '12345' } });
    });

    it('takes an anonymous gift with memberId null', async () => {
      const res = await treasurerApi.post('/api/v1/contributions', {
        memberId: null,
        fundId: tithe,
        amountCents: 700,
        receivedOn: '2025-03-10',
        method: 'cash',
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.body.memberId).to.equal(null);
    });

    it('refuses bad input with 422 and a message per field, saving nothing', async () => {
      const before = await inTenant(tenant, () => Contribution.count());
      const bad = await treasurerApi.post('/api/v1/contributions', {
        fundId: 'x',
        amountCents: 0,
        receivedOn: '2025-02-30',
        method: 'barter',
      });
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.keys(['fundId', 'amountCents', 'receivedOn', 'method']);
      const text = await treasurerApi.post('/api/v1/contributions', {
        fundId: tithe,
        amountCents: '12.50',
        receivedOn: '2025-02-03',
        method: 'cash',
      });
      expect(text.status).to.equal(422);
      expect(text.body.fields.amountCents).to.equal('must be a whole number of cents');
      const stranger = await treasurerApi.post('/api/v1/contributions', {
        memberId: '999999999',
        fundId: tithe,
        amountCents: 100,
        receivedOn: '2025-02-03',
        method: 'cash',
      });
      expect(stranger.status).to.equal(422);
      expect(stranger.body.fields).to.include({ memberId: 'is not a known person' });
      const unknown = await treasurerApi.post('/api/v1/contributions', {
        fundId: tithe,
        amountCents: 100,
        receivedOn: '2025-02-03',
        method: 'cash',
        amount: '1.00',
      });
      expect(unknown.status).to.equal(422);
      expect(unknown.body.fields).to.have.property('amount');
      const array = await treasurerApi.post('/api/v1/contributions', [{ fundId: tithe }]);
      expect(array.status).to.equal(422);
      expect(await inTenant(tenant, () => Contribution.count())).to.equal(before);
    });

    it('refuses an inactive fund for a new entry with 422', async () => {
      const fund = await inTenant(tenant, () =>
        Fund.create({ name: 'Closed', description: null, active: false }),
      );
      const res = await treasurerApi.post('/api/v1/contributions', {
        fundId: String(fund.id),
        amountCents: 100,
        receivedOn: '2025-02-03',
        method: 'cash',
      });
      expect(res.status).to.equal(422);
      expect(res.body.fields).to.deep.equal({ fundId: 'choose an active fund' });
    });

    it('lists with the page filters (fund, person, method, period), newest first, a page at a time, with the total', async () => {
      const person = String((await createMember(tenant, { firstName: 'Paged', lastName: 'Person' })).id);
      for (const [day, cents] of [
        ['2023-05-01', '100'],
        ['2023-05-02', '200'],
        ['2023-05-03', '300'],
      ])
        await inTenant(tenant, () =>
          Contribution.create({
            memberId: person,
            fundId: building,
            amountCents: cents,
            receivedOn: day,
            method: 'card',
            reference: null,
            note: null,
            createdBy: null,
          }),
        );
      await createContribution(tenant, {
        fundId: tithe,
        memberId: person,
        amountCents: '999',
        receivedOn: '2023-05-04',
      });
      const url = `/api/v1/contributions?memberId=${person}&fundId=${building}&method=card&from=2023-05-01&to=2023-05-31&limit=2`;
      const first = await viewerApi.get(url);
      expect(first.status, first.text).to.equal(200);
      expect(first.body.total).to.equal(3);
      expect(first.body.totalCents).to.equal(600);
      expect(first.body.data.map((c: { receivedOn: string }) => c.receivedOn)).to.deep.equal([
        '2023-05-03',
        '2023-05-02',
      ]);
      const second = await viewerApi.get(`${url}&cursor=${first.body.nextCursor}`);
      expect(second.body.data.map((c: { amountCents: number }) => c.amountCents)).to.deep.equal([100]);
      expect(second.body.nextCursor).to.equal(null);
      const bad = await viewerApi.get('/api/v1/contributions?from=yesterday&method=barter');
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.keys(['from', 'method']);
      expect((await viewerApi.get('/api/v1/contributions?from=2023-06-01&to=2023-05-01')).status).to.equal(
        422,
      );
    });

    it("shows a contribution with an ETag, and 404s for another tenant's", async () => {
      const mine = await createContribution(tenant, {
        fundId: tithe,
        amountCents: '250',
        receivedOn: '2025-01-05',
      });
      const res = await viewerApi.get(`/api/v1/contributions/${mine.id}`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ id: String(mine.id), amountCents: 250, memberId: null });
      const etag = res.headers.etag;
      expect(
        (await viewerApi.get(`/api/v1/contributions/${mine.id}`, { 'If-None-Match': etag })).status,
      ).to.equal(304);
      const theirs = await inTenant(other, () =>
        Contribution.create({
          id: FOREIGN_ID,
          memberId: null,
          fundId: otherTithe,
          amountCents: '1',
          receivedOn: '2025-01-05',
          method: 'cash',
          reference: null,
          note: null,
          createdBy: null,
        }),
      );
      expect((await viewerApi.get(`/api/v1/contributions/${theirs.id}`)).status).to.equal(404);
      expect(
        (await treasurerApi.patch(`/api/v1/contributions/${theirs.id}`, { amountCents: 2 })).status,
      ).to.equal(404);
      expect((await treasurerApi.post(`/api/v1/contributions/${theirs.id}/reversal`, {})).status).to.equal(
        404,
      );
      const untouched = await inTenant(other, () => Contribution.count({ where: { fundId: otherTithe } }));
      expect(untouched).to.equal(1);
    });

    it('corrects only the fields sent, audited before and after, and refuses a stale If-Match with 412', async () => {
      const created = await treasurerApi.post('/api/v1/contributions', {
        memberId: giver,
        fundId: tithe,
        amountCents: 1_000,
        receivedOn: '2025-04-01',
        method: 'cash',
        note: 'Sunday',
      });
      const url = `/api/v1/contributions/${created.body.id}`;
      const res = await treasurerApi.patch(url, { amountCents: 1_500 }, { 'If-Match': created.headers.etag });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({
        amountCents: 1_500,
        memberId: giver,
        note: 'Sunday',
        receivedOn: '2025-04-01',
      });
      const [entry] = await auditEntries(tenant, 'contribution.updated');
      expect(entry?.recordId).to.equal(created.body.id);
      expect(entry?.changes).to.deep.equal({ amountCents: { from: '1000', to: '1500' } });

      const stale = await treasurerApi.patch(url, { amountCents: 9 }, { 'If-Match': created.headers.etag });
      expect(stale.status).to.equal(412);
      const bad = await treasurerApi.patch(url, { receivedOn: 'soon' });
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.property('receivedOn');
      const saved = await inTenant(tenant, () => Contribution.findByPk(created.body.id));
      expect(saved?.amountCents).to.equal('1500');
    });

    it('reverses a contribution once: a negative entry (201), both locked afterwards (409)', async () => {
      const original = await createContribution(tenant, {
        fundId: tithe,
        amountCents: '4200',
        receivedOn: '2025-05-05',
      });
      const url = `/api/v1/contributions/${original.id}`;
      const res = await treasurerApi.post(`${url}/reversal`, { reason: 'Bounced' });
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.include({
        amountCents: -4200,
        reversesId: String(original.id),
        receivedOn: '2025-05-05',
      });
      expect(res.body.note).to.equal(`Reversal of contribution #${original.id}: Bounced`);
      expect(res.headers.location).to.equal(`/api/v1/contributions/${res.body.id}`);
      const [entry] = await auditEntries(tenant, 'contribution.reversed');
      expect(entry?.recordId).to.equal(res.body.id);

      expect((await viewerApi.get(url)).body.reversed).to.equal(true);
      const again = await treasurerApi.post(`${url}/reversal`, {});
      expect(again.status).to.equal(409);
      expect(again.body.detail).to.include('was reversed');
      expect((await treasurerApi.patch(url, { amountCents: 1 })).status).to.equal(409);
      expect(
        (await treasurerApi.patch(`/api/v1/contributions/${res.body.id}`, { note: 'x' })).status,
      ).to.equal(409);
      const count = await inTenant(tenant, () =>
        Contribution.count({ where: { note: `Reversal of contribution #${original.id}: Bounced` } }),
      );
      expect(count).to.equal(1);
    });

    it('answers a retried reversal with the same Idempotency-Key with the first response, reversing once', async () => {
      const original = await createContribution(tenant, {
        fundId: tithe,
        amountCents: '800',
        receivedOn: '2025-06-01',
      });
      const url = `/api/v1/contributions/${original.id}/reversal`;
      const headers = { 'Idempotency-Key': `reverse-${original.id}` };
      const first = await treasurerApi.post(url, { reason: 'Twice' }, headers);
      const retry = await treasurerApi.post(url, { reason: 'Twice' }, headers);
      expect(first.status, first.text).to.equal(201);
      expect(retry.status).to.equal(201);
      expect(retry.body.id).to.equal(first.body.id);
      expect(retry.headers['idempotent-replayed']).to.equal('true');
      const reversals = await inTenant(tenant, () => Contribution.count({ where: { amountCents: '-800' } }));
      expect(reversals).to.equal(1);
    });

    it('reverses once when two reversals of one entry arrive at the same time: one 201, one 409', async () => {
      const original = await createContribution(tenant, {
        fundId: tithe,
        amountCents: '6100',
        receivedOn: '2025-06-02',
      });
      const url = `/api/v1/contributions/${original.id}/reversal`;
      const answers = await Promise.all([treasurerApi.post(url, {}), treasurerApi.post(url, {})]);
      expect(answers.map((a) => a.status).sort()).to.deep.equal([201, 409]);
      const reversals = await inTenant(tenant, () => Contribution.count({ where: { amountCents: '-6100' } }));
      expect(reversals).to.equal(1);
    });

    it('gives levels 2 to 5 exactly what the pages give them: 403 elsewhere, nothing changed', async () => {
      const before = await inTenant(tenant, () => Contribution.count());
      const body = { fundId: tithe, amountCents: 100, receivedOn: '2025-02-03', method: 'cash' };
      expect((await viewerApi.post('/api/v1/contributions', body)).status).to.equal(403);
      expect((await viewerApi.get('/api/v1/contributions')).status).to.equal(200);
      expect((await statsApi.get('/api/v1/contributions')).status).to.equal(403);
      expect((await level4Api.get('/api/v1/contributions')).status).to.equal(403);
      const one = await createContribution(tenant, {
        fundId: tithe,
        amountCents: '5',
        receivedOn: '2025-02-03',
      });
      expect((await viewerApi.post(`/api/v1/contributions/${one.id}/reversal`, {})).status).to.equal(403);
      expect((await viewerApi.patch(`/api/v1/contributions/${one.id}`, { amountCents: 6 })).status).to.equal(
        403,
      );
      expect(await inTenant(tenant, () => Contribution.count())).to.equal(before + 1);
    });
  });

  describe('expenses and receipts', () => {
    const fields = (over: Record<string, unknown> = {}) => ({
      payee: 'City Power',
      category: 'Utilities',
      fundId: building,
      amountCents: 102_007,
      spentOn: '2025-05-06',
      note: 'May bill',
      ...over,
    });

    const upload = (api: ApiClient, id: string, file: Buffer, name: string, type: string) =>
      api
        .raw('post', `/api/v1/expenses/${id}/receipt`)
        .attach('receipt', file, { filename: name, contentType: type });

    it('records an expense from JSON (201), audited, and refuses bad input with 422', async () => {
      const res = await treasurerApi.post('/api/v1/expenses', fields());
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.include({
        payee: 'City Power',
        amountCents: 102_007,
        fundName: 'Building',
        receipt: null,
      });
      const [entry] = await auditEntries(tenant, 'expense.created');
      expect(entry?.recordId).to.equal(res.body.id);
      const bad = await treasurerApi.post(
        '/api/v1/expenses',
        fields({ payee: '', amountCents: -5, spentOn: '' }),
      );
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.keys(['payee', 'amountCents', 'spentOn']);
      const unknown = await treasurerApi.post('/api/v1/expenses', fields({ removeReceipt: true }));
      expect(unknown.status).to.equal(422);
      expect(unknown.body.fields).to.have.property('removeReceipt');
    });

    it('takes a receipt as multipart, stores it under the tenant and hands it back to finance viewers only', async () => {
      const created = await treasurerApi.post('/api/v1/expenses', fields());
      const id = created.body.id as string;
      const res = await upload(treasurerApi, id, PDF, 'may.pdf', 'application/pdf');
      expect(res.status, res.text).to.equal(200);
      expect(res.body.receipt).to.deep.equal({ name: 'may.pdf', type: 'application/pdf' });
      const saved = await inTenant(tenant, () => Expense.findByPk(id));
      expect(saved?.receiptKey?.startsWith(`${tenant.schemaName}/receipt/`)).to.equal(true);
      expect(await exists(saved?.receiptKey ?? '')).to.equal(true);
      const [entry] = await auditEntries(tenant, 'expense.updated');
      expect(entry?.recordId).to.equal(id);

      const file = await viewerApi.get(`/api/v1/expenses/${id}/receipt`).buffer(true).parse(binary);
      expect(file.status).to.equal(200);
      expect(file.headers['content-type']).to.equal('application/octet-stream');
      expect(file.headers['content-disposition']).to.match(/^attachment/);
      expect(Buffer.compare(file.body as Buffer, PDF)).to.equal(0);
      expect((await statsApi.get(`/api/v1/expenses/${id}/receipt`)).status).to.equal(403);

      const replaced = await upload(treasurerApi, id, PNG, 'photo.png', 'image/png');
      expect(replaced.status, replaced.text).to.equal(200);
      expect(replaced.body.receipt.type).to.equal('image/png');
      expect(await exists(saved?.receiptKey ?? '')).to.equal(false);
    });

    it('refuses a receipt that is not one, a missing file, JSON and level 2 without storing anything', async () => {
      const created = await treasurerApi.post('/api/v1/expenses', fields());
      const id = created.body.id as string;
      const fake = await upload(treasurerApi, id, Buffer.from('MZ not a pdf'), 'x.pdf', 'application/pdf');
      expect(fake.status).to.equal(422);
      expect(fake.body.fields.receipt).to.include('must be a PDF');
      const noFile = await treasurerApi.raw('post', `/api/v1/expenses/${id}/receipt`).field('receipt', 'x');
      expect(noFile.status).to.equal(422);
      expect(noFile.body.fields).to.deep.equal({ receipt: 'choose a file' });
      const empty = await upload(treasurerApi, id, Buffer.alloc(0), 'e.pdf', 'application/pdf');
      expect(empty.status).to.equal(422);
      expect(empty.body.fields).to.deep.equal({ receipt: 'is an empty file' });
      const extra = await upload(treasurerApi, id, PDF, 'r.pdf', 'application/pdf').field('payee', 'x');
      expect(extra.status).to.equal(422);
      expect(extra.body.fields).to.have.property('payee');
      expect((await treasurerApi.post(`/api/v1/expenses/${id}/receipt`, { receipt: 'x' })).status).to.equal(
        415,
      );
      expect((await upload(viewerApi, id, PDF, 'may.pdf', 'application/pdf')).status).to.equal(403);
      const saved = await inTenant(tenant, () => Expense.findByPk(id));
      expect(saved?.receiptKey).to.equal(null);
      expect((await viewerApi.get(`/api/v1/expenses/${id}/receipt`)).status).to.equal(404);
    });

    it('refuses a receipt over the upload limit with 422 and its message', async () => {
      const created = await treasurerApi.post('/api/v1/expenses', fields());
      const big = Buffer.concat([PDF, Buffer.alloc(Math.floor(config.UPLOAD_MAX_MB * 1024 * 1024), 0)]);
      const res = await upload(treasurerApi, created.body.id, big, 'big.pdf', 'application/pdf');
      expect(res.status).to.equal(422);
      expect(res.body.fields).to.deep.equal({ receipt: `must be at most ${config.UPLOAD_MAX_MB} MB` });
      expect((await inTenant(tenant, () => Expense.findByPk(created.body.id)))?.receiptKey).to.equal(null);
    });

    it("keeps an entry's own deactivated fund on a correction, and refuses another inactive one with 422", async () => {
      const closing = await inTenant(tenant, () => Fund.create({ name: 'Closing soon', description: null }));
      const created = await treasurerApi.post('/api/v1/expenses', fields({ fundId: String(closing.id) }));
      await inTenant(tenant, () => closing.update({ active: false }));
      const url = `/api/v1/expenses/${created.body.id}`;
      const res = await treasurerApi.patch(url, { payee: 'New payee' });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ payee: 'New payee', fundId: String(closing.id) });
      const closed = await inTenant(tenant, () => Fund.findOne({ where: { name: 'Closed' } }));
      const refused = await treasurerApi.patch(url, { fundId: String(closed?.id) });
      expect(refused.status).to.equal(422);
      expect(refused.body.fields).to.deep.equal({ fundId: 'choose an active fund' });
    });

    it('removes a receipt (204) and its file, audited', async () => {
      const created = await treasurerApi.post('/api/v1/expenses', fields());
      const id = created.body.id as string;
      await upload(treasurerApi, id, PDF, 'r.pdf', 'application/pdf');
      const key = (await inTenant(tenant, () => Expense.findByPk(id)))?.receiptKey ?? '';
      const stale = await treasurerApi.delete(`/api/v1/expenses/${id}/receipt`, {
        'If-Match': created.headers.etag,
      });
      expect(stale.status).to.equal(412);
      expect(await exists(key)).to.equal(true);
      const res = await treasurerApi.delete(`/api/v1/expenses/${id}/receipt`);
      expect(res.status, res.text).to.equal(204);
      expect(await exists(key)).to.equal(false);
      expect((await viewerApi.get(`/api/v1/expenses/${id}`)).body.receipt).to.equal(null);
      expect((await treasurerApi.delete(`/api/v1/expenses/${id}/receipt`)).status).to.equal(404);
    });

    it('lists expenses by fund, category and period, a page at a time, with the total', async () => {
      for (const day of ['2022-02-01', '2022-02-02', '2022-02-03'])
        await createExpense(tenant, { fundId: tithe, amountCents: '1000', spentOn: day, category: 'Paged' });
      await createExpense(tenant, {
        fundId: building,
        amountCents: '1',
        spentOn: '2022-02-04',
        category: 'Paged',
      });
      const url = `/api/v1/expenses?fundId=${tithe}&category=Paged&from=2022-01-01&to=2022-12-31&limit=2`;
      const first = await viewerApi.get(url);
      expect(first.status, first.text).to.equal(200);
      expect(first.body).to.include({ total: 3, totalCents: 3000 });
      expect(first.body.data.map((e: { spentOn: string }) => e.spentOn)).to.deep.equal([
        '2022-02-03',
        '2022-02-02',
      ]);
      const second = await viewerApi.get(`${url}&cursor=${first.body.nextCursor}`);
      expect(second.body.data).to.have.length(1);
      expect(second.body.nextCursor).to.equal(null);
    });

    it('corrects an expense partially (412 when stale), then reverses it and refuses changes afterwards (409)', async () => {
      const created = await treasurerApi.post('/api/v1/expenses', fields({ payee: 'Print shop' }));
      const url = `/api/v1/expenses/${created.body.id}`;
      const res = await treasurerApi.patch(
        url,
        { category: 'Printing' },
        { 'If-Match': created.headers.etag },
      );
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ category: 'Printing', payee: 'Print shop', amountCents: 102_007 });
      const [entry] = await auditEntries(tenant, 'expense.updated');
      expect(entry?.changes).to.deep.equal({ category: { from: 'Utilities', to: 'Printing' } });
      expect(
        (await treasurerApi.patch(url, { payee: 'X' }, { 'If-Match': created.headers.etag })).status,
      ).to.equal(412);

      const reversal = await treasurerApi.post(`${url}/reversal`, { reason: null });
      expect(reversal.status, reversal.text).to.equal(201);
      expect(reversal.body).to.include({ amountCents: -102_007, reversesId: created.body.id, receipt: null });
      const [reversed] = await auditEntries(tenant, 'expense.reversed');
      expect(reversed?.recordId).to.equal(reversal.body.id);
      expect((await treasurerApi.post(`${url}/reversal`, {})).status).to.equal(409);
      expect((await treasurerApi.patch(url, { payee: 'Y' })).status).to.equal(409);
      expect(
        (await upload(treasurerApi, created.body.id, PDF, 'late.pdf', 'application/pdf')).status,
      ).to.equal(409);
      expect((await inTenant(tenant, () => Expense.findByPk(created.body.id)))?.payee).to.equal('Print shop');
    });

    it("404s for another tenant's expense and refuses level 3 the list", async () => {
      const theirs = await inTenant(other, () =>
        Expense.create({
          id: FOREIGN_ID,
          category: 'Theirs',
          fundId: otherTithe,
          amountCents: '10',
          spentOn: '2025-01-01',
          payee: 'Them',
          note: null,
          receiptKey: null,
          receiptName: null,
          receiptType: null,
          createdBy: null,
        }),
      );
      expect((await viewerApi.get(`/api/v1/expenses/${theirs.id}`)).status).to.equal(404);
      expect((await viewerApi.get(`/api/v1/expenses/${theirs.id}/receipt`)).status).to.equal(404);
      expect((await treasurerApi.patch(`/api/v1/expenses/${theirs.id}`, { payee: 'Me' })).status).to.equal(
        404,
      );
      expect((await statsApi.get('/api/v1/expenses')).status).to.equal(403);
      expect((await viewerApi.post('/api/v1/expenses', fields())).status).to.equal(403);
    });
  });

  describe('statistics and statements', () => {
    let books: Tenant;
    let booksStats: ApiClient;
    let booksViewer: ApiClient;
    let member: string;

    before(async () => {
      books = await createTenant({ kind: 'church' });
      booksStats = await apiClient(books, await createUser(books, { level: 3 }));
      booksViewer = await apiClient(books, await createUser(books, { level: 2 }));
      const fund = await fundNamed(books, 'Offering');
      member = String(
        (await createMember(books, { firstName: 'Ann', lastName: 'Able', email: 'ann@x.test' })).id,
      );
      const late = String((await createMember(books, { firstName: 'Bob', lastName: 'Baker' })).id);
      await createContribution(books, {
        fundId: fund,
        memberId: member,
        amountCents: '10000',
        receivedOn: '2024-02-10',
      });
      await createContribution(books, {
        fundId: fund,
        memberId: member,
        amountCents: '2550',
        receivedOn: '2024-07-01',
      });
      await createContribution(books, {
        fundId: fund,
        memberId: late,
        amountCents: '300',
        receivedOn: '2024-07-02',
      });
      await createContribution(books, {
        fundId: fund,
        memberId: member,
        amountCents: '999',
        receivedOn: '2023-07-01',
      });
      await createExpense(books, { fundId: fund, amountCents: '4000', spentOn: '2024-02-20' });
    });

    it("gives level 3 the statistics page's figures for a year, in cents", async () => {
      const res = await booksStats.get('/api/v1/finance/statistics?year=2024');
      expect(res.status, res.text).to.equal(200);
      expect(res.body.totals).to.deep.equal({
        incomeCents: 12_850,
        expenseCents: 4_000,
        netCents: 8_850,
        contributionCount: 3,
        expenseCount: 1,
      });
      expect(res.body.months).to.have.length(12);
      expect(res.body.months[1]).to.deep.equal({
        month: '2024-02',
        incomeCents: 10_000,
        expenseCents: 4_000,
        netCents: 6_000,
      });
      expect(res.body.yearOverYear[6]).to.include({ incomeCents: 2_850, lastYearIncomeCents: 999 });
      const service = await inTenant(books, () => financeStats({ from: '2024-01-01', to: '2024-12-31' }));
      expect(res.body).to.deep.equal(presentStats(service));
    });

    it('takes a from/to period and refuses a half or reversed one with 422', async () => {
      const res = await booksStats.get('/api/v1/finance/statistics?from=2024-07-01&to=2024-07-31');
      expect(res.status, res.text).to.equal(200);
      expect(res.body.period).to.deep.equal({ from: '2024-07-01', to: '2024-07-31' });
      expect(res.body.totals.incomeCents).to.equal(2_850);
      expect((await booksStats.get('/api/v1/finance/statistics?from=2024-07-01')).status).to.equal(422);
      expect(
        (await booksStats.get('/api/v1/finance/statistics?from=2024-07-01&to=2024-06-01')).status,
      ).to.equal(422);
      expect(
        (await booksStats.get('/api/v1/finance/statistics?from=1990-01-01&to=2024-06-01')).status,
      ).to.equal(422);
      const year = await booksStats.get('/api/v1/finance/statistics?year=nineteen');
      expect(year.status).to.equal(422);
      expect(year.body.fields).to.have.property('year');
    });

    it('refuses the statistics to levels 4 and 5 with 403', async () => {
      expect((await level4Api.get('/api/v1/finance/statistics')).status).to.equal(403);
      const level5 = await apiClient(tenant, await createUser(tenant, { level: 5 }));
      expect((await level5.get('/api/v1/finance/statistics')).status).to.equal(403);
    });

    it('lists who gave in a year with their totals, those without an e-mail first, a page at a time', async () => {
      const first = await booksViewer.get('/api/v1/finance/statements?year=2024&limit=1');
      expect(first.status, first.text).to.equal(200);
      expect(first.body).to.include({ total: 2, totalCents: 12_850 });
      expect(first.body.data[0]).to.include({ lastName: 'Baker', email: null, totalCents: 300, gifts: 1 });
      expect(first.body.data[0].emailed).to.deep.equal({ sentAt: null, sentTo: null, sending: false });
      const second = await booksViewer.get(
        `/api/v1/finance/statements?year=2024&limit=1&cursor=${first.body.nextCursor}`,
      );
      expect(second.body.data[0]).to.include({ memberId: member, totalCents: 12_550, gifts: 2 });
      expect((await booksStats.get('/api/v1/finance/statements?year=2024')).status).to.equal(403);
    });

    it("gives one person's statement for a year, and 404 for someone unknown here", async () => {
      const res = await booksViewer.get(`/api/v1/finance/statements/${member}?year=2024`);
      expect(res.status, res.text).to.equal(200);
      expect(res.body.member).to.include({ id: member, firstName: 'Ann', email: 'ann@x.test' });
      expect(res.body.totalCents).to.equal(12_550);
      expect(res.body.lines.map((l: { receivedOn: string }) => l.receivedOn)).to.deep.equal([
        '2024-02-10',
        '2024-07-01',
      ]);
      expect(res.body.byFund).to.deep.equal([{ name: 'Offering', totalCents: 12_550 }]);
      const earlier = await booksViewer.get(`/api/v1/finance/statements/${member}?year=2023`);
      expect(earlier.body.totalCents).to.equal(999);
      const stranger = await inTenant(other, () =>
        Member.create({
          id: FOREIGN_ID,
          firstName: 'Elsewhere',
          lastName: 'Only',
          email: null,
          phone: null,
          address: null,
          birthDate: null,
          joinedOn: null,
          notes: null,
          householdId: null,
          userId: null,
        }),
      );
      await createContribution(other, {
        fundId: otherTithe,
        memberId: FOREIGN_ID,
        amountCents: '5',
        receivedOn: '2024-03-03',
      });
      expect((await booksViewer.get(`/api/v1/finance/statements/${stranger.id}?year=2024`)).status).to.equal(
        404,
      );
      expect((await booksViewer.get(`/api/v1/finance/statements/${member}?year=3000`)).status).to.equal(422);
    });
  });
});
