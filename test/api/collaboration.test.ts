import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import {
  Attachment,
  AuditLog,
  CommentMention,
  Notification,
  Project,
  Task,
  TaskComment,
  type Tenant,
  type User,
} from '../../app/models/index.ts';
import { UPLOAD_MAX_BYTES } from '../../app/services/attachments.ts';
import { topUp } from '../../app/services/billing.ts';
import { notify } from '../../app/services/notifications.ts';
import { dashboardFor as workDashboardFor } from '../../app/services/work-dashboard.ts';
import { config } from '../../config/index.ts';
import { payingTenant } from '../jobs/billing-support.ts';
import { type ApiClient, apiClient, patClient } from '../support/api.ts';
import { createUser } from '../support/auth.ts';
import { createTask, inTenant, type ProjectWorld, projectWorld } from '../support/collaboration.ts';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('png body'),
]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n');

type Who = keyof ProjectWorld['users'];

/** Moves a comment's posting time `minutes` into the past. */
async function age(w: ProjectWorld, id: string, minutes: number): Promise<void> {
  await inTenant(w.tenant, async () => {
    await TaskComment.sequelize?.query(
      `UPDATE task_comments SET created_at = now() - make_interval(mins => :minutes) WHERE id = :id`,
      { replacements: { id, minutes } },
    );
  });
}

function auditOf(w: ProjectWorld, action: string, recordId: string) {
  return inTenant(w.tenant, () => AuditLog.findAll({ where: { action, recordId } }));
}

function noticesOf(w: ProjectWorld, userId: string) {
  return inTenant(w.tenant, () => Notification.findAll({ where: { userId }, order: [['id', 'ASC']] }));
}

/** Uploads `data` as `name` through the API (multipart). */
function upload(
  api: ApiClient,
  taskId: string,
  name: string,
  data: Buffer,
  type = 'application/octet-stream',
) {
  return api
    .raw('post', `/api/v1/tasks/${taskId}/attachments`)
    .attach('file', data, { filename: name, contentType: type });
}

/** A download, its body kept as the file's bytes (the contract check still applies). */
function download(api: ApiClient, urlPath: string) {
  return api
    .raw('get', urlPath)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

describe('collaboration API', function () {
  this.timeout(120_000);
  let w: ProjectWorld;
  let other: ProjectWorld;
  const api = {} as Record<Who, ApiClient>;

  before(async () => {
    w = await projectWorld();
    other = await projectWorld({ kind: 'church', idsFrom: 700_000 });
    for (const who of Object.keys(w.users) as Who[]) api[who] = await apiClient(w.tenant, w.users[who]);
  });

  describe('comments', () => {
    it('lists a task’s comments oldest first, paged with limit and cursor', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Paged comments');
      for (const body of ['one', 'two', 'three']) {
        const res = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body });
        expect(res.status, res.text).to.equal(201);
      }
      const first = await api.builder.get(`/api/v1/tasks/${task.id}/comments?limit=2`);
      expect(first.status).to.equal(200);
      expect(first.body.total).to.equal(3);
      expect(first.body.data.map((c: { body: string }) => c.body)).to.deep.equal(['one', 'two']);
      expect(first.body.data[0].author).to.deep.equal({ id: String(w.users.member.id), name: 'Mia Member' });
      expect(first.body.data[0].canEdit).to.equal(false);
      expect(first.headers.link).to.match(/rel="next"/);
      const second = await api.builder.get(
        `/api/v1/tasks/${task.id}/comments?limit=2&cursor=${first.body.nextCursor}`,
      );
      expect(second.body.data.map((c: { body: string }) => c.body)).to.deep.equal(['three']);
      expect(second.body.nextCursor).to.equal(null);
    });

    it('posts a comment: 201 with its location, audited, mentions stored and the people told', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Mentions');
      await inTenant(w.tenant, () =>
        Task.update({ assigneeId: w.users.viewer.id }, { where: { id: task.id } }),
      );
      const res = await api.member.post(`/api/v1/tasks/${task.id}/comments`, {
        body: 'Hello @bob, see @otto\r\nthanks',
      });
      expect(res.status, res.text).to.equal(201);
      expect(res.body.body).to.equal('Hello @bob, see @otto\nthanks');
      expect(res.body.mentions).to.deep.equal([{ id: String(w.users.builder.id), name: 'Bob Builder' }]);
      expect(res.body.canEdit).to.equal(true);
      expect(res.headers.location).to.equal(`/api/v1/tasks/${task.id}/comments/${res.body.id}`);

      const shown = await api.member.get(res.headers.location);
      expect(shown.status).to.equal(200);
      expect(shown.body.id).to.equal(res.body.id);

      const mentions = await inTenant(w.tenant, () =>
        CommentMention.findAll({ where: { commentId: res.body.id } }),
      );
      expect(mentions.map((m) => String(m.userId))).to.deep.equal([String(w.users.builder.id)]);
      const [entry] = await auditOf(w, 'comment.created', res.body.id);
      expect(entry?.actorName).to.equal('Mia Member');
      expect(String(entry?.projectId)).to.equal(String(w.project.id));

      const told = (await noticesOf(w, w.users.builder.id)).filter(
        (n) => n.dedupeKey === `comment:${res.body.id}`,
      );
      expect(told.map((n) => n.kind)).to.deep.equal(['task.mentioned']);
      const assignee = (await noticesOf(w, w.users.viewer.id)).filter(
        (n) => n.dedupeKey === `comment:${res.body.id}`,
      );
      expect(assignee.map((n) => n.kind)).to.deep.equal(['task.commented']);
      expect(await noticesOf(w, w.users.outsider.id)).to.have.length(0);
    });

    it('refuses an empty or control-character body with a field map, and unknown fields, saving nothing', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Bad comments');
      const empty = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: '   ' });
      expect(empty.status).to.equal(422);
      expect(empty.body.fields).to.have.property('body');
      const nul = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: 'a\u0000b' });
      expect(nul.status).to.equal(422);
      expect(nul.body.fields).to.have.property('body');
      const extra = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: 'ok', authorId: '1' });
      expect(extra.status).to.equal(422);
      expect(extra.body.fields).to.have.keys(['authorId']);
      expect(await inTenant(w.tenant, () => TaskComment.count({ where: { taskId: task.id } }))).to.equal(0);
    });

    it('makes one comment of two posts with one Idempotency-Key', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Retried comment');
      const key = { 'Idempotency-Key': `comment-${task.id}` };
      const a = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: 'once' }, key);
      const b = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: 'once' }, key);
      expect(a.status).to.equal(201);
      expect(b.status).to.equal(201);
      expect(b.body.id).to.equal(a.body.id);
      expect(b.headers['idempotent-replayed']).to.equal('true');
      expect(await inTenant(w.tenant, () => TaskComment.count({ where: { taskId: task.id } }))).to.equal(1);
    });

    it('lets a viewer read (403 to post), and answers 404 outside the project and for another tenant', async () => {
      expect((await api.viewer.get(`/api/v1/tasks/${w.task.id}/comments`)).status).to.equal(200);
      const viewer = await api.viewer.post(`/api/v1/tasks/${w.task.id}/comments`, { body: 'hi' });
      expect(viewer.status).to.equal(403);
      expect((await api.viewer.post(`/api/v1/tasks/${w.task.id}/comments`, { body: '' })).status).to.equal(
        403,
      );
      expect((await api.outsider.get(`/api/v1/tasks/${w.task.id}/comments`)).status).to.equal(404);
      expect(
        (await api.outsider.post(`/api/v1/tasks/${w.task.id}/comments`, { body: 'hi' })).status,
      ).to.equal(404);
      // Another tenant's task id, even for this tenant's super admin.
      expect((await api.admin.get(`/api/v1/tasks/${other.task.id}/comments`)).status).to.equal(404);
      expect(
        (await api.admin.post(`/api/v1/tasks/${other.task.id}/comments`, { body: 'x' })).status,
      ).to.equal(404);
      expect(await inTenant(other.tenant, () => TaskComment.count())).to.equal(0);
    });

    it('changes its author’s comment with PATCH, tells the newly mentioned, and refuses a stale If-Match', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Edits');
      const posted = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: 'first words' });
      const path = `/api/v1/tasks/${task.id}/comments/${posted.body.id}`;
      const read = await api.member.get(path);
      const etag = read.headers.etag;
      const changed = await api.member.patch(path, { body: 'now with @bob' }, { 'If-Match': etag });
      expect(changed.status, changed.text).to.equal(200);
      expect(changed.body.body).to.equal('now with @bob');
      expect(changed.body.editedAt).to.be.a('string');
      expect(changed.body.mentions.map((m: { id: string }) => m.id)).to.deep.equal([
        String(w.users.builder.id),
      ]);
      const told = (await noticesOf(w, w.users.builder.id)).filter(
        (n) => n.dedupeKey === `comment:${posted.body.id}`,
      );
      expect(told).to.have.length(1);
      const [entry] = await auditOf(w, 'comment.updated', posted.body.id);
      expect(entry?.changes.body).to.deep.equal({ from: 'first words', to: 'now with @bob' });

      const stale = await api.member.patch(path, { body: 'lost update' }, { 'If-Match': etag });
      expect(stale.status).to.equal(412);
      const empty = await api.member.patch(path, {});
      expect(empty.status).to.equal(200);
      expect(empty.body.body).to.equal('now with @bob');
      const bad = await api.member.patch(path, { body: '' });
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.property('body');
      const saved = await inTenant(w.tenant, () => TaskComment.findByPk(posted.body.id));
      expect(saved?.body).to.equal('now with @bob');
    });

    it('refuses a change by someone else (403), after the 15 minutes (403), and by a viewer (403)', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Edit rules');
      const posted = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: 'mine' });
      const path = `/api/v1/tasks/${task.id}/comments/${posted.body.id}`;
      expect((await api.builder.patch(path, { body: 'theirs' })).status).to.equal(403);
      expect((await api.manager.patch(path, { body: 'theirs' })).status).to.equal(403);
      expect((await api.viewer.patch(path, { body: 'theirs' })).status).to.equal(403);
      // As on the page, who may change it is settled before the body is read.
      expect((await api.builder.patch(path, { body: '', colour: 'red' })).status).to.equal(403);
      expect((await api.outsider.patch(path, { body: 'theirs' })).status).to.equal(404);
      await age(w, posted.body.id, 16);
      const late = await api.member.patch(path, { body: 'too late' });
      expect(late.status).to.equal(403);
      expect(late.body.detail).to.match(/first 15 minutes/);
      const saved = await inTenant(w.tenant, () => TaskComment.findByPk(posted.body.id));
      expect(saved?.body).to.equal('mine');
    });

    it('deletes a comment: its author within the window, a project manager any time, others 403', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Deletes');
      const a = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: 'to delete' });
      const b = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: 'old one' });
      const pathA = `/api/v1/tasks/${task.id}/comments/${a.body.id}`;
      const pathB = `/api/v1/tasks/${task.id}/comments/${b.body.id}`;
      expect((await api.builder.delete(pathA)).status).to.equal(403);
      const stale = await api.member.delete(pathA, { 'If-Match': 'W/"stale"' });
      expect(stale.status).to.equal(412);
      expect((await api.member.delete(pathA)).status).to.equal(204);
      expect(await inTenant(w.tenant, () => TaskComment.findByPk(a.body.id))).to.equal(null);
      const [entry] = await auditOf(w, 'comment.deleted', a.body.id);
      expect(entry?.changes.body).to.deep.equal({ from: 'to delete', to: null });
      expect((await api.member.get(pathA)).status).to.equal(404);

      await age(w, b.body.id, 30);
      expect((await api.member.delete(pathB)).status).to.equal(403);
      expect((await api.manager.delete(pathB)).status).to.equal(204);
      expect(await inTenant(w.tenant, () => TaskComment.findByPk(b.body.id))).to.equal(null);
    });

    it('answers 404 for a comment of another task and for ids that cannot exist', async () => {
      const posted = await api.member.post(`/api/v1/tasks/${w.task.id}/comments`, { body: 'here' });
      expect(
        (await api.member.get(`/api/v1/tasks/${w.otherTask.id}/comments/${posted.body.id}`)).status,
      ).to.equal(404);
      expect(
        (await api.member.delete(`/api/v1/tasks/${w.otherTask.id}/comments/${posted.body.id}`)).status,
      ).to.equal(404);
      expect((await api.member.get(`/api/v1/tasks/${w.task.id}/comments/abc`)).status).to.equal(404);
      expect((await api.member.get(`/api/v1/tasks/99999999999999999999/comments`)).status).to.equal(404);
    });

    it('lists who can be mentioned on a task with the handle of each, and 404 outside the project', async () => {
      const res = await api.viewer.get(`/api/v1/tasks/${w.task.id}/mentionable`);
      expect(res.status).to.equal(200);
      const handles = Object.fromEntries(
        res.body.data.map((p: { name: string; handle: string }) => [p.name, p.handle]),
      );
      expect(handles).to.deep.equal({ 'Bob Builder': 'bob', 'Mia Member': 'mia', 'Vic Viewer': 'vic' });
      expect((await api.outsider.get(`/api/v1/tasks/${w.task.id}/mentionable`)).status).to.equal(404);
    });

    it('refuses writes with a read-only token', async () => {
      const reader = await patClient(w.tenant, w.users.member, 'read');
      expect((await reader.get(`/api/v1/tasks/${w.task.id}/comments`)).status).to.equal(200);
      expect((await reader.post(`/api/v1/tasks/${w.task.id}/comments`, { body: 'no' })).status).to.equal(403);
    });
  });

  describe('attachments', () => {
    it('uploads a file: 201, stored under the tenant, audited, listed, shown and downloadable', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Files');
      const res = await upload(api.member, task.id, 'roof plan.png', PNG, 'image/png');
      expect(res.status, res.text).to.equal(201);
      expect(res.body).to.include({
        fileName: 'roof plan.png',
        contentType: 'image/png',
        sizeBytes: PNG.length,
      });
      expect(res.body.uploadedBy).to.deep.equal({ id: String(w.users.member.id), name: 'Mia Member' });
      expect(res.headers.location).to.equal(`/api/v1/tasks/${task.id}/attachments/${res.body.id}`);
      const row = await inTenant(w.tenant, () => Attachment.findByPk(res.body.id));
      expect(row?.fileKey.startsWith(`${w.tenant.schemaName}/`)).to.equal(true);
      expect(existsSync(path.join(config.storageDir, row?.fileKey ?? 'x'))).to.equal(true);
      const [entry] = await auditOf(w, 'attachment.added', res.body.id);
      expect(entry?.changes.fileName).to.deep.equal({ from: null, to: 'roof plan.png' });

      const list = await api.viewer.get(`/api/v1/tasks/${task.id}/attachments`);
      expect(list.status).to.equal(200);
      expect(list.body.data.map((a: { id: string }) => a.id)).to.deep.equal([res.body.id]);
      expect(list.body.data[0].canDelete).to.equal(false);
      expect((await api.viewer.get(res.headers.location)).body.fileName).to.equal('roof plan.png');

      const file = await download(api.viewer, res.body.contentUrl);
      expect(file.status).to.equal(200);
      expect(file.headers['content-type']).to.equal('image/png');
      expect(file.headers['x-content-type-options']).to.equal('nosniff');
      expect(file.headers['cache-control']).to.equal('private, no-store');
      expect(Buffer.compare(file.body as Buffer, PNG)).to.equal(0);
    });

    it('lists attachments newest first with limit and cursor', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Many files');
      for (const name of ['a.pdf', 'b.pdf', 'c.pdf'])
        expect((await upload(api.member, task.id, name, PDF)).status).to.equal(201);
      const first = await api.member.get(`/api/v1/tasks/${task.id}/attachments?limit=2`);
      expect(first.body.total).to.equal(3);
      expect(first.body.data.map((a: { fileName: string }) => a.fileName)).to.deep.equal(['c.pdf', 'b.pdf']);
      const second = await api.member.get(
        `/api/v1/tasks/${task.id}/attachments?limit=2&cursor=${first.body.nextCursor}`,
      );
      expect(second.body.data.map((a: { fileName: string }) => a.fileName)).to.deep.equal(['a.pdf']);
      expect(second.body.nextCursor).to.equal(null);
    });

    it('refuses with 422 and a field message a missing file, a forbidden type and content that lies', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Refused files');
      const none = await api.member.raw('post', `/api/v1/tasks/${task.id}/attachments`).field('x', 'y');
      expect(none.status).to.equal(422);
      const nothing = await api.member
        .raw('post', `/api/v1/tasks/${task.id}/attachments`)
        .attach('other', PNG, { filename: 'a.png', contentType: 'image/png' });
      expect(nothing.status).to.equal(422);
      expect(nothing.body.fields).to.have.property('file');
      const exe = await upload(api.member, task.id, 'tool.exe', Buffer.from('MZ....'));
      expect(exe.status).to.equal(422);
      expect(exe.body.fields.file).to.match(/cannot be attached/);
      const liar = await upload(api.member, task.id, 'photo.png', Buffer.from('not a png at all'));
      expect(liar.status).to.equal(422);
      expect(liar.body.fields.file).to.match(/not a PNG file/);
      const declared = await upload(api.member, task.id, 'photo.png', PNG, 'application/pdf');
      expect(declared.status).to.equal(422);
      const json = await api.member.post(`/api/v1/tasks/${task.id}/attachments`, { file: 'abc' });
      expect(json.status).to.equal(415);
      expect(await inTenant(w.tenant, () => Attachment.count({ where: { taskId: task.id } }))).to.equal(0);
    });

    it('refuses a file over the size limit with 413, storing nothing', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Big file');
      const big = Buffer.concat([PDF, Buffer.alloc(UPLOAD_MAX_BYTES + 1 - PDF.length, 0x20)]);
      const res = await upload(api.member, task.id, 'big.pdf', big, 'application/pdf');
      expect(res.status).to.equal(413);
      expect(res.headers['content-type']).to.match(/application\/problem\+json/);
      expect(await inTenant(w.tenant, () => Attachment.count({ where: { taskId: task.id } }))).to.equal(0);
    });

    it('answers 403 to a viewer’s upload and 404 outside the project, without storing anything', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Guarded files');
      expect((await upload(api.viewer, task.id, 'a.png', PNG)).status).to.equal(403);
      expect((await upload(api.outsider, task.id, 'a.png', PNG)).status).to.equal(404);
      expect((await upload(api.admin, other.task.id, 'a.png', PNG)).status).to.equal(404);
      expect(await inTenant(w.tenant, () => Attachment.count({ where: { taskId: task.id } }))).to.equal(0);
      expect(await inTenant(other.tenant, () => Attachment.count())).to.equal(0);
    });

    it('downloads only inside the project scope: 404 to an outsider, another task or another tenant', async () => {
      const res = await upload(api.member, w.task.id, 'scope.pdf', PDF, 'application/pdf');
      expect(res.status).to.equal(201);
      const content = `/api/v1/tasks/${w.task.id}/attachments/${res.body.id}/content`;
      const inline = await download(api.member, content);
      expect(inline.status).to.equal(200);
      expect(inline.headers['content-type']).to.equal('application/pdf');
      expect((await api.outsider.get(content)).status).to.equal(404);
      expect(
        (await api.outsider.get(`/api/v1/tasks/${w.task.id}/attachments/${res.body.id}`)).status,
      ).to.equal(404);
      expect((await api.outsider.get(`/api/v1/tasks/${w.task.id}/attachments`)).status).to.equal(404);
      expect(
        (await api.member.get(`/api/v1/tasks/${w.otherTask.id}/attachments/${res.body.id}/content`)).status,
      ).to.equal(404);
      const foreign = await apiClient(other.tenant, other.users.admin);
      expect(
        (await foreign.get(`/api/v1/tasks/${w.task.id}/attachments/${res.body.id}/content`)).status,
      ).to.equal(404);
    });

    it('removes a file: its uploader or a project manager; another member 403; the file leaves the store', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Removals');
      const a = await upload(api.member, task.id, 'a.pdf', PDF);
      const b = await upload(api.member, task.id, 'b.pdf', PDF);
      const keyA = (await inTenant(w.tenant, () => Attachment.findByPk(a.body.id)))?.fileKey ?? '';
      const pathA = `/api/v1/tasks/${task.id}/attachments/${a.body.id}`;
      expect((await api.builder.delete(pathA)).status).to.equal(403);
      expect((await api.viewer.delete(pathA)).status).to.equal(403);
      expect((await api.member.delete(pathA, { 'If-Match': 'W/"old"' })).status).to.equal(412);
      expect(existsSync(path.join(config.storageDir, keyA))).to.equal(true);
      expect((await api.member.delete(pathA)).status).to.equal(204);
      expect(await inTenant(w.tenant, () => Attachment.findByPk(a.body.id))).to.equal(null);
      expect(existsSync(path.join(config.storageDir, keyA))).to.equal(false);
      const [entry] = await auditOf(w, 'attachment.removed', a.body.id);
      expect(entry?.changes.fileName).to.deep.equal({ from: 'a.pdf', to: null });
      expect((await api.manager.delete(`/api/v1/tasks/${task.id}/attachments/${b.body.id}`)).status).to.equal(
        204,
      );
    });
  });

  describe('activity', () => {
    it('shows a member only the entries of their projects, and the super admin everything, paged', async () => {
      const mine = await api.member.get('/api/v1/activity?limit=100');
      expect(mine.status).to.equal(200);
      expect(mine.body.data.length).to.be.greaterThan(0);
      const projectIds = await inTenant(w.tenant, async () =>
        (await AuditLog.findAll({ where: { id: mine.body.data.map((i: { id: string }) => i.id) } })).map(
          (e) => String(e.projectId),
        ),
      );
      expect([...new Set(projectIds)]).to.deep.equal([String(w.project.id)]);
      expect(mine.body.data[0].text).to.be.a('string');

      // A change outside the projects (an audited user change) is only in the audit reader's feed.
      await inTenant(w.tenant, () =>
        AuditLog.create({
          actorId: null,
          actorName: 'system',
          action: 'member.updated',
          recordType: 'member',
          recordId: '1',
          recordLabel: 'Somebody',
          changes: {},
          ip: null,
          projectId: null,
        }),
      );
      const all = await api.admin.get('/api/v1/activity?limit=1');
      expect(all.body.data[0].action).to.equal('member.updated');
      expect(all.body.data[0].text).to.equal('Steward updated the member *Somebody*');
      expect(all.body.total).to.be.greaterThan(mine.body.total);
      const next = await api.admin.get(`/api/v1/activity?limit=1&cursor=${all.body.nextCursor}`);
      expect(next.body.data[0].id).to.not.equal(all.body.data[0].id);
      const outsider = await api.outsider.get('/api/v1/activity');
      expect(outsider.body.total).to.equal(0);
    });

    it('gives a project’s feed and a task’s feed (with its comments) to those who see them, 404 to others', async () => {
      const task = await createTask(w.tenant, w.project.id, 'Feed task');
      const posted = await api.member.post(`/api/v1/tasks/${task.id}/comments`, { body: 'for the feed' });
      const feed = await api.viewer.get(`/api/v1/tasks/${task.id}/activity`);
      expect(feed.status).to.equal(200);
      expect(feed.body.data.map((i: { action: string }) => i.action)).to.deep.equal(['comment.created']);
      expect(feed.body.data[0].href).to.equal(`/tasks/${task.id}#comment-${posted.body.id}`);
      expect(feed.body.data[0].text).to.equal('Mia Member commented on *Feed task*');
      const project = await api.viewer.get(`/api/v1/projects/${w.project.id}/activity?limit=1`);
      expect(project.status).to.equal(200);
      expect(project.body.data[0].action).to.equal('comment.created');
      expect((await api.outsider.get(`/api/v1/tasks/${task.id}/activity`)).status).to.equal(404);
      expect((await api.outsider.get(`/api/v1/projects/${w.project.id}/activity`)).status).to.equal(404);
      expect((await api.admin.get(`/api/v1/projects/${other.project.id}/activity`)).status).to.equal(404);
    });
  });

  describe('dashboards', () => {
    it('gives each block of the home dashboard only to the levels the page shows it to', async () => {
      const admin = await api.admin.get('/api/v1/dashboard');
      expect(admin.status).to.equal(200);
      expect(admin.body.people).to.be.an('object');
      expect(admin.body.attendance).to.have.length(8);
      expect(admin.body.giving).to.be.an('object');
      expect(admin.body.giving.thisMonth.amountCents).to.equal(0);
      const member = await api.member.get('/api/v1/dashboard');
      expect(member.status).to.equal(200);
      expect(member.body.people).to.equal(null);
      expect(member.body.attendance).to.equal(null);
      expect(member.body.giving).to.equal(null);
      expect(member.body.work.projects).to.equal(1);
      expect((await api.outsider.get('/api/v1/dashboard')).body.work.projects).to.equal(0);
    });

    it('gives the work figures the page computes, cached per scope and made stale by a change', async () => {
      const t = await memberWorld();
      const before = await t.api.get('/api/v1/work/dashboard');
      expect(before.status).to.equal(200);
      const figures = await inTenant(t.tenant, () => workDashboardFor(t.user));
      expect(before.body.figures.openTasks).to.equal(figures.openTasks);
      expect(before.body.figures.computedAt).to.equal(figures.computedAt);
      await createTask(t.tenant, t.project.id, 'One more');
      const after = await t.api.get('/api/v1/work/dashboard');
      expect(after.body.figures.openTasks).to.equal(before.body.figures.openTasks + 1);
      expect(after.body.recent).to.be.an('array');
    });

    async function memberWorld(): Promise<{ tenant: Tenant; user: User; api: ApiClient; project: Project }> {
      const world = await projectWorld();
      const project = await inTenant(world.tenant, () =>
        Project.findByPk(world.project.id, { rejectOnEmpty: true }),
      );
      return {
        tenant: world.tenant,
        user: world.users.member,
        api: await apiClient(world.tenant, world.users.member),
        project,
      };
    }
  });

  describe('notifications', () => {
    let user: User;
    let mine: ApiClient;
    const ids: string[] = [];

    before(async () => {
      user = await createUser(w.tenant, { name: 'Nora Notified' });
      mine = await apiClient(w.tenant, user);
      for (const title of ['First', 'Second', 'Third']) {
        const n = await inTenant(w.tenant, () =>
          notify({ userId: user.id, kind: 'task.assigned', title, url: '/tasks/1' }),
        );
        ids.push(String(n?.id));
      }
    });

    it('lists only the caller’s own, newest first, with an unread filter and paging', async () => {
      const page = await mine.get('/api/v1/notifications?limit=2');
      expect(page.status).to.equal(200);
      expect(page.body.total).to.equal(3);
      expect(page.body.data.map((n: { title: string }) => n.title)).to.deep.equal(['Third', 'Second']);
      const rest = await mine.get(`/api/v1/notifications?limit=2&cursor=${page.body.nextCursor}`);
      expect(rest.body.data.map((n: { title: string }) => n.title)).to.deep.equal(['First']);
      expect(
        (await api.outsider.get('/api/v1/notifications')).body.data.map((n: { id: string }) => n.id),
      ).to.not.include(ids[0]);
      const bad = await mine.get('/api/v1/notifications?unread=maybe');
      expect(bad.status).to.equal(422);
      expect(bad.body.fields).to.have.property('unread');
    });

    it('marks one read (404 for someone else’s), counts the unread, and marks all read', async () => {
      expect((await mine.get('/api/v1/notifications/unread-count')).body).to.deep.equal({ count: 3 });
      expect((await api.member.post(`/api/v1/notifications/${ids[0]}/read`)).status).to.equal(404);
      const read = await mine.post(`/api/v1/notifications/${ids[0]}/read`);
      expect(read.status).to.equal(200);
      expect(read.body).to.include({ id: ids[0], read: true });
      expect((await mine.post(`/api/v1/notifications/${ids[0]}/read`)).body.readAt).to.equal(
        read.body.readAt,
      );
      expect((await mine.get('/api/v1/notifications/unread-count')).body.count).to.equal(2);
      const unread = await mine.get('/api/v1/notifications?unread=true');
      expect(unread.body.data.map((n: { title: string }) => n.title)).to.deep.equal(['Third', 'Second']);
      expect((await mine.post('/api/v1/notifications/read-all')).body).to.deep.equal({ marked: 2 });
      expect((await mine.post('/api/v1/notifications/read-all')).body).to.deep.equal({ marked: 0 });
      expect((await mine.get('/api/v1/notifications/unread-count')).body.count).to.equal(0);
      const rows = await inTenant(w.tenant, () => Notification.findAll({ where: { userId: user.id } }));
      expect(rows.every((n) => n.readAt !== null)).to.equal(true);
    });
  });

  describe('billing', () => {
    let tenant: Tenant;
    let owner: ApiClient;

    before(async () => {
      tenant = await payingTenant('basic', 1000, { kind: 'church' });
      owner = await apiClient(tenant, await createUser(tenant, { level: 0 }));
      for (const cents of ['100', '200', '300'])
        await topUp(String(tenant.id), { amountCents: cents, note: `Transfer ${cents}` }, null);
    });

    it('gives billing.view the balance, plan, status and trial', async () => {
      const res = await owner.get('/api/v1/billing');
      expect(res.status).to.equal(200);
      expect(res.body).to.include({
        status: 'active',
        planCode: 'basic',
        creditCents: 1600,
        currency: 'USD',
      });
      expect(res.body.plan.code).to.equal('basic');
      expect(res.body.onTrial).to.equal(false);
      expect(res.body.daysLeft).to.be.a('number');
    });

    it('pages the ledger newest first and shows usage against the plan', async () => {
      const first = await owner.get('/api/v1/billing/ledger?limit=2');
      expect(first.status).to.equal(200);
      expect(first.body.total).to.equal(3);
      expect(first.body.data.map((e: { amountCents: number }) => e.amountCents)).to.deep.equal([300, 200]);
      expect(first.body.data[0]).to.include({
        kind: 'top_up',
        balanceAfterCents: 1600,
        note: 'Transfer 300',
      });
      const rest = await owner.get(`/api/v1/billing/ledger?limit=2&cursor=${first.body.nextCursor}`);
      expect(rest.body.data.map((e: { amountCents: number }) => e.amountCents)).to.deep.equal([100]);
      const usage = await owner.get('/api/v1/billing/usage');
      expect(usage.status).to.equal(200);
      expect(usage.body.meters.map((m: { key: string }) => m.key)).to.deep.equal([
        'projects',
        'tasks',
        'members',
      ]);
      expect(usage.body.meters[0]).to.include({ used: 0 });
    });

    it('refuses the levels the billing page refuses with 403', async () => {
      const finance = await apiClient(tenant, await createUser(tenant, { level: 1 }));
      for (const p of ['/api/v1/billing', '/api/v1/billing/ledger', '/api/v1/billing/usage'])
        expect((await finance.get(p)).status).to.equal(403);
      expect((await api.manager.get('/api/v1/billing')).status).to.equal(403);
    });
  });
});
