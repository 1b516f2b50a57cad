import { expect } from 'chai';
import type supertest from 'supertest';
import {
  Attachment,
  AuditLog,
  Project,
  ProjectMember,
  Task,
  TaskComment,
  type Tenant,
  type User,
} from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

/** The feed's sentences as plain text, tags removed. */
function sentences(html: string): string[] {
  return [
    ...html.matchAll(
      /<li class="list-group-item[^"]*" data-activity="[^"]*">\s*<span class="text-break">([\s\S]*?)<\/span>\s*<time/g,
    ),
  ].map((m) =>
    m[1]
      .replace(/<[^>]+>/g, '')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

interface Entry {
  action: string;
  recordType: string;
  recordId: string | null;
  recordLabel: string;
  projectId: string | null;
  changes?: Record<string, { from: unknown; to: unknown }>;
  minutesAgo?: number;
}

function log(tenant: Tenant, entries: Entry[]): Promise<unknown> {
  return inTenant(tenant, () =>
    AuditLog.bulkCreate(
      entries.map((e) => ({
        actorId: null,
        actorName: 'Ana',
        action: e.action,
        recordType: e.recordType,
        recordId: e.recordId,
        recordLabel: e.recordLabel,
        projectId: e.projectId,
        changes: e.changes ?? {},
        ip: null,
        createdAt: new Date(Date.now() - (e.minutesAgo ?? 5) * 60_000),
      })),
    ),
  );
}

describe('activity feeds', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;
  let manager: supertest.Agent;
  let member: User;
  let memberAgent: supertest.Agent;
  let outsider: supertest.Agent;
  let roof: Project;
  let payroll: Project;
  let fix: Task;
  let other: Task;

  before(async () => {
    tenant = await createTenant({ kind: 'church' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
    const managerUser = await createUser(tenant, { level: 4 });
    manager = await signedIn(tenant, managerUser.email);
    member = await createUser(tenant, { level: 5, name: 'Mia Member' });
    memberAgent = await signedIn(tenant, member.email);
    const outsiderUser = await createUser(tenant, { level: 5 });
    outsider = await signedIn(tenant, outsiderUser.email);
    await inTenant(tenant, async () => {
      roof = await Project.create({
        name: 'Roof',
        description: null,
        startsOn: null,
        endsOn: null,
        ownerId: null,
      });
      payroll = await Project.create({
        name: 'Payroll',
        description: null,
        startsOn: null,
        endsOn: null,
        ownerId: null,
      });
      await ProjectMember.create({ projectId: roof.id, userId: member.id });
      const base = { description: null, assigneeId: null, dueAt: null, completedAt: null, createdBy: null };
      fix = await Task.create({ ...base, projectId: roof.id, title: 'Fix roof' });
      other = await Task.create({ ...base, projectId: roof.id, title: 'Clean gutters' });
      const comment = await TaskComment.create({
        taskId: fix.id,
        authorId: member.id,
        body: 'Done soon',
        editedAt: null,
      });
      const file = await Attachment.create({
        taskId: fix.id,
        fileKey: `${tenant.toRef().schema}/attachment/00000000-0000-0000-0000-000000000000`,
        fileName: 'quote.pdf',
        contentType: 'application/pdf',
        sizeBytes: 10,
        uploadedBy: member.id,
      });
      await log(tenant, [
        {
          action: 'project.created',
          recordType: 'project',
          recordId: roof.id,
          recordLabel: 'Roof',
          projectId: roof.id,
          minutesAgo: 60,
        },
        {
          action: 'task.updated',
          recordType: 'task',
          recordId: fix.id,
          recordLabel: 'Fix roof',
          projectId: roof.id,
          changes: { status: { from: 'todo', to: 'done' } },
          minutesAgo: 3,
        },
        {
          action: 'comment.created',
          recordType: 'comment',
          recordId: comment.id,
          recordLabel: 'Fix roof',
          projectId: roof.id,
          minutesAgo: 2,
        },
        {
          action: 'attachment.added',
          recordType: 'attachment',
          recordId: file.id,
          recordLabel: 'Fix roof',
          projectId: roof.id,
          changes: { fileName: { from: null, to: 'quote.pdf' } },
          minutesAgo: 1,
        },
        {
          action: 'task.created',
          recordType: 'task',
          recordId: other.id,
          recordLabel: 'Clean gutters',
          projectId: roof.id,
          minutesAgo: 4,
        },
        {
          action: 'project.member_added',
          recordType: 'project',
          recordId: payroll.id,
          recordLabel: 'Payroll',
          projectId: payroll.id,
          changes: { userName: { from: null, to: 'Ben' } },
          minutesAgo: 6,
        },
        {
          action: 'member.updated',
          recordType: 'member',
          recordId: '77',
          recordLabel: 'Jane Doe',
          projectId: null,
          minutesAgo: 7,
        },
      ]);
    });
  });

  describe('GET /activity', () => {
    it('shows a super admin every entry, other modules included, as sentences with links and times', async () => {
      const res = await admin.get('/activity').set('Host', host);
      expect(res.status).to.equal(200);
      expect(sentences(res.text)).to.deep.equal([
        'Ana attached quote.pdf to Fix roof',
        'Ana commented on Fix roof',
        'Ana moved Fix roof to done',
        'Ana created Clean gutters',
        'Ana added Ben to Payroll',
        'Ana updated the member Jane Doe',
        'Ana created the project Roof',
      ]);
      expect(res.text).to.include(`href="/tasks/${fix.id}#comment-`);
      expect(res.text).to.include(`href="/projects/${payroll.id}"`);
      expect(res.text).to.match(
        /<time [^>]*datetime="[^"]+" title="\w{3},? \d{1,2} \w{3} \d{4}, \d{2}:\d{2}">3 min ago<\/time>/,
      );
    });

    it('shows a project manager (level 4) every project entry but not the other modules', async () => {
      const res = await manager.get('/activity').set('Host', host);
      expect(res.status).to.equal(200);
      const seen = sentences(res.text);
      expect(seen).to.include('Ana added Ben to Payroll');
      expect(seen).not.to.include('Ana updated the member Jane Doe');
      expect(seen).to.have.length(6);
    });

    it('shows a level-5 member only the entries of the projects they belong to', async () => {
      const res = await memberAgent.get('/activity').set('Host', host);
      expect(res.status).to.equal(200);
      const seen = sentences(res.text);
      expect(seen).to.have.length(5);
      expect(res.text).not.to.include('Payroll');
      expect(res.text).not.to.include('Jane Doe');
    });

    it('shows someone in no project an empty feed', async () => {
      const res = await outsider.get('/activity').set('Host', host);
      expect(res.status).to.equal(200);
      expect(sentences(res.text)).to.deep.equal([]);
      expect(res.text).to.include('Nothing has happened here yet.');
    });

    it('pages through long feeds, 30 entries a page', async () => {
      const busy = await createTenant({ kind: 'company' });
      const agent = await signedIn(busy, `admin@${busy.slug}.test`);
      await log(
        busy,
        Array.from({ length: 35 }, (_, i) => ({
          action: 'task.created',
          recordType: 'task',
          recordId: String(i + 1),
          recordLabel: `Task ${i + 1}`,
          projectId: '1',
          minutesAgo: i + 1,
        })),
      );
      const first = await agent.get('/activity').set('Host', hostOf(busy));
      const second = await agent.get('/activity?page=2').set('Host', hostOf(busy));
      const nonsense = await agent.get('/activity?page=abc').set('Host', hostOf(busy));
      expect(sentences(first.text)).to.have.length(30);
      expect(sentences(first.text)[0]).to.equal('Ana created Task 1');
      expect(first.text).to.include('href="/activity?page=2"');
      expect(sentences(second.text)).to.deep.equal([
        'Ana created Task 31',
        'Ana created Task 32',
        'Ana created Task 33',
        'Ana created Task 34',
        'Ana created Task 35',
      ]);
      expect(nonsense.status).to.equal(200);
      expect(sentences(nonsense.text)).to.have.length(30);
    });
  });

  describe('GET /projects/:id/activity', () => {
    it("shows a project member that project's entries only", async () => {
      const res = await memberAgent.get(`/projects/${roof.id}/activity`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(sentences(res.text)).to.have.length(5);
      expect(res.text).not.to.include('Payroll');
    });

    it('answers 404 to someone outside the project, and to ids that do not exist', async () => {
      expect((await outsider.get(`/projects/${roof.id}/activity`).set('Host', host)).status).to.equal(404);
      expect((await memberAgent.get(`/projects/${payroll.id}/activity`).set('Host', host)).status).to.equal(
        404,
      );
      for (const id of ['abc', '99999999999999999999', '987654321'])
        expect((await admin.get(`/projects/${id}/activity`).set('Host', host)).status, id).to.equal(404);
    });

    it("answers 404 for another tenant's project", async () => {
      const elsewhere = await createTenant({ kind: 'company' });
      const agent = await signedIn(elsewhere, `admin@${elsewhere.slug}.test`);
      const res = await agent.get(`/projects/${roof.id}/activity`).set('Host', hostOf(elsewhere));
      expect(res.status).to.equal(404);
      expect(res.text).not.to.include('Fix roof');
    });
  });

  describe('GET /tasks/:id/activity', () => {
    it("shows the task's own entries with those of its comments and files", async () => {
      const res = await memberAgent.get(`/tasks/${fix.id}/activity`).set('Host', host);
      expect(res.status).to.equal(200);
      expect(sentences(res.text)).to.deep.equal([
        'Ana attached quote.pdf to Fix roof',
        'Ana commented on Fix roof',
        'Ana moved Fix roof to done',
      ]);
    });

    it('answers 404 to someone outside the project', async () => {
      expect((await outsider.get(`/tasks/${fix.id}/activity`).set('Host', host)).status).to.equal(404);
      expect((await admin.get('/tasks/abc/activity').set('Host', host)).status).to.equal(404);
    });
  });
});
