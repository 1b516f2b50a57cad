import { expect } from 'chai';
import type { FieldChanges } from '../../app/models/audit-log.ts';
import { AuditLog, Project, Task, TaskComment, type Tenant } from '../../app/models/index.ts';
import {
  describe as describeEntry,
  feedItems,
  type Lookups,
  sentence,
  timeAgo,
} from '../../app/services/activity.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

const NONE: Lookups = { userNames: new Map(), commentTasks: new Map(), attachmentTasks: new Map() };

function entry(
  action: string,
  recordType: string,
  recordLabel: string | null,
  changes: FieldChanges = {},
  recordId: string | null = '12',
): AuditLog {
  return AuditLog.build({
    actorId: '1',
    actorName: 'Ana',
    action,
    recordType,
    recordId,
    recordLabel,
    changes,
    ip: null,
    projectId: '3',
    createdAt: new Date(),
  });
}

function told(e: AuditLog, lookups: Lookups = NONE): { text: string; href: string | null } {
  const parts = describeEntry(e, lookups);
  return { text: sentence({ actor: e.actorName ?? '', ...parts }), href: parts.href };
}

describe('activity sentences (services/activity.ts)', () => {
  it('tells a status change of a task as a move', () => {
    const e = entry('task.updated', 'task', 'Fix roof', { status: { from: 'in_progress', to: 'done' } });
    expect(told(e)).to.deep.equal({ text: 'Ana moved *Fix roof* to done', href: '/tasks/12' });
    const back = entry('task.updated', 'task', 'Fix roof', { status: { from: 'done', to: 'in_progress' } });
    expect(told(back).text).to.equal('Ana moved *Fix roof* to in progress');
  });

  it('tells comments, with a link to the comment on its task', () => {
    const lookups = { ...NONE, commentTasks: new Map([['12', '40']]) };
    expect(told(entry('comment.created', 'comment', 'Fix roof'), lookups)).to.deep.equal({
      text: 'Ana commented on *Fix roof*',
      href: '/tasks/40#comment-12',
    });
    expect(told(entry('comment.updated', 'comment', 'Fix roof'), lookups).text).to.equal(
      'Ana edited a comment on *Fix roof*',
    );
    // A deleted comment still links to its task when the entry recorded the task.
    const gone = entry('comment.deleted', 'comment', 'Fix roof', { taskId: { from: '40', to: null } });
    expect(told(gone)).to.deep.equal({ text: 'Ana deleted a comment on *Fix roof*', href: '/tasks/40' });
  });

  it('tells who was added to, removed from, or changed in a project', () => {
    const lookups = { ...NONE, userNames: new Map([['7', 'Ben']]) };
    const added = entry(
      'project.member_added',
      'project',
      'Website',
      { userId: { from: null, to: '7' } },
      '3',
    );
    expect(told(added, lookups)).to.deep.equal({ text: 'Ana added Ben to *Website*', href: '/projects/3' });
    const named = entry('project.member_added', 'project', 'Website', {
      userName: { from: null, to: 'Chloe' },
      role: { from: null, to: 'viewer' },
    });
    expect(told(named).text).to.equal('Ana added Chloe to *Website* as a viewer');
    const removed = entry('project.member_removed', 'project', 'Website', {
      userId: { from: '7', to: null },
    });
    expect(told(removed, lookups).text).to.equal('Ana removed Ben from *Website*');
    const role = entry('project.role_changed', 'project', 'Website', {
      userId: { from: '7', to: '7' },
      role: { from: 'member', to: 'viewer' },
    });
    expect(told(role, lookups).text).to.equal('Ana made Ben a viewer of *Website*');
    // As the project pages record it: the name (unchanged) is not among the changes.
    const asRecorded = entry('project.member_role_changed', 'project', 'Website', {
      role: { from: 'member', to: 'viewer' },
    });
    expect(told(asRecorded).text).to.equal("Ana changed a member's role in *Website* to viewer");
    const withName = entry('project.member_added', 'project', 'Website', {
      member: { from: null, to: 'Dana' },
      userId: { from: null, to: '9' },
      role: { from: null, to: 'member' },
    });
    expect(told(withName).text).to.equal('Ana added Dana to *Website*');
    const unassignedByName = entry('task.assigned', 'task', 'Fix roof', {
      assigneeId: { from: '7', to: null },
      assignee: { from: 'Ben', to: null },
    });
    expect(told(unassignedByName).text).to.equal('Ana unassigned *Fix roof*');
    const assignedByName = entry('task.assigned', 'task', 'Fix roof', {
      assigneeId: { from: null, to: '7' },
      assignee: { from: null, to: 'Ben' },
    });
    expect(told(assignedByName).text).to.equal('Ana assigned *Fix roof* to Ben');
  });

  it('tells task lifecycle entries and assignments', () => {
    const lookups = { ...NONE, userNames: new Map([['7', 'Ben']]) };
    expect(told(entry('task.created', 'task', 'Fix roof')).text).to.equal('Ana created *Fix roof*');
    expect(told(entry('task.completed', 'task', 'Fix roof')).text).to.equal('Ana completed *Fix roof*');
    expect(told(entry('task.reopened', 'task', 'Fix roof')).text).to.equal('Ana reopened *Fix roof*');
    expect(told(entry('task.deleted', 'task', 'Fix roof'))).to.deep.equal({
      text: 'Ana deleted *Fix roof*',
      href: null,
    });
    const assigned = entry('task.assigned', 'task', 'Fix roof', { assigneeId: { from: null, to: '7' } });
    expect(told(assigned, lookups).text).to.equal('Ana assigned *Fix roof* to Ben');
    const unassigned = entry('task.assigned', 'task', 'Fix roof', { assigneeId: { from: '7', to: null } });
    expect(told(unassigned, lookups).text).to.equal('Ana unassigned *Fix roof*');
    const renamed = entry('task.updated', 'task', 'Fix the roof', {
      title: { from: 'Fix roof', to: 'Fix the roof' },
    });
    expect(told(renamed).text).to.equal('Ana renamed *Fix roof* to Fix the roof');
  });

  it('tells project changes and files', () => {
    expect(told(entry('project.created', 'project', 'Website', {}, '3')).text).to.equal(
      'Ana created the project *Website*',
    );
    const held = entry(
      'project.updated',
      'project',
      'Website',
      { status: { from: 'active', to: 'on_hold' } },
      '3',
    );
    expect(told(held).text).to.equal('Ana moved the project *Website* to on hold');
    expect(told(entry('project.deleted', 'project', 'Website', {}, '3')).href).to.equal(null);
    const file = entry('attachment.added', 'attachment', 'Fix roof', {
      fileName: { from: null, to: 'quote.pdf' },
      taskId: { from: null, to: '40' },
    });
    expect(told(file)).to.deep.equal({ text: 'Ana attached quote.pdf to *Fix roof*', href: '/tasks/40' });
  });

  it('tells entries of other modules plainly, linking to records that still exist', () => {
    expect(told(entry('member.updated', 'member', 'Jane Doe'))).to.deep.equal({
      text: 'Ana updated the member *Jane Doe*',
      href: '/members/12',
    });
    expect(told(entry('member.deleted', 'member', 'Jane Doe')).href).to.equal(null);
    expect(told(entry('fund.created', 'fund', 'Building')).href).to.equal(null);
  });

  it('says how long ago, in words', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    const ago = (ms: number) => timeAgo(new Date(now.getTime() - ms), now);
    expect(ago(10_000)).to.equal('just now');
    expect(ago(3 * 60_000)).to.equal('3 min ago');
    expect(ago(60 * 60_000)).to.equal('1 hour ago');
    expect(ago(5 * 3_600_000)).to.equal('5 hours ago');
    expect(ago(30 * 3_600_000)).to.equal('yesterday');
    expect(ago(3 * 86_400_000)).to.equal('3 days ago');
    expect(ago(8 * 86_400_000)).to.equal('1 week ago');
    expect(ago(20 * 86_400_000)).to.equal('2 weeks ago');
    expect(ago(90 * 86_400_000)).to.equal('10 Dec 2025');
  });

  describe('feed items from the database', () => {
    let tenant: Tenant;
    before(async () => {
      tenant = await createTenant({ kind: 'company' });
    });

    it('looks up names and comment tasks for a page at once, with the exact time as a title', async () => {
      const ben = await createUser(tenant, { name: 'Ben Baker' });
      const items = await withTenant(tenant.toRef(), async () => {
        const p = await Project.create({
          name: 'Roofing',
          description: null,
          startsOn: null,
          endsOn: null,
          ownerId: null,
        });
        const t = await Task.create({
          projectId: p.id,
          title: 'Fix roof',
          description: null,
          assigneeId: null,
          dueAt: null,
          completedAt: null,
          createdBy: null,
        });
        const c = await TaskComment.create({ taskId: t.id, authorId: ben.id, body: 'On it', editedAt: null });
        const at = new Date(Date.now() - 3 * 60_000);
        const rows = await AuditLog.bulkCreate(
          [
            {
              actorId: ben.id,
              actorName: 'Ben Baker',
              action: 'comment.created',
              recordType: 'comment',
              recordId: c.id,
              recordLabel: 'Fix roof',
              projectId: p.id,
              ip: null,
              createdAt: at,
            },
            {
              actorId: null,
              actorName: 'Ana',
              action: 'task.assigned',
              recordType: 'task',
              recordId: t.id,
              recordLabel: 'Fix roof',
              projectId: p.id,
              ip: null,
              changes: { assigneeId: { from: null, to: String(ben.id) } },
              createdAt: at,
            },
          ],
          { returning: true },
        );
        return feedItems(rows);
      });
      expect(items.map((i) => sentence(i))).to.deep.equal([
        'Ben Baker commented on *Fix roof*',
        'Ana assigned *Fix roof* to Ben Baker',
      ]);
      expect(items[0].href).to.match(/^\/tasks\/\d+#comment-\d+$/);
      expect(items[0].ago).to.equal('3 min ago');
      expect(items[0].absolute).to.match(/^\w{3},? \d{1,2} \w{3} \d{4}, \d{2}:\d{2}$/);
    });
  });
});
