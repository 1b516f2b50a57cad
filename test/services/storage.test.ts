import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { contentDisposition, FolderStore, safeFileName } from '../../app/services/storage.ts';
import { withTenant } from '../../app/tenancy/context.ts';

const tenantA = {
  id: '1',
  slug: 'a',
  schema: 't_alpha',
  name: 'A',
  kind: 'church',
  status: 'active',
} as const;
const tenantB = {
  id: '2',
  slug: 'b',
  schema: 't_beta',
  name: 'B',
  kind: 'church',
  status: 'active',
} as const;

async function read(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString();
}

describe('file storage per tenant', () => {
  let root: string;
  let store: FolderStore;

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'steward-files-'));
    store = new FolderStore(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("keeps each file under its tenant's schema folder", async () => {
    const key = await withTenant(tenantA, () => store.put('receipts', Buffer.from('hello')));
    expect(key).to.match(/^t_alpha\/receipts\/[0-9a-f-]{36}$/);
    const { stream, size } = await withTenant(tenantA, () => store.open(key));
    expect(size).to.equal(5);
    expect(await read(stream)).to.equal('hello');
  });

  it("refuses to open or remove another tenant's file, or a forged key", async () => {
    const key = await withTenant(tenantA, () => store.put('receipts', Buffer.from('secret')));
    for (const k of [key, 't_beta/receipts/../../t_alpha/x', '../etc/passwd', `${key}/..`]) {
      let thrown: unknown;
      try {
        await withTenant(tenantB, () => store.open(k));
      } catch (err) {
        thrown = err;
      }
      expect(thrown, k).to.be.instanceOf(Error);
    }
    await withTenant(tenantB, () => store.remove(key)).catch(() => {});
    const { stream, size } = await withTenant(tenantA, () => store.open(key));
    expect(size).to.equal(6);
    expect(await read(stream)).to.equal('secret');
  });

  it('needs a tenant to store anything', async () => {
    let thrown: unknown;
    try {
      await store.put('receipts', Buffer.from('x'));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(Error);
  });

  it('cleans file names of paths and control characters, keeping unicode', () => {
    expect(safeFileName('../../etc/passwd')).to.equal('passwd');
    expect(safeFileName('C:\\Users\\me\\reçu été.pdf')).to.equal('reçu été.pdf');
    expect(safeFileName('a\u0000b"c.pdf')).to.equal('abc.pdf');
    expect(safeFileName('...')).to.equal('file');
    expect(contentDisposition('reçu "1".pdf')).to.equal(
      `attachment; filename="re_u 1.pdf"; filename*=UTF-8''re%C3%A7u%201.pdf`,
    );
  });
});
