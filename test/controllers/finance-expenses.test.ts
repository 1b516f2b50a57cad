import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import type { Tenant } from '../../app/models/index.ts';
import { Expense } from '../../app/models/index.ts';
import { config } from '../../config/index.ts';
import { createUser, csrfToken, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';
import { auditEntries, createExpense, fundNamed, inTenant } from '../support/finance.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 1),
]);
const HEIC = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(32)]);

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );
const fileOf = (key: string) => path.join(config.storageDir, ...key.split('/'));
const storedFiles = (t: Tenant) =>
  readdir(path.join(config.storageDir, t.schemaName, 'receipt')).then(
    (f) => f.length,
    () => 0,
  );

describe('expenses (/finance/expenses) and their receipts', function () {
  this.timeout(120_000);
  let tenant: Tenant;
  let host: string;
  let agent: supertest.Agent;
  let fund: string;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    await createUser(tenant, { level: 1, email: 'treasurer@spend.test' });
    agent = await signedIn(tenant, 'treasurer@spend.test');
    fund = await fundNamed(tenant, 'Building');
  });

  const fields = (over: Record<string, string> = {}) => ({
    payee: 'City Power',
    category: 'Utilities',
    fundId: fund,
    amount: '1,020.07',
    spentOn: '2025-05-06',
    note: 'May bill',
    ...over,
  });

  /** Posts the expense form as the browser does: multipart, the CSRF token in the URL. */
  async function upload(
    target: string,
    body: Record<string, string>,
    file?: { data: Buffer; name: string; type: string },
  ): Promise<supertest.Response> {
    const token = await csrfToken(agent, host, '/finance/expenses/new');
    let req = agent.post(`${target}?_csrf=${encodeURIComponent(token)}`).set('Host', host);
    for (const [k, v] of Object.entries(body)) req = req.field(k, v);
    if (file) req = req.attach('receipt', file.data, { filename: file.name, contentType: file.type });
    return req;
  }

  const newest = () => inTenant(tenant, () => Expense.findOne({ order: [['id', 'DESC']] }));
  const count = () => inTenant(tenant, () => Expense.count());

  it('records an expense with a PDF receipt stored under the tenant, and audits it', async () => {
    const res = await upload('/finance/expenses', fields(), {
      data: PDF,
      name: 'may "bill".pdf',
      type: 'application/pdf',
    });
    expect(res.status, res.text?.slice(0, 500)).to.equal(302);
    const saved = await newest();
    expect(saved?.amountCents).to.equal('102007');
    expect(saved?.payee).to.equal('City Power');
    expect(saved?.receiptType).to.equal('application/pdf');
    expect(saved?.receiptName).to.equal('may bill.pdf');
    expect(saved?.receiptKey).to.match(new RegExp(`^${tenant.schemaName}/receipt/`));
    expect(await exists(fileOf(saved?.receiptKey ?? ''))).to.equal(true);
    const [logged] = await auditEntries(tenant, 'expense.created');
    expect(logged.recordId).to.equal(saved?.id);

    const file = await agent.get(`/finance/expenses/${saved?.id}/receipt`).set('Host', host).buffer(true);
    expect(file.status).to.equal(200);
    expect(file.headers['content-type']).to.equal('application/pdf');
    expect(file.headers['content-disposition']).to.equal(
      `inline; filename="may bill.pdf"; filename*=UTF-8''may%20bill.pdf`,
    );
    expect(file.headers['x-content-type-options']).to.equal('nosniff');
    expect(Buffer.from(file.body).equals(PDF)).to.equal(true);
  });

  it('records an expense without a receipt from an ordinary form too', async () => {
    const token = await csrfToken(agent, host, '/finance/expenses/new');
    const res = await agent
      .post('/finance/expenses')
      .set('Host', host)
      .type('form')
      .send({ ...fields({ amount: '3' }), _csrf: token });
    expect(res.status).to.equal(302);
    const saved = await newest();
    expect(saved?.amountCents).to.equal('300');
    expect(saved?.receiptKey).to.equal(null);
    const none = await agent.get(`/finance/expenses/${saved?.id}/receipt`).set('Host', host);
    expect(none.status).to.equal(404);
  });

  it('accepts a HEIC photo and serves it as a download in a sandbox', async () => {
    const res = await upload('/finance/expenses', fields(), {
      data: HEIC,
      name: 'IMG_0001.HEIC',
      type: 'image/heic',
    });
    expect(res.status).to.equal(302);
    const saved = await newest();
    expect(saved?.receiptType).to.equal('image/heic');
    const file = await agent.get(`/finance/expenses/${saved?.id}/receipt`).set('Host', host).buffer(true);
    expect(file.headers['content-disposition']).to.match(/^attachment; filename="IMG_0001.HEIC"/);
    expect(file.headers['content-security-policy']).to.include('sandbox');
  });

  it('refuses a receipt larger than UPLOAD_MAX_MB with 422 and keeps the other fields', async () => {
    const before = await count();
    const big = Buffer.alloc(Math.floor(config.UPLOAD_MAX_MB * 1024 * 1024) + 1, 0);
    PDF.copy(big);
    const res = await upload('/finance/expenses', fields({ payee: 'Big Paper Co' }), {
      data: big,
      name: 'big.pdf',
      type: 'application/pdf',
    });
    expect(res.status).to.equal(422);
    expect(res.text).to.include(`must be at most ${config.UPLOAD_MAX_MB} MB`);
    expect(res.text).to.include('value="Big Paper Co"');
    expect(await count()).to.equal(before);
  });

  it('refuses a file that is not a PDF, PNG, JPEG, WebP or HEIC, whatever its name and type say', async () => {
    const before = await count();
    for (const file of [
      {
        data: Buffer.from('<html><script>alert(1)</script></html>'),
        name: 'receipt.pdf',
        type: 'application/pdf',
      },
      { data: Buffer.from('MZ\x90\x00 executable'), name: 'receipt.png', type: 'image/png' },
      {
        data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
        name: 'r.svg',
        type: 'image/svg+xml',
      },
    ]) {
      const res = await upload('/finance/expenses', fields(), file);
      expect(res.status, file.name).to.equal(422);
      expect(res.text).to.include('must be a PDF, PNG, JPEG, WebP or HEIC file');
    }
    expect(await count()).to.equal(before);
  });

  it('refuses an empty file with 422', async () => {
    const before = await count();
    const res = await upload('/finance/expenses', fields(), {
      data: Buffer.alloc(0),
      name: 'empty.pdf',
      type: 'application/pdf',
    });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('is an empty file');
    expect(await count()).to.equal(before);
  });

  it('refuses a multipart form without its CSRF token', async () => {
    const before = await count();
    let req = agent.post('/finance/expenses').set('Host', host);
    for (const [k, v] of Object.entries(fields())) req = req.field(k, v);
    const res = await req.attach('receipt', PDF, { filename: 'a.pdf', contentType: 'application/pdf' });
    expect(res.status).to.equal(403);
    expect(await count()).to.equal(before);
  });

  for (const amount of ['12.345', 'abc', '0']) {
    it(`re-renders the expense form with 422 for the amount "${amount}" and stores no file`, async () => {
      const before = await count();
      const files = await storedFiles(tenant);
      const res = await upload('/finance/expenses', fields({ amount }), {
        data: PNG,
        name: 'r.png',
        type: 'image/png',
      });
      expect(res.status).to.equal(422);
      expect(res.text).to.include(`value="${amount}"`).and.include('is-invalid');
      expect(await count()).to.equal(before);
      expect(await storedFiles(tenant)).to.equal(files);
    });
  }

  it('replaces a receipt and removes the old file; an edit is audited before and after', async () => {
    await upload('/finance/expenses', fields(), { data: PDF, name: 'first.pdf', type: 'application/pdf' });
    const saved = await newest();
    const oldKey = saved?.receiptKey ?? '';
    expect(await exists(fileOf(oldKey))).to.equal(true);
    const res = await upload(`/finance/expenses/${saved?.id}`, fields({ amount: '99.99' }), {
      data: PNG,
      name: 'second.png',
      type: 'image/png',
    });
    expect(res.status).to.equal(302);
    const updated = await inTenant(tenant, () => Expense.findByPk(saved?.id ?? '0'));
    expect(updated?.receiptName).to.equal('second.png');
    expect(updated?.receiptType).to.equal('image/png');
    expect(updated?.amountCents).to.equal('9999');
    expect(updated?.receiptKey).not.to.equal(oldKey);
    expect(await exists(fileOf(oldKey))).to.equal(false);
    expect(await exists(fileOf(updated?.receiptKey ?? ''))).to.equal(true);
    const [logged] = await auditEntries(tenant, 'expense.updated');
    expect(logged.recordId).to.equal(saved?.id);
    expect(logged.changes.amountCents).to.deep.equal({ from: '102007', to: '9999' });
    expect(logged.changes.receiptName).to.deep.equal({ from: 'first.pdf', to: 'second.png' });

    const removed = await upload(`/finance/expenses/${saved?.id}`, fields({ removeReceipt: 'on' }));
    expect(removed.status).to.equal(302);
    const bare = await inTenant(tenant, () => Expense.findByPk(saved?.id ?? '0'));
    expect(bare?.receiptKey).to.equal(null);
    expect(await exists(fileOf(updated?.receiptKey ?? ''))).to.equal(false);
  });

  it('keeps the receipt when an edit is refused', async () => {
    await upload('/finance/expenses', fields(), { data: PDF, name: 'keep.pdf', type: 'application/pdf' });
    const saved = await newest();
    const res = await upload(`/finance/expenses/${saved?.id}`, fields({ amount: 'abc' }), {
      data: PNG,
      name: 'new.png',
      type: 'image/png',
    });
    expect(res.status).to.equal(422);
    const same = await inTenant(tenant, () => Expense.findByPk(saved?.id ?? '0'));
    expect(same?.receiptKey).to.equal(saved?.receiptKey);
    expect(await exists(fileOf(saved?.receiptKey ?? ''))).to.equal(true);
  });

  it("answers 404 for a receipt of another tenant's expense", async () => {
    await upload('/finance/expenses', fields(), { data: PDF, name: 'secret.pdf', type: 'application/pdf' });
    const secret = await newest();
    const other = await createTenant({ kind: 'church' });
    await createUser(other, { level: 0, email: 'admin2@other.test' });
    const stranger = await signedIn(other, 'admin2@other.test');
    const res = await stranger.get(`/finance/expenses/${secret?.id}/receipt`).set('Host', hostOf(other));
    expect(res.status).to.equal(404);
    expect(res.text).not.to.include('%PDF');
    // Even with an expense of the same id in the other tenant, its row points to its own file only.
    const otherFund = await fundNamed(other, 'Tithe');
    for (let i = 0; i < Number(secret?.id); i += 1)
      await createExpense(other, { fundId: otherFund, amountCents: '1', spentOn: '2025-01-01' });
    const same = await stranger.get(`/finance/expenses/${secret?.id}/receipt`).set('Host', hostOf(other));
    expect(same.status).to.equal(404);
    // And the session of one tenant does not open the other's host.
    const crossed = await stranger.get(`/finance/expenses/${secret?.id}/receipt`).set('Host', host);
    expect(crossed.status).not.to.equal(200);
  });

  it('reverses an expense with a negative entry and keeps both', async () => {
    const spent = await createExpense(tenant, {
      fundId: fund,
      amountCents: '4500',
      spentOn: '2025-08-08',
      payee: 'Paint shop',
    });
    const token = await csrfToken(agent, host, `/finance/expenses/${spent.id}`);
    const res = await agent
      .post(`/finance/expenses/${spent.id}/reversal`)
      .set('Host', host)
      .type('form')
      .send({ _csrf: token, reason: 'refunded' });
    expect(res.status).to.equal(302);
    const reversal = await newest();
    expect(reversal?.amountCents).to.equal('-4500');
    expect(reversal?.payee).to.equal('Paint shop');
    expect(reversal?.note).to.equal(`Reversal of expense #${spent.id}: refunded`);
    expect((await inTenant(tenant, () => Expense.findByPk(spent.id)))?.amountCents).to.equal('4500');
    const [logged] = await auditEntries(tenant, 'expense.reversed');
    expect(logged.recordId).to.equal(reversal?.id);
    const again = await agent
      .post(`/finance/expenses/${spent.id}/reversal`)
      .set('Host', host)
      .type('form')
      .send({ _csrf: token });
    expect(again.status).to.equal(409);
    const list = await agent.get('/finance/expenses?category=Supplies').set('Host', host);
    expect(list.text).to.include('data-total-cents="0"').and.include('Reversed');
  });
});
