/**
 * Work pages over a big company: 10,000 tasks in 10 projects, 16 connections on one web process.
 * (a) the task list with two filters, GET /tasks?status=todo&priority=high (the first 50 of the
 * matches, with their count); (b) the work dashboard GET /work, on a server started with the cache
 * turned off (CACHE_ENABLED=false) and on one with it on (Redis when REDIS_URL is set, else in
 * process). Rounds alternate the three so slow drift touches each alike.
 */

import { Op } from 'sequelize';
import { db } from '../app/db/database.ts';
import { Project, ProjectMember, Task, Tenant, User } from '../app/models/index.ts';
import { provisionTenant } from '../app/services/provisioning.ts';
import { type TenantRef, withTenant } from '../app/tenancy/context.ts';
import { config } from '../config/index.ts';
import type { ServerReady } from './support/http-server.ts';
import {
  type Combined,
  combine,
  describe,
  type LoadRun,
  load,
  request,
  runRounds,
  signIn,
  startServer,
  stopServer,
  type Variant,
} from './support/load.ts';
import {
  seconds as formatSeconds,
  line,
  note,
  round,
  section,
  type TargetCheck,
  target,
} from './support/stats.ts';
import { benchPasswordHash, hostOf } from './support/tenants.ts';

export interface WorkBenchResult {
  tasks: number;
  projects: number;
  connections: number;
  secondsPerRun: number;
  rounds: number;
  poolMax: number;
  cache: string;
  setupMs: number;
  runs: LoadRun[];
  taskList: Combined | null;
  dashboardUncached: Combined;
  dashboardCached: Combined;
  cachedOverUncached: number;
  targets: TargetCheck[];
}

export const WORK_SLUG = 'bench-work';
const LIST_PATH = '/tasks?status=todo&priority=high';
const STATUSES = ['todo', 'in_progress', 'review', 'done'] as const;
const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
const DAY = 86_400_000;
// Goals for 16 connections on one web process of a small (2 CPU) machine.
const MAX_DASHBOARD_P99_MS = 250;
const MAX_LIST_P99_MS = 500;

/** The company `bench-work` with its people, projects and tasks; made once per bench database. */
export async function workTenant(taskCount: number, projectCount: number): Promise<TenantRef> {
  const existing = await Tenant.findOne({ where: { slug: WORK_SLUG } });
  if (existing) return existing.toRef();
  const hash = await benchPasswordHash();
  const { tenant } = await provisionTenant(
    { slug: WORK_SLUG, name: 'Bench works', kind: 'company', adminEmail: `admin@${WORK_SLUG}.test` },
    { adminPasswordHash: hash },
  );
  const ref = tenant.toRef();
  await withTenant(ref, async () => {
    const people = await User.bulkCreate(
      Array.from({ length: 20 }, (_, i) => ({
        email: `person${i + 1}@${WORK_SLUG}.test`,
        name: `Person ${i + 1}`,
        passwordHash: hash,
        department: null,
      })),
      { returning: true },
    );
    const projects = await Project.bulkCreate(
      Array.from({ length: projectCount }, (_, i) => ({
        name: `Project ${i + 1}`,
        description: null,
        status: i % 5 === 4 ? ('planning' as const) : ('active' as const),
        startsOn: null,
        endsOn: null,
        ownerId: null,
      })),
      { returning: true },
    );
    await ProjectMember.bulkCreate(
      projects.flatMap((p, i) =>
        people
          .filter((_, j) => j % projectCount === i || j < 2)
          .map((u) => ({ projectId: p.id, userId: u.id })),
      ),
    );
    const now = Date.now();
    // Deterministic spread: every status, priority, person and due date appears in every project.
    const rows = Array.from({ length: taskCount }, (_, i) => {
      const status = STATUSES[i % 4];
      return {
        projectId: projects[i % projectCount].id,
        title: `Task ${i + 1}`,
        description: null,
        status,
        priority: PRIORITIES[Math.floor(i / 4) % 4],
        assigneeId: i % 7 === 0 ? null : people[i % people.length].id,
        dueAt: i % 9 === 0 ? null : new Date(now + ((i % 61) - 20) * DAY),
        completedAt: status === 'done' ? new Date(now - (i % 50) * DAY) : null,
        createdBy: people[0].id,
      };
    });
    for (let i = 0; i < rows.length; i += 2000) await Task.bulkCreate(rows.slice(i, i + 2000));
    // Planner statistics, as autovacuum would have them on a live database after such inserts.
    await db().query('ANALYZE tasks, projects, project_members, users');
  });
  return ref;
}

export async function workBench(
  opts: { tasks?: number; projects?: number; connections?: number; seconds?: number; rounds?: number } = {},
): Promise<WorkBenchResult> {
  const taskCount = opts.tasks ?? 10_000;
  const projectCount = opts.projects ?? 10;
  const connections = opts.connections ?? 16;
  const seconds = opts.seconds ?? Number(process.env.BENCH_HTTP_SECONDS ?? 5);
  const rounds = opts.rounds ?? Number(process.env.BENCH_HTTP_ROUNDS ?? 2);
  section(
    `Work pages: ${taskCount} tasks in ${projectCount} projects, ${connections} connections, ${seconds} s a run`,
  );

  const setupStart = performance.now();
  const tenant = await workTenant(taskCount, projectCount);
  const setupMs = performance.now() - setupStart;
  line('set-up of the company (bulk inserts)', formatSeconds(setupMs));
  const [listCount, openCount] = await withTenant(tenant, () =>
    Promise.all([
      Task.count({ where: { status: 'todo', priority: 'high', archivedAt: null } }),
      Task.count({ where: { status: { [Op.ne]: 'done' }, archivedAt: null } }),
    ]),
  );

  const serverUrl = new URL('./support/http-server.ts', import.meta.url);
  const uncached = await startServer<ServerReady>(serverUrl, { ...process.env, CACHE_ENABLED: 'false' });
  const cached = await startServer<ServerReady>(serverUrl, { ...process.env, CACHE_ENABLED: 'true' });
  try {
    const host = hostOf(tenant.slug);
    const cache = config.REDIS_URL ? 'Redis' : 'in process (no REDIS_URL)';
    line('database pool size (DB_POOL_MAX), each server', String(uncached.ready.poolMax));
    line('dashboard cache of the cached server', cache);
    const uPort = uncached.ready.port;
    const cPort = cached.ready.port;
    const uCookie = await signIn(uPort, host, `admin@${WORK_SLUG}.test`);
    const cCookie = await signIn(cPort, host, `admin@${WORK_SLUG}.test`);

    // Each page must show the tenant's own figures, or the numbers measure something else.
    const list = await request(uPort, { path: LIST_PATH, headers: { host, cookie: uCookie } });
    const listMeasured = list.status !== 404;
    if (!listMeasured) note(`GET ${LIST_PATH} answers 404 in this build: not measured`);
    else if (list.status !== 200 || !list.body.includes(`${listCount} tasks`))
      throw new Error(`GET ${LIST_PATH} answered ${list.status} without "${listCount} tasks"`);
    for (const [port, cookie] of [
      [uPort, uCookie],
      [cPort, cCookie],
    ] as const) {
      const page = await request(port, { path: '/work', headers: { host, cookie } });
      if (page.status !== 200 || !page.body.includes(`data-figure="openTasks">${openCount}<`))
        throw new Error(`GET /work answered ${page.status} without ${openCount} open tasks`);
    }
    line('tasks matching the list filter (todo, high)', `${listCount} (the page shows 50)`);

    const variants = [
      ...(listMeasured
        ? [
            {
              label: '(a) task list, two filters',
              port: uPort,
              targets: [{ path: LIST_PATH, headers: { host, cookie: uCookie } }],
            },
          ]
        : []),
      {
        label: '(b) dashboard, cache off',
        port: uPort,
        targets: [{ path: '/work', headers: { host, cookie: uCookie } }],
      },
      {
        label: '(c) dashboard, cache on',
        port: cPort,
        targets: [{ path: '/work', headers: { host, cookie: cCookie } }],
      },
    ] satisfies Variant[];
    // Warms the JIT, the pools and the cache before anything is measured.
    for (const v of variants) await load(v.port, v.targets, { connections, seconds: 2 });

    const runs: LoadRun[] = await runRounds(variants, { rounds, connections, seconds });
    const of = (label: string) => combine(runs.filter((run) => run.label === label));
    const taskList = listMeasured ? of(variants[0].label) : null;
    const dashboardUncached = of('(b) dashboard, cache off');
    const dashboardCached = of('(c) dashboard, cache on');
    const ratio = round(dashboardCached.requestsPerSecond / dashboardUncached.requestsPerSecond, 2);
    if (taskList) line(`(a) GET ${LIST_PATH}, median of rounds`, describe(taskList));
    line('(b) GET /work, cache off, median of rounds', describe(dashboardUncached));
    line('(c) GET /work, cache on, median of rounds', describe(dashboardCached));
    line('dashboard cache on / off (req/s)', String(ratio));
    const clean = runs.every((run) => !run.errors && !run.non2xx);
    if (!clean) note('some runs had errors or non-2xx answers: the numbers are suspect');

    const targets = [
      target(
        'work dashboard: the cache serves more req/s than without it',
        'ratio > 1',
        String(ratio),
        clean && ratio > 1,
      ),
      target(
        'work dashboard with the cache: p99 latency',
        `<= ${MAX_DASHBOARD_P99_MS} ms`,
        `${dashboardCached.latencyP99Ms} ms`,
        clean && dashboardCached.latencyP99Ms <= MAX_DASHBOARD_P99_MS,
      ),
      ...(taskList
        ? [
            target(
              'task list with two filters: p99 latency',
              `<= ${MAX_LIST_P99_MS} ms`,
              `${taskList.latencyP99Ms} ms`,
              clean && taskList.latencyP99Ms <= MAX_LIST_P99_MS,
            ),
          ]
        : []),
    ];
    return {
      tasks: taskCount,
      projects: projectCount,
      connections,
      secondsPerRun: seconds,
      rounds,
      poolMax: uncached.ready.poolMax,
      cache,
      setupMs: Math.round(setupMs),
      runs,
      taskList,
      dashboardUncached,
      dashboardCached,
      cachedOverUncached: ratio,
      targets,
    };
  } finally {
    // Requests the load generator gave up on at the end of a run are still being answered: let them finish.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await Promise.all([stopServer(uncached.child), stopServer(cached.child)]);
  }
}
