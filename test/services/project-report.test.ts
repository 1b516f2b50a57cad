import { expect } from 'chai';
import { Project, Setting, Task, type Tenant } from '../../app/models/index.ts';
import { User } from '../../app/models/user.ts';
import { projectReport, reportCsv, safeCell } from '../../app/services/project-report.ts';
import { dashboardFor, weekOf } from '../../app/services/work-dashboard.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createTenant } from '../support/factories.ts';

describe('project report and weeks (services/project-report.ts)', function () {
  this.timeout(60_000);

  describe('safe CSV cells', () => {
    it('prefixes an apostrophe to text a spreadsheet would run as a formula', () => {
      for (const danger of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])
        expect(safeCell(danger), JSON.stringify(danger)).to.equal(`'${danger}`);
      for (const fine of ['Roof', '1+1', ' =x', "'quoted"]) expect(safeCell(fine)).to.equal(fine);
      expect(safeCell(-3)).to.equal(-3);
    });
  });

  describe('weeks in the tenant time zone', () => {
    it('starts the week on Monday at midnight where the tenant is', () => {
      // Sunday 20:00 in UTC is already Monday 09:00 in Auckland (UTC+13 in March).
      const now = new Date('2026-03-01T20:00:00Z');
      const utc = weekOf(now, 'UTC');
      const auckland = weekOf(now, 'Pacific/Auckland');
      expect(utc.startDate).to.equal('2026-02-23');
      expect(utc.start.toISOString()).to.equal('2026-02-23T00:00:00.000Z');
      expect(auckland.startDate).to.equal('2026-03-02');
      expect(auckland.start.toISOString()).to.equal('2026-03-01T11:00:00.000Z');
      expect(auckland.end.toISOString()).to.equal('2026-03-08T11:00:00.000Z');
    });

    describe('in a tenant whose clocks are in Auckland', () => {
      let tenant: Tenant;
      let project: Project;
      const now = new Date('2026-03-04T00:00:00Z'); // Wednesday 13:00 in Auckland

      before(async () => {
        tenant = await createTenant({ kind: 'company' });
        await withTenant(tenant.toRef(), async () => {
          await Setting.upsert({ key: 'time_zone', value: 'Pacific/Auckland' });
          project = await Project.create({
            name: 'Harbour',
            description: null,
            startsOn: '2026-02-23',
            endsOn: null,
            ownerId: null,
          });
          const base = {
            projectId: project.id,
            description: null,
            assigneeId: null,
            dueAt: null,
            createdBy: null,
          };
          await Task.bulkCreate([
            // Sunday 20:00 UTC = Monday 09:00 in Auckland: this week there, last week in UTC.
            { ...base, title: 'Late Sunday', status: 'done', completedAt: new Date('2026-03-01T20:00:00Z') },
            // Sunday 10:00 UTC = Sunday 23:00 in Auckland: last week.
            { ...base, title: 'Sunday night', status: 'done', completedAt: new Date('2026-03-01T10:00:00Z') },
            {
              ...base,
              title: 'Due Sunday night',
              status: 'todo',
              completedAt: null,
              dueAt: new Date('2026-03-08T10:30:00Z'),
            },
            {
              ...base,
              title: 'Due Monday',
              status: 'todo',
              completedAt: null,
              dueAt: new Date('2026-03-08T11:30:00Z'),
            },
            // Tuesday 01:00 in Auckland, before now: overdue, and due this week as well.
            {
              ...base,
              title: 'Late this week',
              status: 'todo',
              completedAt: null,
              dueAt: new Date('2026-03-02T12:00:00Z'),
            },
            // Sunday 23:00 in Auckland the week before: overdue only.
            {
              ...base,
              title: 'Late last week',
              status: 'todo',
              completedAt: null,
              dueAt: new Date('2026-03-01T10:00:00Z'),
            },
          ]);
        });
      });

      it('counts completions in the week of the tenant, not of UTC', async () => {
        const report = await withTenant(tenant.toRef(), () => projectReport(project, now));
        expect(report.timeZone).to.equal('Pacific/Auckland');
        expect(report.weeks).to.deep.equal([
          { week: '2026-02-23', done: 1, cumulative: 1 },
          { week: '2026-03-02', done: 1, cumulative: 2 },
        ]);
        const csv = reportCsv(report);
        expect(csv).to.include('2026-02-23,1,1\n2026-03-02,1,2\n');
        expect(csv).to.include('Time zone,Pacific/Auckland\n');
      });

      it("uses the tenant's week for the dashboard's due and completed this week", async () => {
        const admin = await withTenant(tenant.toRef(), () =>
          User.findOne({ where: { email: `admin@${tenant.slug}.test` }, include: ['roles'] }),
        );
        if (!admin) throw new Error('no admin');
        const d = await withTenant(tenant.toRef(), () => dashboardFor(admin, now));
        expect(d.weekStart).to.equal('2026-03-02');
        expect(d.completedThisWeek).to.equal(1);
        expect(d.dueThisWeek).to.equal(2);
        expect(d.overdue).to.equal(2);
        expect(d.openTasks).to.equal(4);
      });
    });
  });
});
