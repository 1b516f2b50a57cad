import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type supertest from 'supertest';
import { Attachment, AuditLog } from '../../app/models/index.ts';
import { UPLOAD_MAX_BYTES } from '../../app/services/attachments.ts';
import { fileStore } from '../../app/services/storage.ts';
import { config } from '../../config/index.ts';
import { inTenant, type ProjectWorld, projectWorld, tokenFor } from '../support/collaboration.ts';
import { http } from '../support/factories.ts';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('png body'),
]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n');
const DOCX = Buffer.concat([
  Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  Buffer.from('....[Content_Types].xml....word/document.xml'),
]);

interface Upload {
  name: string;
  data: Buffer;
  type?: string;
}

/** Sends a multipart upload the way the page's form does: the CSRF token in the action URL. */
async function upload(
  w: ProjectWorld,
  agent: supertest.Agent,
  taskId: string,
  file: Upload | null,
  back?: string,
): Promise<supertest.Response> {
  const token = await tokenFor(agent, w.host);
  const req = agent
    .post(`/tasks/${taskId}/attachments?_csrf=${encodeURIComponent(token)}`)
    .set('Host', w.host);
  if (back) req.field('back', back);
  if (file)
    req.attach('file', file.data, {
      filename: file.name,
      contentType: file.type ?? 'application/octet-stream',
    });
  else req.field('nothing', 'here');
  return req;
}

async function post(w: ProjectWorld, agent: supertest.Agent, p: string): Promise<supertest.Response> {
  const _csrf = await tokenFor(agent, w.host);
  return agent.post(p).set('Host', w.host).type('form').send({ _csrf });
}

function attachmentsOf(w: ProjectWorld, taskId: string): Promise<Attachment[]> {
  return inTenant(w.tenant, () => Attachment.findAll({ where: { taskId }, order: [['id', 'ASC']] }));
}

function onDisk(key: string): string {
  return path.join(config.storageDir, key);
}

/** Uploads a file as `agent` and returns its new record. */
async function attached(
  w: ProjectWorld,
  agent: supertest.Agent,
  file: Upload,
  taskId = w.task.id,
): Promise<Attachment> {
  const res = await upload(w, agent, taskId, file);
  expect(res.status, res.text.slice(0, 500)).to.equal(302);
  const last = (await attachmentsOf(w, taskId)).at(-1);
  if (!last) throw new Error('no attachment');
  return last;
}

describe('attachments on tasks', function () {
  this.timeout(120_000);
  let w: ProjectWorld;
  let other: ProjectWorld;

  before(async () => {
    w = await projectWorld();
    other = await projectWorld({ kind: 'church', idsFrom: 700_000 });
  });

  describe('uploading', () => {
    it('stores a file under the tenant, records it, audits it and lists it', async () => {
      const res = await upload(w, w.as.member, w.task.id, { name: 'plan.png', data: PNG, type: 'image/png' });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(`/tasks/${w.task.id}#attachments`);
      const [a] = await attachmentsOf(w, w.task.id);
      expect(a.fileName).to.equal('plan.png');
      expect(a.contentType).to.equal('image/png');
      expect(a.sizeBytes).to.equal(PNG.length);
      expect(String(a.uploadedBy)).to.equal(String(w.users.member.id));
      expect(a.fileKey).to.match(new RegExp(`^${w.tenant.toRef().schema}/attachments/[0-9a-f-]{36}$`));
      expect(existsSync(onDisk(a.fileKey))).to.equal(true);
      expect(path.resolve(onDisk(a.fileKey)).startsWith(path.join(config.root, 'public'))).to.equal(false);

      const entry = await inTenant(w.tenant, () =>
        AuditLog.findOne({ where: { action: 'attachment.added', recordId: String(a.id) } }),
      );
      expect(String(entry?.projectId)).to.equal(String(w.project.id));
      expect(entry?.changes).to.deep.include({
        fileName: { from: null, to: 'plan.png' },
        sizeBytes: { from: null, to: PNG.length },
        contentType: { from: null, to: 'image/png' },
      });

      const page = await w.as.viewer.get(`/tasks/${w.task.id}/attachments`).set('Host', w.host);
      expect(page.status).to.equal(200);
      expect(page.text).to.include(`href="/tasks/${w.task.id}/attachments/${a.id}"`);
      expect(page.text).to.include('plan.png');
      expect(page.text).to.include('Mia Member');
    });

    it('goes back to the attachments page when the form came from it', async () => {
      const back = `/tasks/${w.otherTask.id}/attachments`;
      const res = await upload(w, w.as.member, w.otherTask.id, { name: 'a.pdf', data: PDF }, back);
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal(`${back}#attachments`);
    });

    it('refuses a file over the size limit with a 413 page that says so, storing nothing', async () => {
      const before = (await attachmentsOf(w, w.task.id)).length;
      const big = Buffer.concat([PDF, Buffer.alloc(UPLOAD_MAX_BYTES + 1 - PDF.length, 0x20)]);
      const res = await upload(w, w.as.member, w.task.id, {
        name: 'big.pdf',
        data: big,
        type: 'application/pdf',
      });
      expect(res.status).to.equal(413);
      expect(res.text).to.include(`files can be at most ${config.UPLOAD_MAX_MB} MB`);
      expect(res.text).to.include('name="file"');
      expect((await attachmentsOf(w, w.task.id)).length).to.equal(before);
      const exact = Buffer.concat([PDF, Buffer.alloc(UPLOAD_MAX_BYTES - PDF.length, 0x20)]);
      const ok = await upload(w, w.as.member, w.otherTask.id, { name: 'limit.pdf', data: exact });
      expect(ok.status).to.equal(302);
    });

    it('refuses with 422 an empty file, no file, a type that is not allowed, and content that does not match', async () => {
      const before = (await attachmentsOf(w, w.task.id)).length;
      const cases: [Upload | null, string][] = [
        [{ name: 'empty.pdf', data: Buffer.alloc(0), type: 'application/pdf' }, 'The file is empty.'],
        [null, 'Choose a file to attach.'],
        [{ name: 'run.exe', data: Buffer.from('MZ....') }, 'Files of this type cannot be attached'],
        [
          { name: 'logo.svg', data: Buffer.from('<svg/>'), type: 'image/svg+xml' },
          'Files of this type cannot be attached',
        ],
        [
          { name: 'page.html', data: Buffer.from('<h1>x</h1>'), type: 'text/html' },
          'Files of this type cannot be attached',
        ],
        [{ name: 'passwd', data: Buffer.from('root:x:0:0') }, 'Files of this type cannot be attached'],
        [
          { name: 'fake.png', data: Buffer.from('<script>alert(1)</script>'), type: 'image/png' },
          'is not a PNG file',
        ],
        [{ name: 'fake.docx', data: PDF }, 'is not a Word (.docx) file'],
        [
          { name: 'binary.txt', data: Buffer.from([0x00, 0x01, 0x02]), type: 'text/plain' },
          'is not a text file',
        ],
        [{ name: 'trick.pdf', data: PDF, type: 'text/html' }, 'does not match its name'],
      ];
      for (const [file, message] of cases) {
        const res = await upload(w, w.as.member, w.task.id, file);
        expect(res.status, file?.name ?? 'no file').to.equal(422);
        expect(res.text, file?.name ?? 'no file').to.include(message);
      }
      expect((await attachmentsOf(w, w.task.id)).length).to.equal(before);
    });

    it('refuses with 422 two files at once or a file under another field name', async () => {
      const before = (await attachmentsOf(w, w.task.id)).length;
      const token = encodeURIComponent(await tokenFor(w.as.member, w.host));
      const url = `/tasks/${w.task.id}/attachments?_csrf=${token}`;
      const two = await w.as.member
        .post(url)
        .set('Host', w.host)
        .attach('file', PDF, { filename: 'a.pdf', contentType: 'application/pdf' })
        .attach('file', PDF, { filename: 'b.pdf', contentType: 'application/pdf' });
      expect(two.status).to.equal(422);
      expect(two.text).to.include('Attach one file at a time.');
      const renamed = await w.as.member
        .post(url)
        .set('Host', w.host)
        .attach('upload', PDF, { filename: 'a.pdf', contentType: 'application/pdf' });
      expect(renamed.status).to.equal(422);
      const noToken = await w.as.member
        .post(`/tasks/${w.task.id}/attachments`)
        .set('Host', w.host)
        .attach('file', PDF, { filename: 'a.pdf', contentType: 'application/pdf' });
      expect(noToken.status).to.equal(403);
      expect((await attachmentsOf(w, w.task.id)).length).to.equal(before);
    });

    it('stores names with folders stripped and unicode kept, and shows them escaped', async () => {
      const names: [string, string][] = [
        ['../../etc/passwd.txt', 'passwd.txt'],
        ['..\\..\\x.pdf', 'x.pdf'],
        ['résumé 📎.pdf', 'résumé 📎.pdf'],
        ["Tom & Jerry's <plan>.PDF", "Tom & Jerry's plan.pdf"],
      ];
      for (const [name, stored] of names) {
        const data = name.endsWith('.txt') ? Buffer.from('hello') : PDF;
        const a = await attached(w, w.as.builder, { name, data }, w.otherTask.id);
        expect(a.fileName, name).to.equal(stored);
      }
      const page = await w.as.member.get(`/tasks/${w.otherTask.id}/attachments`).set('Host', w.host);
      expect(page.text).to.include('résumé 📎.pdf');
      expect(page.text).to.include('>passwd.txt</a>');
      expect(page.text).to.include('Tom &amp; Jerry&#39;s plan.pdf');
      expect(page.text).not.to.include('<plan>');
    });
  });

  describe('downloading', () => {
    it('sends an image inline with its type, nosniff and a sandbox', async () => {
      const a = await attached(w, w.as.member, { name: 'photo.png', data: PNG, type: 'image/png' });
      const res = await w.as.viewer
        .get(`/tasks/${w.task.id}/attachments/${a.id}`)
        .set('Host', w.host)
        .buffer(true);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('image/png');
      expect(res.headers['content-disposition']).to.equal(
        `inline; filename="photo.png"; filename*=UTF-8''photo.png`,
      );
      expect(res.headers['x-content-type-options']).to.equal('nosniff');
      expect(res.headers['cache-control']).to.equal('private, no-store');
      expect(res.headers['content-security-policy']).to.include('sandbox');
      expect(Buffer.compare(res.body as Buffer, PNG)).to.equal(0);
    });

    it('sends a PDF inline and an office file or text as a download, with a unicode name', async () => {
      const pdf = await attached(w, w.as.member, { name: 'résumé 📎.pdf', data: PDF });
      const pdfRes = await w.as.member.get(`/tasks/${w.task.id}/attachments/${pdf.id}`).set('Host', w.host);
      expect(pdfRes.headers['content-type']).to.equal('application/pdf');
      expect(pdfRes.headers['content-disposition']).to.equal(
        `inline; filename="r_sum_ __.pdf"; filename*=UTF-8''${encodeURIComponent('résumé 📎.pdf')}`,
      );
      const docx = await attached(w, w.as.member, { name: 'notes.docx', data: DOCX });
      const docRes = await w.as.member.get(`/tasks/${w.task.id}/attachments/${docx.id}`).set('Host', w.host);
      expect(docRes.headers['content-type']).to.equal(
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      );
      expect(docRes.headers['content-disposition']).to.match(/^attachment; filename="notes.docx"/);
      const txt = await attached(w, w.as.member, {
        name: 'list.txt',
        data: Buffer.from('<html>not a page</html>'),
      });
      const txtRes = await w.as.member.get(`/tasks/${w.task.id}/attachments/${txt.id}`).set('Host', w.host);
      expect(txtRes.headers['content-type']).to.match(/^text\/plain/);
      expect(txtRes.headers['content-disposition']).to.match(/^attachment;/);
      expect(txtRes.headers['x-content-type-options']).to.equal('nosniff');
    });

    it('answers 404 when the file is missing from the store', async () => {
      const a = await attached(w, w.as.member, { name: 'gone.pdf', data: PDF });
      await inTenant(w.tenant, () => fileStore.remove(a.fileKey));
      const res = await w.as.member.get(`/tasks/${w.task.id}/attachments/${a.id}`).set('Host', w.host);
      expect(res.status).to.equal(404);
    });
  });

  describe('removing', () => {
    it('lets the uploader remove a file: the record goes, the file leaves the disk, and it is audited', async () => {
      const a = await attached(w, w.as.builder, { name: 'remove-me.pdf', data: PDF });
      expect(existsSync(onDisk(a.fileKey))).to.equal(true);
      const res = await post(w, w.as.builder, `/tasks/${w.task.id}/attachments/${a.id}/delete`);
      expect(res.status).to.equal(302);
      expect(await inTenant(w.tenant, () => Attachment.findByPk(a.id))).to.equal(null);
      expect(existsSync(onDisk(a.fileKey))).to.equal(false);
      const entry = await inTenant(w.tenant, () =>
        AuditLog.findOne({ where: { action: 'attachment.removed', recordId: String(a.id) } }),
      );
      expect(String(entry?.projectId)).to.equal(String(w.project.id));
      expect(entry?.changes.fileName).to.deep.equal({ from: 'remove-me.pdf', to: null });
    });

    it("refuses another member (403), and lets a projects.manage user remove anyone's file", async () => {
      const a = await attached(w, w.as.builder, { name: 'bobs.pdf', data: PDF });
      const refused = await post(w, w.as.member, `/tasks/${w.task.id}/attachments/${a.id}/delete`);
      expect(refused.status).to.equal(403);
      expect(existsSync(onDisk(a.fileKey))).to.equal(true);
      const page = await w.as.member.get(`/tasks/${w.task.id}/attachments`).set('Host', w.host);
      expect(page.text).not.to.include(`/attachments/${a.id}/delete`);
      const res = await post(w, w.as.manager, `/tasks/${w.task.id}/attachments/${a.id}/delete`);
      expect(res.status).to.equal(302);
      expect(await inTenant(w.tenant, () => Attachment.findByPk(a.id))).to.equal(null);
      expect(existsSync(onDisk(a.fileKey))).to.equal(false);
    });
  });

  describe('access', () => {
    let a: Attachment;

    before(async () => {
      a = await attached(w, w.as.member, { name: 'access.pdf', data: PDF });
    });

    it('lets a viewer list and download, and answers 403 to an upload or removal without reading or storing anything', async () => {
      expect((await w.as.viewer.get(`/tasks/${w.task.id}/attachments`).set('Host', w.host)).status).to.equal(
        200,
      );
      expect(
        (await w.as.viewer.get(`/tasks/${w.task.id}/attachments/${a.id}`).set('Host', w.host)).status,
      ).to.equal(200);
      const page = await w.as.viewer.get(`/tasks/${w.task.id}/attachments`).set('Host', w.host);
      expect(page.text).not.to.include('name="file"');
      const before = (await attachmentsOf(w, w.task.id)).length;
      const up = await upload(w, w.as.viewer, w.task.id, { name: 'v.pdf', data: PDF });
      expect(up.status).to.equal(403);
      const del = await post(w, w.as.viewer, `/tasks/${w.task.id}/attachments/${a.id}/delete`);
      expect(del.status).to.equal(403);
      expect((await attachmentsOf(w, w.task.id)).length).to.equal(before);
      expect(existsSync(onDisk(a.fileKey))).to.equal(true);
    });

    it('answers 404 to a person outside the project on every attachment route', async () => {
      const before = (await attachmentsOf(w, w.task.id)).length;
      for (const p of [`/tasks/${w.task.id}/attachments`, `/tasks/${w.task.id}/attachments/${a.id}`]) {
        const res = await w.as.outsider.get(p).set('Host', w.host);
        expect(res.status, p).to.equal(404);
        expect(res.text).not.to.include('%PDF');
      }
      expect((await upload(w, w.as.outsider, w.task.id, { name: 'o.pdf', data: PDF })).status).to.equal(404);
      expect(
        (await post(w, w.as.outsider, `/tasks/${w.task.id}/attachments/${a.id}/delete`)).status,
      ).to.equal(404);
      expect((await attachmentsOf(w, w.task.id)).length).to.equal(before);
      expect(existsSync(onDisk(a.fileKey))).to.equal(true);
    });

    it('answers 404 for the attachment of another task, and for ids that cannot exist', async () => {
      for (const p of [
        `/tasks/${w.otherTask.id}/attachments/${a.id}`,
        `/tasks/${w.task.id}/attachments/abc`,
        `/tasks/${w.task.id}/attachments/99999999999999999999`,
        '/tasks/abc/attachments',
      ]) {
        expect((await w.as.admin.get(p).set('Host', w.host)).status, p).to.equal(404);
      }
      const del = await post(w, w.as.admin, `/tasks/${w.otherTask.id}/attachments/${a.id}/delete`);
      expect(del.status).to.equal(404);
      expect(existsSync(onDisk(a.fileKey))).to.equal(true);
    });

    it("answers 404 for another tenant's task and attachment, even to a super admin", async () => {
      const theirs = await attached(other, other.as.member, { name: 'theirs.pdf', data: PDF });
      for (const p of [
        `/tasks/${other.task.id}/attachments`,
        `/tasks/${other.task.id}/attachments/${theirs.id}`,
        `/tasks/${w.task.id}/attachments/${theirs.id}`,
      ]) {
        expect((await w.as.admin.get(p).set('Host', w.host)).status, p).to.equal(404);
      }
      expect((await upload(w, w.as.admin, other.task.id, { name: 'x.pdf', data: PDF })).status).to.equal(404);
      for (const p of [
        `/tasks/${other.task.id}/attachments/${theirs.id}/delete`,
        `/tasks/${w.task.id}/attachments/${theirs.id}/delete`,
      ]) {
        expect((await post(w, w.as.admin, p)).status, p).to.equal(404);
      }
      expect(existsSync(onDisk(theirs.fileKey))).to.equal(true);
    });

    it("never serves or removes another tenant's file, even through a record carrying its key", async () => {
      const theirs = await attached(other, other.as.member, { name: 'private.pdf', data: PDF });
      // A record in tenant A that names tenant B's file (as a forged or copied row would).
      const forged = await inTenant(w.tenant, () =>
        Attachment.create({
          taskId: w.task.id,
          fileKey: theirs.fileKey,
          fileName: 'forged.pdf',
          contentType: 'application/pdf',
          sizeBytes: PDF.length,
          uploadedBy: w.users.member.id,
        }),
      );
      const dotted = await inTenant(w.tenant, () =>
        Attachment.create({
          taskId: w.task.id,
          fileKey: `${w.tenant.toRef().schema}/attachments/../../${other.tenant.toRef().schema}/attachments/x`,
          fileName: 'dotted.pdf',
          contentType: 'application/pdf',
          sizeBytes: 1,
          uploadedBy: w.users.member.id,
        }),
      );
      for (const id of [forged.id, dotted.id]) {
        const res = await w.as.admin.get(`/tasks/${w.task.id}/attachments/${id}`).set('Host', w.host);
        expect(res.status).to.equal(404);
        expect(res.text).not.to.include('%PDF');
      }
      const del = await post(w, w.as.member, `/tasks/${w.task.id}/attachments/${forged.id}/delete`);
      expect(del.status).to.equal(302);
      expect(existsSync(onDisk(theirs.fileKey))).to.equal(true);
      const own = await other.as.member
        .get(`/tasks/${other.task.id}/attachments/${theirs.id}`)
        .set('Host', other.host);
      expect(own.status).to.equal(200);
    });

    it('sends an anonymous visitor to sign in', async () => {
      const res = await http().get(`/tasks/${w.task.id}/attachments/${a.id}`).set('Host', w.host);
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.match(/^\/login\?next=/);
    });
  });
});
