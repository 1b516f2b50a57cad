import { expect } from 'chai';
import type supertest from 'supertest';
import { AuditLog, CommentMention, TaskComment } from '../../app/models/index.ts';
import { createTask, inTenant, type ProjectWorld, projectWorld, tokenFor } from '../support/collaboration.ts';
import { http } from '../support/factories.ts';

/** Posts a form with the agent's CSRF token. */
async function post(
  w: ProjectWorld,
  agent: supertest.Agent,
  path: string,
  body: Record<string, string> = {},
): Promise<supertest.Response> {
  const _csrf = await tokenFor(agent, w.host);
  return agent
    .post(path)
    .set('Host', w.host)
    .type('form')
    .send({ ...body, _csrf });
}

function comment(w: ProjectWorld, id: string) {
  return inTenant(w.tenant, () => TaskComment.findByPk(id));
}

function commentsOf(w: ProjectWorld, taskId: string) {
  return inTenant(w.tenant, () => TaskComment.findAll({ where: { taskId }, order: [['id', 'ASC']] }));
}

function addComment(w: ProjectWorld, taskId: string, authorId: string, body: string) {
  return inTenant(w.tenant, () => TaskComment.create({ taskId, authorId, body, editedAt: null }));
}

/** Moves a comment's posting time `minutes` into the past. */
async function age(w: ProjectWorld, id: string, minutes: number): Promise<void> {
  await inTenant(w.tenant, async () => {
    await TaskComment.sequelize?.query(
      `UPDATE task_comments SET created_at = now() - make_interval(mins => :minutes) WHERE id = :id`,
      { replacements: { id, minutes } },
    );
  });
}

function mentionsOf(w: ProjectWorld, commentId: string): Promise<string[]> {
  return inTenant(w.tenant, async () =>
    (await CommentMention.findAll({ where: { commentId } })).map((m) => String(m.userId)).sort(),
  );
}

describe('comments on tasks', function () {
  this.timeout(120_000);
  let w: ProjectWorld;
  let other: ProjectWorld;

  before(async () => {
    w = await projectWorld();
    other = await projectWorld({ kind: 'church', idsFrom: 500_000 });
  });

  describe('posting', () => {
    it('lets a project member post a comment, shown escaped with its line breaks, and audited', async () => {
      const body = 'Tiles <script>alert(1)</script> & "nails"\nSecond line';
      const res = await post(w, w.as.member, `/tasks/${w.task.id}/comments`, { body });
      expect(res.status).to.equal(302);
      const rows = await commentsOf(w, w.task.id);
      const saved = rows.at(-1);
      expect(saved?.body).to.equal('Tiles <script>alert(1)</script> & "nails"\nSecond line');
      expect(String(saved?.authorId)).to.equal(String(w.users.member.id));
      expect(saved?.editedAt).to.equal(null);
      expect(res.headers.location).to.equal(`/tasks/${w.task.id}#comment-${saved?.id}`);

      const page = await w.as.member.get(`/tasks/${w.task.id}/comments`).set('Host', w.host);
      expect(page.status).to.equal(200);
      expect(page.text).to.include(
        'Tiles &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;nails&#34;<br>Second line',
      );
      expect(page.text).not.to.include('<script>alert(1)');
      expect(page.text).to.include('Order &lt;tiles&gt; &amp; nails');

      const entry = await inTenant(w.tenant, () =>
        AuditLog.findOne({ where: { action: 'comment.created', recordId: String(saved?.id) } }),
      );
      expect(String(entry?.projectId)).to.equal(String(w.project.id));
      expect(entry?.recordLabel).to.equal('Order <tiles> & nails');
      expect(entry?.changes.body).to.deep.equal({ from: null, to: saved?.body });
      expect(entry?.actorName).to.equal('Mia Member');
    });

    it('sends the person back to the comments page when the form came from it, and never off the site', async () => {
      const back = `/tasks/${w.task.id}/comments`;
      const res = await post(w, w.as.builder, back, { body: 'From the list', back });
      expect(res.headers.location).to.match(new RegExp(`^${back}#comment-\\d+$`));
      const evil = await post(w, w.as.builder, back, { body: 'Elsewhere', back: 'https://evil.example/' });
      expect(evil.headers.location).to.match(new RegExp(`^/tasks/${w.task.id}#comment-\\d+$`));
    });

    it('answers 422 with the form kept for an empty or too long comment, and saves nothing', async () => {
      const before = (await commentsOf(w, w.task.id)).length;
      const empty = await post(w, w.as.member, `/tasks/${w.task.id}/comments`, { body: '   \n ' });
      expect(empty.status).to.equal(422);
      expect(empty.text).to.include('Comment is required');
      const long = 'x'.repeat(5001);
      const tooLong = await post(w, w.as.member, `/tasks/${w.task.id}/comments`, { body: long });
      expect(tooLong.status).to.equal(422);
      expect(tooLong.text).to.include('Comment must be at most 5000 characters');
      expect(tooLong.text).to.include(long);
      const missing = await post(w, w.as.member, `/tasks/${w.task.id}/comments`, {});
      expect(missing.status).to.equal(422);
      expect((await commentsOf(w, w.task.id)).length).to.equal(before);
      const exact = await post(w, w.as.member, `/tasks/${w.task.id}/comments`, { body: 'y'.repeat(5000) });
      expect(exact.status).to.equal(302);
    });

    it('lets a projects.manage user who is not a member comment', async () => {
      const res = await post(w, w.as.manager, `/tasks/${w.task.id}/comments`, { body: 'Manager here' });
      expect(res.status).to.equal(302);
      expect((await commentsOf(w, w.task.id)).map((c) => c.body)).to.include('Manager here');
    });
  });

  describe('on the task page', () => {
    it('shows the comments with their form and the attachments with the upload form', async () => {
      await addComment(w, w.task.id, w.users.builder.id, 'Seen on the task page @mia');
      const page = await w.as.member.get(`/tasks/${w.task.id}`).set('Host', w.host);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('id="comments"');
      expect(page.text).to.include('Seen on the task page @mia');
      expect(page.text).to.include(`action="/tasks/${w.task.id}/comments"`);
      expect(page.text).to.include(`name="back" value="/tasks/${w.task.id}"`);
      expect(page.text).to.include('id="attachments"');
      expect(page.text).to.match(
        new RegExp(`action="/tasks/${w.task.id}/attachments\\?_csrf=[^"]+" enctype="multipart/form-data"`),
      );
      const viewer = await w.as.viewer.get(`/tasks/${w.task.id}`).set('Host', w.host);
      expect(viewer.status).to.equal(200);
      expect(viewer.text).to.include('Seen on the task page');
      expect(viewer.text).not.to.include(`action="/tasks/${w.task.id}/comments"`);
    });
  });

  describe('access', () => {
    let mine: TaskComment;

    before(async () => {
      mine = await addComment(w, w.task.id, w.users.member.id, 'Original');
    });

    it('shows a viewer the comments without the form, and answers 403 to every change', async () => {
      const page = await w.as.viewer.get(`/tasks/${w.task.id}/comments`).set('Host', w.host);
      expect(page.status).to.equal(200);
      expect(page.text).to.include('Original');
      expect(page.text).to.include("can read this project's comments but not add to them");
      expect(page.text).not.to.include('name="body"');
      const count = (await commentsOf(w, w.task.id)).length;
      for (const path of [
        `/tasks/${w.task.id}/comments`,
        `/tasks/${w.task.id}/comments/${mine.id}`,
        `/tasks/${w.task.id}/comments/${mine.id}/delete`,
      ]) {
        const res = await post(w, w.as.viewer, path, { body: 'Viewer was here' });
        expect(res.status, path).to.equal(403);
      }
      expect((await commentsOf(w, w.task.id)).length).to.equal(count);
      expect((await comment(w, mine.id))?.body).to.equal('Original');
    });

    it('answers 404 to a person outside the project on every comment route', async () => {
      const get = await w.as.outsider.get(`/tasks/${w.task.id}/comments`).set('Host', w.host);
      expect(get.status).to.equal(404);
      expect(get.text).not.to.include('Original');
      for (const path of [
        `/tasks/${w.task.id}/comments`,
        `/tasks/${w.task.id}/comments/${mine.id}`,
        `/tasks/${w.task.id}/comments/${mine.id}/delete`,
      ]) {
        const res = await post(w, w.as.outsider, path, { body: 'Outsider was here' });
        expect(res.status, path).to.equal(404);
      }
      expect((await comment(w, mine.id))?.body).to.equal('Original');
    });

    it("answers 404 for another tenant's task and comment, even to a super admin", async () => {
      const theirs = await addComment(other, other.task.id, other.users.member.id, 'Their secret');
      const admin = w.as.admin;
      const get = await admin.get(`/tasks/${other.task.id}/comments`).set('Host', w.host);
      expect(get.status).to.equal(404);
      expect(get.text).not.to.include('Their secret');
      for (const path of [
        `/tasks/${other.task.id}/comments`,
        `/tasks/${other.task.id}/comments/${theirs.id}`,
        `/tasks/${w.task.id}/comments/${theirs.id}`,
        `/tasks/${w.task.id}/comments/${theirs.id}/delete`,
      ]) {
        const res = await post(w, admin, path, { body: 'Crossing over' });
        expect(res.status, path).to.equal(404);
      }
      expect((await comment(other, theirs.id))?.body).to.equal('Their secret');
      expect(
        await inTenant(w.tenant, () => TaskComment.count({ where: { body: 'Crossing over' } })),
      ).to.equal(0);
      // The same task id on the other tenant's own host shows that tenant's comment, not ours.
      const own = await other.as.member.get(`/tasks/${other.task.id}/comments`).set('Host', other.host);
      expect(own.status).to.equal(200);
      expect(own.text).to.include('Their secret');
    });

    it('answers 404 for the comment id of another task, and for ids that cannot exist', async () => {
      const elsewhere = await addComment(w, w.otherTask.id, w.users.member.id, 'On the crane');
      for (const path of [
        `/tasks/${w.task.id}/comments/${elsewhere.id}`,
        `/tasks/${w.task.id}/comments/${elsewhere.id}/delete`,
        `/tasks/${w.task.id}/comments/abc`,
        `/tasks/${w.task.id}/comments/99999999999999999999/delete`,
        '/tasks/abc/comments',
        '/tasks/99999999999999999999/comments',
      ]) {
        const res = await post(w, w.as.member, path, { body: 'Wrong place' });
        expect(res.status, path).to.equal(404);
      }
      for (const path of [
        '/tasks/abc/comments',
        '/tasks/0/comments',
        '/tasks/99999999999999999999/comments',
      ]) {
        expect((await w.as.member.get(path).set('Host', w.host)).status, path).to.equal(404);
      }
      expect((await comment(w, elsewhere.id))?.body).to.equal('On the crane');
    });

    it('sends an anonymous visitor to sign in', async () => {
      const res = await http().get(`/tasks/${w.task.id}/comments`).set('Host', w.host);
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.match(/^\/login\?next=/);
    });
  });

  describe('editing and deleting', () => {
    it('lets the author change a comment in its first 15 minutes, marking it edited', async () => {
      const c = await addComment(w, w.task.id, w.users.member.id, 'Firts draft');
      const res = await post(w, w.as.member, `/tasks/${w.task.id}/comments/${c.id}`, { body: 'First draft' });
      expect(res.status).to.equal(302);
      const saved = await comment(w, c.id);
      expect(saved?.body).to.equal('First draft');
      expect(saved?.editedAt).to.be.instanceOf(Date);
      const entry = await inTenant(w.tenant, () =>
        AuditLog.findOne({ where: { action: 'comment.updated', recordId: String(c.id) } }),
      );
      expect(entry?.changes.body).to.deep.equal({ from: 'Firts draft', to: 'First draft' });
      expect(String(entry?.projectId)).to.equal(String(w.project.id));
      const page = await w.as.member.get(`/tasks/${w.task.id}/comments`).set('Host', w.host);
      expect(page.text).to.match(/First draft<\/div>/);
      expect(page.text).to.include('edited</span>');
    });

    it('answers 422 with the edit form open for an empty change, keeping the comment', async () => {
      const c = await addComment(w, w.task.id, w.users.member.id, 'Keep me');
      const res = await post(w, w.as.member, `/tasks/${w.task.id}/comments/${c.id}`, { body: '' });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('Comment is required');
      expect(res.text).to.match(/<details class="mt-2" open>/);
      expect((await comment(w, c.id))?.body).to.equal('Keep me');
    });

    it('refuses with 403 and a message to change a comment after 15 minutes', async () => {
      const c = await addComment(w, w.task.id, w.users.member.id, 'Old words');
      await age(w, c.id, 16);
      const res = await post(w, w.as.member, `/tasks/${w.task.id}/comments/${c.id}`, { body: 'New words' });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('only be changed in the first 15 minutes');
      const saved = await comment(w, c.id);
      expect(saved?.body).to.equal('Old words');
      expect(saved?.editedAt).to.equal(null);
      const page = await w.as.member.get(`/tasks/${w.task.id}/comments`).set('Host', w.host);
      expect(page.text).not.to.include(`action="/tasks/${w.task.id}/comments/${c.id}"`);
    });

    it("refuses with 403 to change or delete another member's comment", async () => {
      const c = await addComment(w, w.task.id, w.users.member.id, 'Mia wrote this');
      const edit = await post(w, w.as.builder, `/tasks/${w.task.id}/comments/${c.id}`, {
        body: 'Bob rewrote',
      });
      expect(edit.status).to.equal(403);
      expect(edit.text).to.include('Only the author of a comment can change it');
      const del = await post(w, w.as.builder, `/tasks/${w.task.id}/comments/${c.id}/delete`);
      expect(del.status).to.equal(403);
      expect((await comment(w, c.id))?.body).to.equal('Mia wrote this');
    });

    it('lets the author delete a comment in its first 15 minutes, not later', async () => {
      const fresh = await addComment(w, w.task.id, w.users.member.id, 'Oops');
      const res = await post(w, w.as.member, `/tasks/${w.task.id}/comments/${fresh.id}/delete`);
      expect(res.status).to.equal(302);
      expect(await comment(w, fresh.id)).to.equal(null);
      const entry = await inTenant(w.tenant, () =>
        AuditLog.findOne({ where: { action: 'comment.deleted', recordId: String(fresh.id) } }),
      );
      expect(entry?.changes.body).to.deep.equal({ from: 'Oops', to: null });
      expect(String(entry?.projectId)).to.equal(String(w.project.id));

      const old = await addComment(w, w.task.id, w.users.member.id, 'Too late to take back');
      await age(w, old.id, 20);
      const late = await post(w, w.as.member, `/tasks/${w.task.id}/comments/${old.id}/delete`);
      expect(late.status).to.equal(403);
      expect(late.text).to.include('only be deleted in the first 15 minutes');
      expect(await comment(w, old.id)).not.to.equal(null);
    });

    it('lets a projects.manage user delete any comment at any time', async () => {
      for (const who of ['manager', 'admin'] as const) {
        const old = await addComment(w, w.task.id, w.users.builder.id, `Moderated by ${who}`);
        await age(w, old.id, 60 * 24);
        const page = await w.as[who].get(`/tasks/${w.task.id}/comments`).set('Host', w.host);
        expect(page.text).to.include(`action="/tasks/${w.task.id}/comments/${old.id}/delete"`);
        expect(page.text).not.to.include(`action="/tasks/${w.task.id}/comments/${old.id}"`);
        const res = await post(w, w.as[who], `/tasks/${w.task.id}/comments/${old.id}/delete`);
        expect(res.status, who).to.equal(302);
        expect(await comment(w, old.id), who).to.equal(null);
      }
    });
  });

  describe('mentions', () => {
    it('stores mentions of project people only, and links them on the page', async () => {
      const body = 'Hey @bob and @Vic.Viewer: please check.\n@otto cannot see this, nor can ana@example.org';
      const res = await post(w, w.as.member, `/tasks/${w.task.id}/comments`, { body });
      expect(res.status).to.equal(302);
      const saved = (await commentsOf(w, w.task.id)).at(-1);
      expect(saved?.body).to.equal(body);
      expect(await mentionsOf(w, String(saved?.id))).to.deep.equal(
        [String(w.users.builder.id), String(w.users.viewer.id)].sort(),
      );
      const rows = await inTenant(w.tenant, () =>
        CommentMention.findAll({ where: { commentId: saved?.id } }),
      );
      // Each person named was told (a notification), and the mention records it.
      expect(rows.every((r) => r.notifiedAt instanceof Date)).to.equal(true);

      const page = await w.as.viewer.get(`/tasks/${w.task.id}/comments`).set('Host', w.host);
      expect(page.text).to.include(
        `Hey <a class="mention fw-semibold text-decoration-none" href="/tasks?assignee=${w.users.builder.id}" title="Bob Builder">@bob</a> and `,
      );
      expect(page.text).to.include(
        `href="/tasks?assignee=${w.users.viewer.id}" title="Vic Viewer">@Vic.Viewer</a>: please check.<br>@otto cannot see this`,
      );
      expect(page.text).not.to.include(`assignee=${w.users.outsider.id}`);
    });

    it('replaces the mention set when the comment is edited', async () => {
      const res = await post(w, w.as.member, `/tasks/${w.task.id}/comments`, { body: '@bob please' });
      expect(res.status).to.equal(302);
      const saved = (await commentsOf(w, w.task.id)).at(-1);
      const id = String(saved?.id);
      expect(await mentionsOf(w, id)).to.deep.equal([String(w.users.builder.id)]);
      await post(w, w.as.member, `/tasks/${w.task.id}/comments/${id}`, {
        body: 'Actually @mia.member and @vic',
      });
      expect(await mentionsOf(w, id)).to.deep.equal(
        [String(w.users.member.id), String(w.users.viewer.id)].sort(),
      );
      await post(w, w.as.member, `/tasks/${w.task.id}/comments/${id}`, { body: 'Never mind' });
      expect(await mentionsOf(w, id)).to.deep.equal([]);
    });

    it('lists the handles of the project people under the comment box', async () => {
      const page = await w.as.member.get(`/tasks/${w.task.id}/comments`).set('Host', w.host);
      for (const hint of [
        '<code>@bob</code> (Bob Builder)',
        '<code>@mia</code> (Mia Member)',
        '<code>@vic</code> (Vic Viewer)',
      ]) {
        expect(page.text).to.include(hint);
      }
      expect(page.text).not.to.include('Otto Outsider');
    });

    it('keeps a mention of a manager who is not a member of the project as text', async () => {
      const lone = await createTask(w.tenant, w.project.id, 'Lone task');
      const res = await post(w, w.as.member, `/tasks/${lone.id}/comments`, { body: '@otto @maggie hello' });
      expect(res.status).to.equal(302);
      const saved = (await commentsOf(w, lone.id)).at(-1);
      expect(await mentionsOf(w, String(saved?.id))).to.deep.equal([]);
    });
  });
});
