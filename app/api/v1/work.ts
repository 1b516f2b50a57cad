import { z } from 'zod';
import { PROJECT_STATUSES } from '../../models/project.ts';
import { PROJECT_ROLES } from '../../models/project-member.ts';
import { TASK_PRIORITIES, TASK_STATUSES } from '../../models/task.ts';
import { loadProject, loadTask, requireManage, requireWork } from '../../policies/project.policy.ts';
import {
  DUE_BUCKET_LABELS,
  DUE_BUCKETS,
  findTasks,
  myTasks,
  projectStats,
  tenantClock,
} from '../../services/task-queries.ts';
import {
  addMember,
  changeMemberRole,
  loadPlace,
  membersOf,
  presentMember,
  removeMember,
} from '../../services/work/project-members.ts';
import {
  createProject,
  deleteProject,
  presentProject,
  projectInputOf,
  searchProjects,
  updateProject,
} from '../../services/work/projects.ts';
import {
  completeTask,
  createTask,
  deleteTask,
  presentTask,
  reopenTask,
  taskInputOf,
  updateTask,
} from '../../services/work/tasks.ts';
import { isCleanText } from '../../validators/common.ts';
import {
  memberAddSchema,
  memberRoleSchema,
  projectFields,
  projectSchema,
} from '../../validators/project.validator.ts';
import { DUE_FILTERS, TASK_SORTS, taskFields, taskSchema } from '../../validators/task.validator.ts';
import { apiRoutes, mergePatch } from '../kit.ts';
import { listResult, offsetOf } from '../pagination.ts';
import { day, idPath, idString, listQuery, pageOf, timestamp } from '../schemas.ts';

/**
 * Projects, their members and tasks. Any signed-in user may call these; the project policy scopes
 * them as on the pages: `projects.manage` sees every project, others the projects they belong to,
 * where a viewer only reads; any other project is a 404. Bodies are the pages' form schemas.
 */

export const projectOut = z
  .object({
    id: idString,
    name: z.string(),
    description: z.string().nullable(),
    status: z.enum(PROJECT_STATUSES),
    startsOn: day.nullable(),
    endsOn: day.nullable(),
    ownerId: idString.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Project' });

const countsOf = <T extends readonly [string, ...string[]]>(keys: T) =>
  z.object(
    Object.fromEntries(keys.map((k) => [k, z.number().int().min(0)])) as Record<T[number], z.ZodNumber>,
  );

export const projectStatsOut = z
  .object({
    projectId: idString,
    total: z.number().int().meta({ description: 'Every task of the project, archived ones included.' }),
    done: z.number().int(),
    completion: z.number().int().min(0).max(100).meta({ description: 'Done tasks as a whole percentage.' }),
    overdue: z.number().int().meta({ description: 'Open, not archived tasks due before now.' }),
    byStatus: countsOf(TASK_STATUSES),
    byPriority: countsOf(TASK_PRIORITIES),
    perWeek: z.array(z.object({ monday: day, done: z.number().int() })).meta({
      description: 'Tasks done in each of the last 8 weeks (Monday to Sunday, tenant time), oldest first.',
    }),
  })
  .meta({ id: 'ProjectStatistics' });

export const projectMemberOut = z
  .object({
    userId: idString,
    name: z.string(),
    email: z.string(),
    active: z.boolean(),
    role: z.enum(PROJECT_ROLES).meta({ description: 'member works on tasks; viewer only reads.' }),
    owner: z.boolean().meta({ description: 'The project owner, who stays a working member.' }),
    addedAt: timestamp,
  })
  .meta({ id: 'ProjectMember' });

export const taskOut = z
  .object({
    id: idString,
    projectId: idString,
    title: z.string(),
    description: z.string().nullable(),
    status: z.enum(TASK_STATUSES),
    priority: z.enum(TASK_PRIORITIES),
    assigneeId: idString.nullable(),
    dueAt: timestamp.nullable(),
    dueDate: day.nullable().meta({ description: 'The due day in the tenant’s time zone.' }),
    dueTime: z
      .string()
      .nullable()
      .meta({ description: 'The due time (HH:MM) in the tenant’s time zone.', example: '17:30' }),
    completedAt: timestamp.nullable(),
    archivedAt: timestamp.nullable(),
    createdBy: idString.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Task' });

export const myTasksOut = z
  .object({
    buckets: z.array(
      z.object({
        key: z.enum(DUE_BUCKETS),
        label: z.string(),
        tasks: z.array(taskOut),
      }),
    ),
    open: z.number().int().meta({ description: 'Open tasks in all buckets.' }),
  })
  .meta({ id: 'MyTasks' });

const memberPath = z.object({ id: idString, userId: idString });

/** A query value given once, repeated or comma-separated, as a list. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',') : v),
    z.array(item).transform((list) => [...new Set(list)]),
  );

const taskListQuery = listQuery.extend({
  project: idString.optional().meta({ description: 'Only the tasks of this project.' }),
  status: listOf(z.enum(TASK_STATUSES))
    .optional()
    .meta({ description: 'One or more statuses, repeated or comma-separated.' }),
  priority: z.enum(TASK_PRIORITIES).optional(),
  assigned_to: z
    .union([z.enum(['me', 'none']), idString])
    .optional()
    .meta({ description: '`me`, `none` (nobody) or a user id.' }),
  due: z.enum(DUE_FILTERS).optional().meta({
    description: 'overdue, today, week (this Monday to Sunday) or none (no due date), in tenant time.',
  }),
  due_after: day.optional().meta({ description: 'Due on or after the start of this day (tenant time).' }),
  due_before: day.optional().meta({ description: 'Due before the start of this day (tenant time).' }),
  q: z
    .string()
    .trim()
    .max(100)
    .refine((v) => isCleanText(v), 'must not contain control characters')
    .optional()
    .meta({ description: 'Words in the title.' }),
  sort: z
    .enum(TASK_SORTS)
    .default('due')
    .meta({ description: 'due (open first, then by due date), priority, updated (latest first) or title.' }),
  archived: z
    .enum(['true', 'false'])
    .default('false')
    .meta({ description: 'true to include archived tasks.' }),
});

export default apiRoutes(
  { tag: 'Work', host: 'tenant', description: 'Projects, their members and tasks.' },
  (r) => {
    // Projects

    r.get(
      '/projects',
      {
        summary: 'List the projects you can see',
        description:
          'Every project for `projects.manage`; otherwise the projects you are a member or viewer of. By name.',
        query: listQuery.extend({ status: z.enum(PROJECT_STATUSES).optional() }),
        responses: { 200: pageOf(projectOut) },
      },
      async (ctx) => {
        const { limit, cursor, status } = ctx.query;
        const offset = offsetOf(cursor);
        const { rows, total } = await searchProjects(ctx.user, { status, limit, offset });
        return listResult(ctx, rows.map(presentProject), { limit, offset, total });
      },
    );

    r.get(
      '/projects/:id',
      { summary: 'Show a project', params: idPath, responses: { 200: projectOut } },
      async (ctx) => ({ body: presentProject((await loadProject(ctx.user, ctx.params.id)).record) }),
    );

    r.get(
      '/projects/:id/statistics',
      {
        summary: 'A project’s figures',
        description:
          'Tasks by status and priority, completion, overdue tasks and tasks done per week, as the project page shows them.',
        params: idPath,
        responses: { 200: projectStatsOut },
      },
      async (ctx) => {
        const { record } = await loadProject(ctx.user, ctx.params.id);
        const stats = await projectStats(record.id, await tenantClock());
        const { byStatus, byPriority, total, done, completion, overdue, perWeek } = stats;
        return {
          body: {
            projectId: String(record.id),
            total,
            done,
            completion,
            overdue,
            byStatus,
            byPriority,
            perWeek,
          },
        };
      },
    );

    r.post(
      '/projects',
      {
        summary: 'Create a project',
        description:
          'The owner (an active staff member) becomes a working member. Counts against the plan’s projects.',
        capability: 'projects.manage',
        body: projectSchema,
        responses: { 201: projectOut },
        idempotent: true,
      },
      async (ctx) => {
        const project = await createProject(ctx.user, ctx.body);
        return { status: 201, body: presentProject(project), location: `/api/v1/projects/${project.id}` };
      },
    );

    r.patch(
      '/projects/:id',
      {
        summary: 'Change a project',
        description:
          'Send only the fields that change. A new owner becomes a working member. The owner or `projects.manage` only.',
        params: idPath,
        body: projectFields.partial(),
        responses: { 200: projectOut },
        errors: [412],
      },
      async (ctx) => {
        const v = await loadProject(ctx.user, ctx.params.id);
        requireManage(v);
        ctx.ifMatch(presentProject(v.record));
        const input = mergePatch(projectSchema, projectInputOf(v.record), ctx.req.body);
        return { body: presentProject(await updateProject(v, input)) };
      },
    );

    r.delete(
      '/projects/:id',
      {
        summary: 'Delete a project',
        description:
          'Its tasks, their comments and attached files go with it. The owner or `projects.manage` only.',
        params: idPath,
        responses: { 204: null },
        errors: [412],
      },
      async (ctx) => {
        const v = await loadProject(ctx.user, ctx.params.id);
        requireManage(v);
        ctx.ifMatch(presentProject(v.record));
        await deleteProject(v);
        return { status: 204 };
      },
    );

    // Members

    r.get(
      '/projects/:id/members',
      {
        summary: 'List a project’s members',
        description: 'By name.',
        params: idPath,
        query: listQuery,
        responses: { 200: pageOf(projectMemberOut) },
      },
      async (ctx) => {
        const { record } = await loadProject(ctx.user, ctx.params.id);
        const { limit, cursor } = ctx.query;
        const offset = offsetOf(cursor);
        const members = await membersOf(record.id);
        const page = members.slice(offset, offset + limit).map((m) => presentMember(record, m));
        return listResult(ctx, page, { limit, offset, total: members.length });
      },
    );

    r.get(
      '/projects/:id/members/:userId',
      { summary: 'Show a project member', params: memberPath, responses: { 200: projectMemberOut } },
      async (ctx) => {
        const { record } = await loadProject(ctx.user, ctx.params.id);
        return { body: presentMember(record, await loadPlace(record.id, ctx.params.userId)) };
      },
    );

    r.post(
      '/projects/:id/members',
      {
        summary: 'Add a member to a project',
        description:
          'An active staff member, as `member` (works on tasks) or `viewer` (reads only). The owner or `projects.manage` only.',
        params: idPath,
        body: memberAddSchema,
        responses: { 201: projectMemberOut },
        idempotent: true,
      },
      async (ctx) => {
        const v = await loadProject(ctx.user, ctx.params.id);
        const place = await addMember(v, ctx.body);
        return {
          status: 201,
          body: presentMember(v.record, place),
          location: `/api/v1/projects/${v.record.id}/members/${place.userId}`,
        };
      },
    );

    r.patch(
      '/projects/:id/members/:userId',
      {
        summary: 'Change a member’s role',
        description:
          'A new viewer’s tasks in the project lose their assignee. The owner keeps working on the project.',
        params: memberPath,
        body: memberRoleSchema,
        responses: { 200: projectMemberOut },
        errors: [412],
      },
      async (ctx) => {
        const v = await loadProject(ctx.user, ctx.params.id);
        requireManage(v);
        ctx.ifMatch(presentMember(v.record, await loadPlace(v.record.id, ctx.params.userId)));
        const place = await changeMemberRole(v, ctx.params.userId, ctx.body.role);
        return { body: presentMember(v.record, place) };
      },
    );

    r.delete(
      '/projects/:id/members/:userId',
      {
        summary: 'Remove a member from a project',
        description: 'Their tasks in the project lose their assignee. The owner cannot be removed (422).',
        params: memberPath,
        responses: { 204: null },
        errors: [412, 422],
      },
      async (ctx) => {
        const v = await loadProject(ctx.user, ctx.params.id);
        requireManage(v);
        ctx.ifMatch(presentMember(v.record, await loadPlace(v.record.id, ctx.params.userId)));
        await removeMember(v, ctx.params.userId);
        return { status: 204 };
      },
    );

    // Tasks

    r.get(
      '/tasks',
      {
        summary: 'List the tasks you can see',
        description:
          'The tasks of the projects you can see, filtered and sorted as on the Tasks page; archived tasks only with `archived=true`.',
        query: taskListQuery,
        responses: { 200: pageOf(taskOut) },
      },
      async (ctx) => {
        const q = ctx.query;
        const offset = offsetOf(q.cursor);
        const clock = await tenantClock();
        const search = {
          project: q.project ?? '',
          status: q.status ?? [],
          priority: q.priority ?? '',
          assignee: q.assigned_to ?? '',
          due: q.due ?? '',
          q: q.q ?? '',
          sort: q.sort,
          archived: q.archived === 'true',
          dueAfter: q.due_after,
          dueBefore: q.due_before,
        } as const;
        const { rows, total } = await findTasks(ctx.user, search, clock, { limit: q.limit, offset });
        return listResult(
          ctx,
          rows.map((t) => presentTask(t, clock.timeZone)),
          { limit: q.limit, offset, total },
        );
      },
    );

    r.get(
      '/tasks/mine',
      {
        summary: 'My open tasks, by when they are due',
        description:
          'Your open (not done, not archived) tasks in the buckets of the My tasks page: overdue, today, this week, later and no due date, in tenant time.',
        responses: { 200: myTasksOut },
      },
      async (ctx) => {
        const clock = await tenantClock();
        const groups = await myTasks(ctx.user, clock);
        const buckets = DUE_BUCKETS.map((key) => ({
          key,
          label: DUE_BUCKET_LABELS[key],
          tasks: (groups.get(key) ?? []).map((t) => presentTask(t, clock.timeZone)),
        }));
        return { body: { buckets, open: buckets.reduce((n, b) => n + b.tasks.length, 0) } };
      },
    );

    r.get(
      '/tasks/:id',
      { summary: 'Show a task', params: idPath, responses: { 200: taskOut } },
      async (ctx) => {
        const { record } = await loadTask(ctx.user, ctx.params.id);
        return { body: presentTask(record, (await tenantClock()).timeZone) };
      },
    );

    r.post(
      '/projects/:id/tasks',
      {
        summary: 'Add a task to a project',
        description:
          'Members of the project and `projects.manage`; viewers are refused. The assignee must be a working member. `dueDate` and `dueTime` are read in tenant time (a date alone means 23:59). Counts against the plan’s tasks.',
        params: idPath,
        body: taskSchema,
        responses: { 201: taskOut },
        idempotent: true,
      },
      async (ctx) => {
        const v = await loadProject(ctx.user, ctx.params.id);
        const task = await createTask(ctx.user, v, ctx.body);
        const { timeZone } = await tenantClock();
        return { status: 201, body: presentTask(task, timeZone), location: `/api/v1/tasks/${task.id}` };
      },
    );

    r.patch(
      '/tasks/:id',
      {
        summary: 'Change a task',
        description:
          'Send only the fields that change. Moving to `done` sets `completedAt`; leaving it clears it. Clearing `dueDate` clears `dueTime` too.',
        params: idPath,
        body: taskFields.partial(),
        responses: { 200: taskOut },
        errors: [412],
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.id);
        requireWork(v);
        const { timeZone } = await tenantClock();
        ctx.ifMatch(presentTask(v.record, timeZone));
        const sent = ctx.req.body as Record<string, unknown>;
        const current = taskInputOf(v.record, timeZone);
        // A due date taken away takes its time with it, unless a time is sent too.
        if ('dueDate' in sent && !sent.dueDate && !('dueTime' in sent)) current.dueTime = '';
        const input = mergePatch(taskSchema, current, sent);
        return { body: presentTask(await updateTask(ctx.user, v, input), timeZone) };
      },
    );

    r.delete(
      '/tasks/:id',
      {
        summary: 'Delete a task',
        description: 'Its comments and attached files go with it.',
        params: idPath,
        responses: { 204: null },
        errors: [412],
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.id);
        requireWork(v);
        ctx.ifMatch(presentTask(v.record, (await tenantClock()).timeZone));
        await deleteTask(v);
        return { status: 204 };
      },
    );

    r.post(
      '/tasks/:id/completion',
      {
        summary: 'Mark a task done',
        description: 'A task already done stays as it is.',
        params: idPath,
        responses: { 200: taskOut },
      },
      async (ctx) => {
        const task = await completeTask(await loadTask(ctx.user, ctx.params.id));
        return { body: presentTask(task, (await tenantClock()).timeZone) };
      },
    );

    r.delete(
      '/tasks/:id/completion',
      {
        summary: 'Reopen a done task',
        description:
          'Back to the status it had before it was done, and out of the archive (within the plan’s task limit, else 422).',
        params: idPath,
        responses: { 200: taskOut },
        errors: [422],
      },
      async (ctx) => {
        const task = await reopenTask(ctx.user, await loadTask(ctx.user, ctx.params.id));
        return { body: presentTask(task, (await tenantClock()).timeZone) };
      },
    );
  },
);
