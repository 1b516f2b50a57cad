import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type supertest from 'supertest';
import { Project, ProjectMember, Task, type Tenant, type User } from '../../app/models/index.ts';
import { TASK_STATUSES, type TaskStatus } from '../../app/models/task.ts';
import { addDays, mondayOf, weekOf } from '../../app/services/work-dashboard.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, signedIn } from '../support/auth.ts';
import { createTenant, hostOf } from '../support/factories.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

function cell(html: string, assignee: string, status: string): number {
  const row = html.match(new RegExp(`<tr data-assignee="${assignee}">([\\s\\S]*?)</tr>`));
  if (!row) throw new Error(`no row for ${assignee}`);
  const m = row[1].match(new RegExp(`data-status="${status}">(\\d+)<`));
  if (!m) throw new Error(`no ${status} cell for ${assignee}`);
  return Number(m[1]);
}

describe('project reports (/projects/:id/report)', function () {
  this.timeout(60_000);
  let tenant: Tenant;
  let host: string;
  let admin: supertest.Agent;
  let memberAgent: supertest.Agent;
  let outsider: supertest.Agent;
  let ann: User;
  let ben: User;
  let project: Project;
  let startsOn: string;

  before(async () => {
    tenant = await createTenant({ kind: 'company' });
    host = hostOf(tenant);
    admin = await signedIn(tenant, `admin@${tenant.slug}.test`);
    ann = await createUser(tenant, { level: 5, name: 'Ann Archer' });
    ben = await createUser(tenant, { level: 5, name: '@Ben =cmd' });
    memberAgent = await signedIn(tenant, ann.email);
    const outsiderUser = await createUser(tenant, { level: 5 });
    outsider = await signedIn(tenant, outsiderUser.email);

    const now = Date.now();
    const week = weekOf(new Date(now), 'UTC');
    const thisMonday = week.start.getTime();
    startsOn = addDays(week.startDate, -21);
    const inWeek = (weeksBack: number) => new Date(thisMonday - weeksBack * 7 * DAY + 2 * DAY + 3 * HOUR);
    const earlierThisWeek = new Date((thisMonday + now) / 2);
    const specs: {
      title: string;
      status: TaskStatus;
      assignee: User | null;
      dueAt?: Date;
      completedAt?: Date;
      archived?: boolean;
    }[] = [
      { title: 'Survey', status: 'done', assignee: ann, completedAt: inWeek(3) },
      { title: 'Quote', status: 'done', assignee: ben, completedAt: inWeek(3) },
      { title: 'Order tiles', status: 'done', assignee: ann, completedAt: inWeek(1), archived: true },
      { title: 'Scaffold', status: 'done', assignee: null, completedAt: earlierThisWeek },
      { title: '=HYPERLINK("http://evil")', status: 'todo', assignee: ben, dueAt: new Date(now - 2 * DAY) },
      { title: '+SUM(1,2)', status: 'in_progress', assignee: ann, dueAt: new Date(now - HOUR) },
      { title: 'Tiles', status: 'in_progress', assignee: ann, dueAt: new Date(now + 5 * DAY) },
      { title: 'Gutters', status: 'review', assignee: null, dueAt: new Date(now - DAY) },
      { title: 'Paint', status: 'todo', assignee: null },
      { title: 'Old overdue', status: 'todo', assignee: ben, dueAt: new Date(now - 9 * DAY), archived: true },
    ];
    await inTenant(tenant, async () => {
      project = await Project.create({
        name: '-Roof & gutters',
        description: null,
        status: 'active',
        startsOn,
        endsOn: null,
        ownerId: null,
      });
      await ProjectMember.create({ projectId: project.id, userId: ann.id });
      await Task.bulkCreate(
        specs.map((s) => ({
          projectId: project.id,
          title: s.title,
          description: null,
          status: s.status,
          assigneeId: s.assignee?.id ?? null,
          dueAt: s.dueAt ?? null,
          completedAt: s.completedAt ?? null,
          archivedAt: s.archived ? new Date() : null,
          createdBy: null,
        })),
      );
      // Another project's tasks must not count.
      const other = await Project.create({
        name: 'Other',
        description: null,
        startsOn: null,
        endsOn: null,
        ownerId: null,
      });
      await Task.create({
        projectId: other.id,
        title: 'Elsewhere',
        description: null,
        status: 'done',
        assigneeId: ann.id,
        dueAt: null,
        completedAt: new Date(),
        createdBy: null,
      });
    });
  });

  /** The figures computed straight from the task table, the way a person would count them. */
  async function expected() {
    const rows = await inTenant(tenant, () => Task.findAll({ where: { projectId: project.id } }));
    const matrix = new Map<string, Record<string, number>>();
    for (const t of rows) {
      const key = t.assigneeId ? String(t.assigneeId) : 'none';
      const counts = matrix.get(key) ?? Object.fromEntries([...TASK_STATUSES, 'total'].map((s) => [s, 0]));
      counts[t.status] += 1;
      counts.total += 1;
      matrix.set(key, counts);
    }
    const now = Date.now();
    const overdue = rows
      .filter((t) => t.status !== 'done' && !t.archivedAt && t.dueAt && t.dueAt.getTime() < now)
      .map((t) => t.title);
    const perWeek = new Map<string, number>();
    for (const t of rows.filter((r) => r.status === 'done')) {
      const monday = mondayOf((t.completedAt ?? t.updatedAt).toISOString().slice(0, 10));
      perWeek.set(monday, (perWeek.get(monday) ?? 0) + 1);
    }
    return { matrix, overdue, perWeek, total: rows.length };
  }

  it('shows tasks by status and assignee equal to the task table, with totals', async () => {
    const res = await memberAgent.get(`/projects/${project.id}/report`).set('Host', host);
    expect(res.status).to.equal(200);
    const want = await expected();
    expect(want.matrix.size).to.equal(3);
    for (const [assignee, counts] of want.matrix)
      for (const [status, n] of Object.entries(counts))
        expect(cell(res.text, assignee, status), `${assignee} ${status}`).to.equal(n);
    expect(cell(res.text, 'total', 'total')).to.equal(want.total);
    expect(cell(res.text, 'total', 'done')).to.equal(4);
    expect(res.text).to.include('Ann Archer');
    expect(res.text).to.include('Unassigned');
    expect(res.text).to.include('10 tasks, 2 of them archived');
  });

  it('lists the overdue tasks still to do, oldest first, leaving archived ones out', async () => {
    const res = await memberAgent.get(`/projects/${project.id}/report`).set('Host', host);
    const want = await expected();
    const listed = [
      ...res.text.matchAll(/<tr data-task="\d+">\s*<td class="text-break"><a href="[^"]+">([^<]+)<\/a>/g),
    ].map((m) => m[1].replace(/&#34;/g, '"').replace(/&quot;/g, '"'));
    expect(listed).to.deep.equal(['=HYPERLINK("http://evil")', 'Gutters', '+SUM(1,2)']);
    expect([...listed].sort()).to.deep.equal([...want.overdue].sort());
    expect(res.text).to.match(/data-overdue-count>3</);
  });

  it('counts completions per week since the project started, with a running total', async () => {
    const res = await memberAgent.get(`/projects/${project.id}/report`).set('Host', host);
    const want = await expected();
    const weeks = [
      ...res.text.matchAll(
        /<tr data-week="([\d-]+)"><td>[\d-]+<\/td><td class="text-end" data-done>(\d+)<\/td><td class="text-end" data-cumulative>(\d+)<\/td>/g,
      ),
    ].map((m) => ({ week: m[1], done: Number(m[2]), cumulative: Number(m[3]) }));
    expect(weeks.map((w) => w.week)).to.deep.equal([0, 7, 14, 21].map((d) => addDays(startsOn, d)));
    let running = 0;
    for (const w of weeks) {
      expect(w.done, w.week).to.equal(want.perWeek.get(w.week) ?? 0);
      running += w.done;
      expect(w.cumulative, w.week).to.equal(running);
    }
    expect(weeks.map((w) => w.done)).to.deep.equal([2, 0, 1, 1]);
    // The chart reads the same numbers from data attributes; the page runs no inline script.
    expect(res.text).to.include('data-done="[2,0,1,1]"');
    expect(res.text).to.include('data-cumulative="[2,2,3,4]"');
    expect(res.text).to.include('<script src="/assets/js/work-charts.js" defer></script>');
    expect(res.text).not.to.match(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('exports the same figures as CSV, safe from spreadsheet formulas, as an attachment', async () => {
    const res = await memberAgent.get(`/projects/${project.id}/report.csv`).set('Host', host);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/csv/);
    expect(res.headers['content-disposition']).to.match(/^attachment; filename="/);
    const rows = parse(res.text, { relax_column_count: true }) as string[][];
    expect(rows[0]).to.deep.equal(['Project', "'-Roof & gutters"]);
    const header = rows.findIndex((r) => r[0] === 'Assignee');
    expect(rows[header]).to.deep.equal(['Assignee', 'To do', 'In progress', 'Review', 'Done', 'Total']);
    const want = await expected();
    const byName = new Map(rows.slice(header + 1, header + 5).map((r) => [r[0], r.slice(1).map(Number)]));
    const line = (key: string) => {
      const c = want.matrix.get(key);
      return c ? [c.todo, c.in_progress, c.review, c.done, c.total] : null;
    };
    expect(byName.get('Ann Archer')).to.deep.equal(line(String(ann.id)));
    expect(byName.get("'@Ben =cmd")).to.deep.equal(line(String(ben.id)));
    expect(byName.get('Unassigned')).to.deep.equal(line('none'));
    expect(byName.get('Total')).to.deep.equal([3, 2, 1, 4, 10]);
    const overdueAt = rows.findIndex((r) => r[0] === 'Overdue tasks');
    expect(rows.slice(overdueAt + 2, overdueAt + 5).map((r) => r[0])).to.deep.equal([
      `'=HYPERLINK("http://evil")`,
      'Gutters',
      "'+SUM(1,2)",
    ]);
    expect(rows[overdueAt + 2][1]).to.equal("'@Ben =cmd");
    const weeksAt = rows.findIndex((r) => r[0] === 'Week starting');
    expect(rows.slice(weeksAt + 1).map((r) => r.map(String))).to.deep.equal([
      [addDays(startsOn, 0), '2', '2'],
      [addDays(startsOn, 7), '0', '2'],
      [addDays(startsOn, 14), '1', '3'],
      [addDays(startsOn, 21), '1', '4'],
    ]);
    // No cell anywhere starts with a formula character.
    for (const r of rows) for (const c of r) expect(c, c).not.to.match(/^[=+\-@\t\r]/);
  });

  it('answers 404 to someone outside the project, on the page and the CSV', async () => {
    for (const path of [`/projects/${project.id}/report`, `/projects/${project.id}/report.csv`]) {
      const res = await outsider.get(path).set('Host', host);
      expect(res.status, path).to.equal(404);
      expect(res.text).not.to.include('Survey');
    }
    for (const id of ['abc', '99999999999999999999', '987654321'])
      expect((await admin.get(`/projects/${id}/report.csv`).set('Host', host)).status, id).to.equal(404);
  });

  it('lets a super admin, who sees every project, read the report', async () => {
    const res = await admin.get(`/projects/${project.id}/report`).set('Host', host);
    expect(res.status).to.equal(200);
    expect(cell(res.text, 'total', 'total')).to.equal(10);
  });
});
