import { expect } from 'chai';
import { Op } from 'sequelize';
import {
  Attachment,
  AuditLog,
  CommentMention,
  Project,
  ProjectMember,
  Task,
  TaskComment,
  type Tenant,
} from '../../app/models/index.ts';
import { seedWorkDemo } from '../../app/services/demo-work.ts';
import { fileStore } from '../../app/services/storage.ts';
import { weekOf } from '../../app/services/work-dashboard.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant } from '../support/factories.ts';

describe('work demo data (services/demo-work.ts)', function () {
  this.timeout(120_000);

  describe('for a company', () => {
    let tenant: Tenant;
    const now = new Date();

    before(async () => {
      tenant = await createTenant({ kind: 'company' });
      for (const level of [1, 4, 5, 5]) await createUser(tenant, { level });
    });

    it('creates five projects with about 300 tasks, 100 comments, mentions, a file and their activity', async () => {
      const counts = await withTenant(tenant.toRef(), () => seedWorkDemo({ now }));
      expect(counts).to.not.equal(null);
      await withTenant(tenant.toRef(), async () => {
        expect(await Project.count()).to.equal(5);
        const tasks = await Task.count();
        expect(tasks).to.be.within(280, 320);
        expect(await TaskComment.count()).to.be.within(80, 130);
        expect(await CommentMention.count()).to.be.greaterThan(5);
        expect(await ProjectMember.count()).to.equal(counts?.memberships);
        for (const status of ['todo', 'in_progress', 'review', 'done'])
          expect(await Task.count({ where: { status } }), status).to.be.greaterThan(10);
        for (const priority of ['low', 'medium', 'high', 'urgent'])
          expect(await Task.count({ where: { priority } }), priority).to.be.greaterThan(5);
        const open = { status: { [Op.ne]: 'done' } };
        expect(await Task.count({ where: { ...open, dueAt: { [Op.lt]: now } } })).to.be.greaterThan(5);
        const week = weekOf(now, 'UTC');
        expect(
          await Task.count({ where: { ...open, dueAt: { [Op.gte]: now, [Op.lt]: week.end } } }),
        ).to.be.greaterThan(0);
        expect(await Task.count({ where: { assigneeId: { [Op.ne]: null } } })).to.be.greaterThan(tasks / 2);
        expect(await AuditLog.count({ where: { projectId: { [Op.ne]: null } } })).to.equal(counts?.activity);
        const file = await Attachment.findOne();
        if (!file) throw new Error('no attachment');
        expect(file.contentType).to.equal('text/plain');
        const { stream, size } = await fileStore.open(file.fileKey);
        expect(size).to.equal(file.sizeBytes);
        let text = '';
        for await (const chunk of stream) text += chunk;
        expect(text).to.match(/^Notes for "/);
      });
    });

    it('adds nothing when run a second time', async () => {
      const before = await withTenant(tenant.toRef(), () => Task.count());
      expect(await withTenant(tenant.toRef(), () => seedWorkDemo())).to.equal(null);
      expect(await withTenant(tenant.toRef(), () => Task.count())).to.equal(before);
    });
  });

  it('gives a church two ministry projects with about 30 tasks', async () => {
    const church = await createTenant({ kind: 'church' });
    const counts = await withTenant(church.toRef(), () => seedWorkDemo());
    expect(counts?.projects).to.equal(2);
    expect(counts?.tasks).to.equal(30);
    expect(await withTenant(church.toRef(), () => Project.count())).to.equal(2);
  });

  it('makes a small fill when asked', async () => {
    const small = await createTenant({ kind: 'company' });
    const counts = await withTenant(small.toRef(), () => seedWorkDemo({ size: 'small' }));
    expect(counts?.projects).to.equal(3);
    expect(counts?.tasks).to.be.below(60);
  });
});
