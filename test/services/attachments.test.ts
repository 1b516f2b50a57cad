import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Attachment, Project, Task, type Tenant } from '../../app/models/index.ts';
import {
  type AcceptedFile,
  attachFile,
  checkFile,
  deleteTaskFiles,
  isRefusal,
  showsInline,
  storedName,
  UPLOAD_ACCEPT,
  type UploadRefusal,
} from '../../app/services/attachments.ts';
import { config } from '../../config/index.ts';
import { createTask, inTenant } from '../support/collaboration.ts';
import { createTenant } from '../support/factories.ts';

const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const odf = (type: string) =>
  Buffer.concat([ZIP, Buffer.alloc(26), Buffer.from(`mimetype${type}PK...content.xml`)]);
const ooxml = (folder: string) => Buffer.concat([ZIP, Buffer.from(`..[Content_Types].xml..${folder}x.xml`)]);

const SAMPLES: Record<string, Buffer> = {
  'a.pdf': Buffer.from('%PDF-1.7\n'),
  'a.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]),
  'a.jpg': Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0]),
  'a.jpeg': Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0]),
  'a.gif': Buffer.from('GIF89a....'),
  'a.webp': Buffer.from('RIFF....WEBPVP8 '),
  'a.txt': Buffer.from('Hello\tworld\r\nçà\n'),
  'a.csv': Buffer.from('name;amount\n"Ana";12\n'),
  'a.docx': ooxml('word/'),
  'a.xlsx': ooxml('xl/'),
  'a.pptx': ooxml('ppt/'),
  'a.odt': odf('application/vnd.oasis.opendocument.text'),
  'a.ods': odf('application/vnd.oasis.opendocument.spreadsheet'),
};

function file(originalname: string, buffer: Buffer, mimetype = 'application/octet-stream') {
  return { originalname, buffer, mimetype, size: buffer.length } as Express.Multer.File;
}

function refusal(x: AcceptedFile | UploadRefusal): UploadRefusal {
  if (!isRefusal(x)) throw new Error(`accepted ${x.name}`);
  return x;
}

function accepted(x: AcceptedFile | UploadRefusal): AcceptedFile {
  if (isRefusal(x)) throw new Error(x.message);
  return x;
}

describe('task attachment files', () => {
  describe('the allow-list', () => {
    it('accepts each allowed kind when its content fits its extension, with the type of the extension', () => {
      const types = Object.entries(SAMPLES).map(([name, data]) => [
        name,
        accepted(checkFile(file(name, data))).type,
      ]);
      expect(Object.fromEntries(types)).to.deep.equal({
        'a.pdf': 'application/pdf',
        'a.png': 'image/png',
        'a.jpg': 'image/jpeg',
        'a.jpeg': 'image/jpeg',
        'a.gif': 'image/gif',
        'a.webp': 'image/webp',
        'a.txt': 'text/plain',
        'a.csv': 'text/csv',
        'a.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'a.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'a.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
        'a.odt': 'application/vnd.oasis.opendocument.text',
        'a.ods': 'application/vnd.oasis.opendocument.spreadsheet',
      });
      expect(UPLOAD_ACCEPT).to.equal('.pdf,.png,.jpg,.jpeg,.gif,.webp,.txt,.csv,.docx,.xlsx,.pptx,.odt,.ods');
    });

    it('refuses content of another kind than the extension says', () => {
      expect(refusal(checkFile(file('a.docx', SAMPLES['a.xlsx']))).status).to.equal(422);
      expect(refusal(checkFile(file('a.odt', SAMPLES['a.ods']))).message).to.include('OpenDocument text');
      expect(refusal(checkFile(file('a.pdf', SAMPLES['a.png']))).message).to.include('is not a PDF file');
      expect(refusal(checkFile(file('a.gif', SAMPLES['a.jpg']))).status).to.equal(422);
      expect(refusal(checkFile(file('a.csv', Buffer.from([0x41, 0x00, 0x42])))).message).to.include('CSV');
    });

    it('accepts the types browsers commonly declare, and refuses a declared type of another kind', () => {
      expect(accepted(checkFile(file('a.csv', SAMPLES['a.csv'], 'application/vnd.ms-excel'))).type).to.equal(
        'text/csv',
      );
      expect(accepted(checkFile(file('a.jpg', SAMPLES['a.jpg'], 'image/pjpeg'))).type).to.equal('image/jpeg');
      expect(accepted(checkFile(file('a.docx', SAMPLES['a.docx'], 'application/zip'))).name).to.equal(
        'a.docx',
      );
      expect(
        accepted(checkFile(file('a.pdf', SAMPLES['a.pdf'], 'application/pdf; charset=binary'))).type,
      ).to.equal('application/pdf');
      expect(refusal(checkFile(file('a.png', SAMPLES['a.png'], 'image/svg+xml'))).message).to.include(
        'does not match its name',
      );
      expect(refusal(checkFile(file('a.txt', SAMPLES['a.txt'], 'text/html'))).status).to.equal(422);
    });

    it('refuses an empty file, no file and a name without an allowed extension', () => {
      expect(refusal(checkFile(file('a.pdf', Buffer.alloc(0)))).message).to.equal('The file is empty.');
      expect(refusal(checkFile(undefined)).message).to.equal('Choose a file to attach.');
      for (const name of ['a.svg', 'a.html', 'a.exe', 'Makefile', 'a.pdf.exe', 'a.', '.htaccess']) {
        expect(refusal(checkFile(file(name, SAMPLES['a.pdf']))).status, name).to.equal(422);
      }
    });

    it('shows only images and PDF in the browser', () => {
      expect(
        ['application/pdf', 'image/png', 'image/jpeg', 'image/gif', 'image/webp'].every(showsInline),
      ).to.equal(true);
      expect(
        ['text/plain', 'text/csv', 'application/vnd.oasis.opendocument.text', 'image/svg+xml'].some(
          showsInline,
        ),
      ).to.equal(false);
    });
  });

  describe('stored names', () => {
    it('drops folders, control characters and leading dots, keeps unicode and lower-cases the extension', () => {
      expect(storedName('../../etc/passwd')).to.equal('passwd');
      expect(storedName('..\\..\\x.pdf')).to.equal('x.pdf');
      expect(storedName('C:\\Users\\me\\Reçu été.PDF')).to.equal('Reçu été.pdf');
      expect(storedName('résumé 📎.pdf')).to.equal('résumé 📎.pdf');
      expect(storedName('a\u0000b\u001b"c<d>.txt')).to.equal('abcd.txt');
      expect(storedName('.pdf')).to.equal('file.pdf');
      expect(storedName('report.pdf. . ')).to.equal('report.pdf');
    });

    it('keeps the extension of a very long name and never cuts an emoji in half', () => {
      const name = storedName(`${'📎'.repeat(200)}.pdf`);
      expect(name.endsWith('📎.pdf')).to.equal(true);
      expect(name.length).to.be.at.most(200);
      expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(name)).to.equal(
        false,
      );
      expect(storedName(`${'a'.repeat(300)}.docx`)).to.equal(`${'a'.repeat(140)}.docx`);
    });
  });

  describe('deleteTaskFiles', () => {
    let tenant: Tenant;

    before(async () => {
      tenant = await createTenant();
    });

    it("removes the files of the given tasks' attachments, leaves other tasks' files, and the rows go with the tasks", async () => {
      const project = await inTenant(tenant, () =>
        Project.create({ name: 'Hall', description: null, startsOn: null, endsOn: null, ownerId: null }),
      );
      const [t1, t2, t3] = [
        await createTask(tenant, project.id, 'One'),
        await createTask(tenant, project.id, 'Two'),
        await createTask(tenant, project.id, 'Three'),
      ];
      const pdf = { name: 'a.pdf', type: 'application/pdf', data: SAMPLES['a.pdf'] };
      const [a1, a2, a3, keep] = await inTenant(tenant, async () => [
        await attachFile(t1.id, null, pdf),
        await attachFile(t1.id, null, pdf),
        await attachFile(t2.id, null, pdf),
        await attachFile(t3.id, null, pdf),
      ]);
      const disk = (a: Attachment) => path.join(config.storageDir, a.fileKey);
      for (const a of [a1, a2, a3, keep]) expect(existsSync(disk(a))).to.equal(true);

      await inTenant(tenant, () => deleteTaskFiles([t1.id, t2.id, 'abc', '99999999999999999999']));
      for (const a of [a1, a2, a3]) expect(existsSync(disk(a))).to.equal(false);
      expect(existsSync(disk(keep))).to.equal(true);

      await inTenant(tenant, async () => {
        expect(await Attachment.count({ where: { taskId: [t1.id, t2.id] } })).to.equal(3);
        await Task.destroy({ where: { id: [t1.id, t2.id] } });
        expect(await Attachment.count({ where: { taskId: [t1.id, t2.id] } })).to.equal(0);
        expect(await Attachment.count({ where: { taskId: t3.id } })).to.equal(1);
        // Nothing to do, and files already gone, are not errors.
        await deleteTaskFiles([]);
        await deleteTaskFiles([t3.id]);
        await deleteTaskFiles([t3.id]);
      });
      expect(existsSync(disk(keep))).to.equal(false);
    });
  });
});
