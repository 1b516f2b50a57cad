/**
 * Comments and attachments on tasks, activity feeds, the dashboards, a user's notifications and the
 * tenant's billing. Handlers call the services the pages call: the project policy scopes comments,
 * attachments and project or task feeds (a project outside the caller's set is a 404), the feed of
 * the whole tenant shows what the activity page shows, notifications are only ever the caller's own,
 * and billing needs `billing.view` as its page does.
 */
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { currentTenantRecord } from '../../controllers/billing.controller.ts';
import { signedInUser } from '../../controllers/signed-in.ts';
import { BadRequest, HttpError, ValidationError } from '../../errors.ts';
import type { BillingEntry } from '../../models/billing-entry.ts';
import type { Attachment, Notification, TaskComment } from '../../models/index.ts';
import type { Plan } from '../../models/plan.ts';
import { PROJECT_STATUSES } from '../../models/project.ts';
import type { Task } from '../../models/task.ts';
import { TENANT_STATUSES } from '../../models/tenant.ts';
import type { User } from '../../models/user.ts';
import { loadProject, loadTask, requireWork, type Visible } from '../../policies/project.policy.ts';
import {
  type FeedItem,
  feedSlice,
  recentWork,
  sentence,
  taskEntriesWhere,
  visibleEntriesWhere,
} from '../../services/activity.ts';
import { FILE_KINDS, readApiUpload, showsInline } from '../../services/attachments.ts';
import { billingSummary, type Meter } from '../../services/billing.ts';
import { ledgerSlice } from '../../services/billing-ledger.ts';
import { dashboardFor } from '../../services/dashboard.ts';
import { handlesOf, mentionablePeople } from '../../services/mentions.ts';
import {
  markAllRead,
  markRead,
  NOTIFICATION_KINDS,
  notificationsOf,
  unreadCount,
} from '../../services/notifications.ts';
import {
  commentSlice,
  deleteComment,
  editComment,
  loadComment,
  mayDelete,
  mayEdit,
  postComment,
  requireEdit,
} from '../../services/work/comments.ts';
import {
  addAttachment,
  attachmentSlice,
  deleteAttachment,
  loadAttachment,
  mayRemove,
  sendAttachment,
} from '../../services/work/task-attachments.ts';
import { dashboardFor as workDashboardFor } from '../../services/work-dashboard.ts';
import { commentSchema } from '../../validators/comment.validator.ts';
import { apiRoutes, mergePatch } from '../kit.ts';
import { listResult, offsetOf } from '../pagination.ts';
import { day, idPath, idString, listQuery, pageOf, timestamp } from '../schemas.ts';

// ---------------------------------------------------------------------------------------------
// Representations

const person = z
  .object({ id: idString, name: z.string() })
  .meta({ id: 'AccountRef', description: 'A staff account, by id and name.' });

export const commentOut = z
  .object({
    id: idString,
    taskId: idString,
    author: person.nullable().meta({ description: 'null once the account is gone.' }),
    body: z.string().meta({ description: 'The text as written, `@handles` included.' }),
    mentions: z
      .array(person)
      .meta({ description: 'The people of the project it mentions; each was notified (but its author).' }),
    createdAt: timestamp,
    editedAt: timestamp.nullable(),
    canEdit: z.boolean().meta({ description: 'Whether the caller may change it now.' }),
    canDelete: z.boolean().meta({ description: 'Whether the caller may delete it now.' }),
  })
  .meta({ id: 'Comment' });

function presentComment(v: Visible<Task>, c: TaskComment, user: User): z.output<typeof commentOut> {
  return {
    id: String(c.id),
    taskId: String(c.taskId),
    author: c.author ? { id: String(c.author.id), name: c.author.name } : null,
    body: c.body,
    mentions: (c.mentioned ?? [])
      .map((m) => ({ id: String(m.id), name: m.name }))
      .sort((a, b) => a.name.localeCompare(b.name) || Number(a.id) - Number(b.id)),
    createdAt: c.createdAt.toISOString(),
    editedAt: c.editedAt ? c.editedAt.toISOString() : null,
    canEdit: v.canWork && mayEdit(c, user),
    canDelete: v.canWork && mayDelete(c, user),
  };
}

export const mentionableOut = z
  .object({
    id: idString,
    name: z.string(),
    handle: z
      .string()
      .meta({ description: 'Write `@` and this in a comment to mention them.', example: 'ana' }),
  })
  .meta({ id: 'MentionablePerson' });

export const attachmentOut = z
  .object({
    id: idString,
    taskId: idString,
    fileName: z.string(),
    contentType: z
      .string()
      .meta({ description: "The type of the file's extension (never the declared one)." }),
    sizeBytes: z.number().int(),
    uploadedBy: person.nullable(),
    createdAt: timestamp,
    inline: z.boolean().meta({ description: 'Images and PDF are sent to be shown; the rest as downloads.' }),
    canDelete: z.boolean(),
    contentUrl: z.string().meta({ description: 'Where the bytes are (same authorisation).' }),
  })
  .meta({ id: 'Attachment' });

function presentAttachment(v: Visible<Task>, a: Attachment, user: User): z.output<typeof attachmentOut> {
  return {
    id: String(a.id),
    taskId: String(a.taskId),
    fileName: a.fileName,
    contentType: a.contentType,
    sizeBytes: a.sizeBytes,
    uploadedBy: a.uploader ? { id: String(a.uploader.id), name: a.uploader.name } : null,
    createdAt: a.createdAt.toISOString(),
    inline: showsInline(a.contentType),
    canDelete: v.canWork && mayRemove(a, user),
    contentUrl: `/api/v1/tasks/${a.taskId}/attachments/${a.id}/content`,
  };
}

export const activityOut = z
  .object({
    id: idString,
    action: z.string().meta({ example: 'task.completed' }),
    actor: z.string().meta({ description: 'Who did it ("Steward" for the system).' }),
    text: z.string().meta({
      description: 'The sentence, the record name between asterisks.',
      example: 'Ana completed *Fix roof*',
    }),
    before: z.string().meta({ description: "The words between the actor and the record's name." }),
    label: z.string().nullable().meta({ description: "The record's name; null when the entry names none." }),
    after: z.string().meta({ description: "The words after the record's name." }),
    href: z.string().nullable().meta({ description: 'The page of the record while it exists.' }),
    createdAt: timestamp,
  })
  .meta({ id: 'ActivityItem' });

function presentActivity(item: FeedItem): z.output<typeof activityOut> {
  return {
    id: item.id,
    action: item.action,
    actor: item.actor,
    text: sentence(item),
    before: item.before,
    label: item.label,
    after: item.after,
    href: item.href,
    createdAt: item.iso,
  };
}

const cents = z.number().int().meta({ description: 'An amount in integer cents.', example: 102007 });
const count = z.number().int().min(0);

const period = z.object({ from: day, to: day, amountCents: cents, contributions: count });

const workFigures = z
  .object({
    openTasks: count,
    overdue: count,
    dueThisWeek: count,
    completedThisWeek: count,
    myOpenTasks: count,
    projects: count,
    projectsByStatus: z.object(Object.fromEntries(PROJECT_STATUSES.map((s) => [s, count]))),
    weekStart: day,
    timeZone: z.string(),
    computedAt: timestamp.meta({
      description: 'When the figures were computed (they are cached up to a minute).',
    }),
  })
  .meta({ id: 'WorkFigures' });

export const homeDashboardOut = z
  .object({
    today: day.meta({ description: "Today in the tenant's time zone." }),
    people: z
      .object({
        total: count,
        newThisMonth: count,
        byStatus: z.object({ member: count, regular: count, visitor: count, inactive: count }),
      })
      .nullable()
      .meta({ description: 'Needs `members.view`; null otherwise.' }),
    attendance: z
      .array(z.object({ from: day, to: day, services: count, present: count, visitors: count, total: count }))
      .nullable()
      .meta({
        description: 'Services of the last eight seven-day windows, oldest first; needs `members.view`.',
      }),
    giving: z
      .object({
        thisMonth: period,
        lastMonth: period,
        percentOfLastMonth: z.number().nullable(),
      })
      .nullable()
      .meta({ description: 'Income this month so far and last month; needs `finance.stats`.' }),
    upcoming: z.array(
      z.object({
        id: idString,
        title: z.string(),
        kind: z.enum(['service', 'group_meeting']),
        groupName: z.string().nullable(),
        startsAt: timestamp,
      }),
    ),
    groups: z.array(z.object({ id: idString, name: z.string(), members: count, leads: z.boolean() })),
    memberId: idString
      .nullable()
      .meta({ description: "The directory record linked to the caller's account." }),
    work: workFigures,
  })
  .meta({ id: 'HomeDashboard' });

export const workDashboardOut = z
  .object({ figures: workFigures, recent: z.array(activityOut) })
  .meta({ id: 'WorkDashboard' });

async function presentWorkFigures(user: User): Promise<z.output<typeof workFigures>> {
  const d = await workDashboardFor(user);
  return {
    openTasks: d.openTasks,
    overdue: d.overdue,
    dueThisWeek: d.dueThisWeek,
    completedThisWeek: d.completedThisWeek,
    myOpenTasks: d.myOpenTasks,
    projects: d.projects,
    projectsByStatus: d.projectsByStatus,
    weekStart: d.weekStart,
    timeZone: d.timeZone,
    computedAt: d.computedAt,
  };
}

export const notificationOut = z
  .object({
    id: idString,
    kind: z.enum(NOTIFICATION_KINDS),
    title: z.string(),
    body: z.string().nullable(),
    url: z.string().nullable().meta({ description: 'A path of the tenant site it is about.' }),
    read: z.boolean(),
    readAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Notification' });

function presentNotification(n: Notification): z.output<typeof notificationOut> {
  return {
    id: String(n.id),
    kind: n.kind as (typeof NOTIFICATION_KINDS)[number],
    title: n.title,
    body: n.body,
    url: n.url,
    read: n.readAt !== null,
    readAt: n.readAt ? n.readAt.toISOString() : null,
    createdAt: n.createdAt.toISOString(),
  };
}

const planOut = z
  .object({
    code: z.string(),
    name: z.string(),
    pricePerMonthCents: cents,
    maxProjects: count.nullable().meta({ description: 'null: unlimited.' }),
    maxTasks: count.nullable(),
    maxMembers: count.nullable(),
  })
  .meta({ id: 'BillingPlan' });

function presentPlan(p: Plan): z.output<typeof planOut> {
  return {
    code: p.code,
    name: p.name,
    pricePerMonthCents: p.pricePerMonthCents,
    maxProjects: p.maxProjects,
    maxTasks: p.maxTasks,
    maxMembers: p.maxMembers,
  };
}

export const billingOut = z
  .object({
    status: z.enum(TENANT_STATUSES),
    planCode: z.string(),
    plan: planOut.nullable().meta({ description: 'null when the plan code names no plan.' }),
    currency: z.literal('USD'),
    creditCents: cents.meta({ description: 'The credit balance; negative when owed.' }),
    daysLeft: count
      .nullable()
      .meta({ description: "Days the credit lasts at the plan's price; null on a free plan." }),
    lastsUntil: day.nullable().meta({ description: 'The last day the credit covers.' }),
    onTrial: z.boolean(),
    trialEndsAt: timestamp.nullable(),
    pastDueSince: day.nullable(),
    suspendsOn: day
      .nullable()
      .meta({ description: 'Past due only: the day it is suspended unless credit comes.' }),
  })
  .meta({ id: 'Billing' });

export const ledgerEntryOut = z
  .object({
    id: idString,
    day,
    kind: z.enum(['charge', 'top_up', 'adjustment']),
    label: z.string().meta({ example: 'Daily charge' }),
    amountCents: cents.meta({ description: 'Negative for a charge.' }),
    balanceAfterCents: cents,
    note: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'LedgerEntry' });

function presentEntry(e: BillingEntry): z.output<typeof ledgerEntryOut> {
  return {
    id: String(e.id),
    day: e.day,
    kind: e.kind,
    label: e.kindLabel,
    amountCents: Number(e.amountCents),
    balanceAfterCents: Number(e.balanceAfterCents),
    note: e.note,
    createdAt: e.createdAt.toISOString(),
  };
}

export const usageOut = z
  .object({
    plan: planOut.nullable(),
    meters: z.array(
      z.object({
        key: z.enum(['projects', 'tasks', 'members']),
        label: z.string(),
        used: count,
        limit: count.nullable().meta({ description: 'null: unlimited.' }),
        percent: z.number().int().min(0).max(100),
        over: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'Usage' });

function presentMeter(m: Meter) {
  return { key: m.key, label: m.label, used: m.used, limit: m.limit, percent: m.percent, over: m.over };
}

// ---------------------------------------------------------------------------------------------
// Inputs

const taskPath = z.object({ taskId: idString });

/** The types a stored attachment can have: those of the allowed extensions. */
const STORED_TYPES = [...new Set(Object.values(FILE_KINDS).map((k) => k.type))];
const childPath = z.object({ taskId: idString, id: idString });

/** The upload's text fields: none but the file. */
const attachmentBody = z.object({
  file: z
    .string()
    .meta({
      format: 'binary',
      description:
        'The file (required): PDF, images, text, CSV or an Office or OpenDocument file, recognised by its content.',
    })
    .optional(),
});

const notificationsQuery = listQuery.extend({
  unread: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .meta({ description: 'true: only the unread ones.' }),
});

/**
 * Before a comment's body is read, as on the page: the task must be one the caller works on (404
 * outside the project, 403 for a viewer), so those refusals come before any complaint about the body.
 */
async function workOnTask(req: Request, res: Response, next: NextFunction): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.taskId);
  requireWork(v);
  res.locals.task = v;
  next();
}

/** Before a change is read: the comment must be the task's, and the caller its author within the window. */
async function changeComment(req: Request, res: Response, next: NextFunction): Promise<void> {
  const user = signedInUser(req);
  const v = await loadTask(user, req.params.taskId);
  requireWork(v);
  const comment = await loadComment(v, req.params.id, { withPeople: true });
  requireEdit(comment, user);
  res.locals.task = v;
  res.locals.comment = comment;
  next();
}

/**
 * Before an upload is read: the task must be one the caller works on (404 or 403 otherwise, as on
 * the page, so nobody else's bytes are read); then the file is read with the page's limits.
 */
async function attachmentUpload(req: Request, res: Response, next: NextFunction): Promise<void> {
  const v = await loadTask(signedInUser(req), req.params.taskId);
  requireWork(v);
  res.locals.task = v;
  const refused = await readApiUpload(req, res);
  if (!refused) return next();
  if (refused.status === 422) throw new ValidationError({ file: refused.message }, refused.message);
  if (refused.status === 400) throw new BadRequest(refused.message);
  throw new HttpError(refused.status, refused.message);
}

/** The task a `before` step loaded and checked. */
function checkedTask(ctx: { res: Response }): Visible<Task> {
  return ctx.res.locals.task as Visible<Task>;
}

function commentsBody(v: Visible<Task>, user: User, rows: TaskComment[]) {
  return rows.map((c) => presentComment(v, c, user));
}

// ---------------------------------------------------------------------------------------------
// Routes

export default apiRoutes(
  {
    tag: 'Collaboration',
    host: 'tenant',
    description:
      'Comments and attachments on tasks, activity feeds, dashboards, your notifications and billing.',
  },
  (r) => {
    // Comments -----------------------------------------------------------------------------------

    r.get(
      '/tasks/:taskId/comments',
      {
        summary: "List a task's comments",
        description: 'Oldest first, as the task page shows them.',
        params: taskPath,
        query: listQuery,
        responses: { 200: pageOf(commentOut) },
        errors: [404],
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.taskId);
        const { limit, cursor } = ctx.query;
        const offset = offsetOf(cursor);
        const { rows, total } = await commentSlice(v, { limit, offset });
        return listResult(ctx, commentsBody(v, ctx.user, rows), { limit, offset, total });
      },
    );

    r.get(
      '/tasks/:taskId/comments/:id',
      {
        summary: 'Show a comment',
        params: childPath,
        responses: { 200: commentOut },
        errors: [404],
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.taskId);
        const comment = await loadComment(v, ctx.params.id, { withPeople: true });
        return { body: presentComment(v, comment, ctx.user) };
      },
    );

    r.post(
      '/tasks/:taskId/comments',
      {
        summary: 'Comment on a task',
        description:
          'The people of the project named with `@handle` are mentioned and notified, and the assignee is told, as on the page. Project viewers cannot comment (403).',
        params: taskPath,
        body: commentSchema,
        responses: { 201: commentOut },
        errors: [403, 404],
        idempotent: true,
        before: [workOnTask],
      },
      async (ctx) => {
        const v = checkedTask(ctx);
        const posted = await postComment(v, ctx.user, ctx.body);
        const comment = await loadComment(v, posted.id, { withPeople: true });
        return {
          status: 201,
          body: presentComment(v, comment, ctx.user),
          location: `/api/v1/tasks/${v.record.id}/comments/${comment.id}`,
        };
      },
    );

    r.patch(
      '/tasks/:taskId/comments/:id',
      {
        summary: 'Change a comment',
        description:
          'Its author, in the first 15 minutes after posting (403 otherwise). People newly mentioned are notified.',
        params: childPath,
        body: commentSchema.partial(),
        responses: { 200: commentOut },
        errors: [403, 404, 412],
        before: [changeComment],
      },
      async (ctx) => {
        const v = checkedTask(ctx);
        const comment = ctx.res.locals.comment as TaskComment;
        ctx.ifMatch(presentComment(v, comment, ctx.user));
        await editComment(v, comment, ctx.user, mergePatch(commentSchema, { body: comment.body }, ctx.body));
        const changed = await loadComment(v, comment.id, { withPeople: true });
        return { body: presentComment(v, changed, ctx.user) };
      },
    );

    r.delete(
      '/tasks/:taskId/comments/:id',
      {
        summary: 'Delete a comment',
        description: 'Its author in the first 15 minutes, or a project manager (403 otherwise).',
        params: childPath,
        responses: { 204: null },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.taskId);
        requireWork(v);
        const comment = await loadComment(v, ctx.params.id, { withPeople: true });
        ctx.ifMatch(presentComment(v, comment, ctx.user));
        await deleteComment(v, comment, ctx.user);
        return { status: 204 };
      },
    );

    r.get(
      '/tasks/:taskId/mentionable',
      {
        summary: 'Who can be mentioned on a task',
        description:
          "The project's active members, viewers and owner, each with the handle that names them alone, by name.",
        params: taskPath,
        query: listQuery,
        responses: { 200: pageOf(mentionableOut) },
        errors: [404],
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.taskId);
        const { limit, cursor } = ctx.query;
        const offset = offsetOf(cursor);
        const people = v.record.project ? await mentionablePeople(v.record.project) : [];
        const all = handlesOf(people).map(({ handle, person: p }) => ({
          id: String(p.id),
          name: p.name,
          handle,
        }));
        return listResult(ctx, all.slice(offset, offset + limit), { limit, offset, total: all.length });
      },
    );

    // Attachments --------------------------------------------------------------------------------

    r.get(
      '/tasks/:taskId/attachments',
      {
        summary: "List a task's attachments",
        description: 'Newest first.',
        params: taskPath,
        query: listQuery,
        responses: { 200: pageOf(attachmentOut) },
        errors: [404],
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.taskId);
        const { limit, cursor } = ctx.query;
        const offset = offsetOf(cursor);
        const { rows, total } = await attachmentSlice(v, { limit, offset });
        return listResult(
          ctx,
          rows.map((a) => presentAttachment(v, a, ctx.user)),
          { limit, offset, total },
        );
      },
    );

    r.post(
      '/tasks/:taskId/attachments',
      {
        summary: 'Attach a file to a task',
        description:
          'Multipart, the file in `file`. The same checks as the page: an allowed extension, a declared type that fits it, content that is that kind of file, and the size limit (413). Project viewers cannot attach (403). A retry with the same `Idempotency-Key` gets the first answer without the file being compared.',
        params: taskPath,
        body: attachmentBody,
        bodyType: 'multipart',
        before: [attachmentUpload],
        responses: { 201: attachmentOut },
        errors: [403, 404, 413],
        idempotent: true,
      },
      async (ctx) => {
        const v = checkedTask(ctx);
        const added = await addAttachment(v, ctx.user, ctx.req.file);
        const attachment = await loadAttachment(v, added.id, { withUploader: true });
        return {
          status: 201,
          body: presentAttachment(v, attachment, ctx.user),
          location: `/api/v1/tasks/${v.record.id}/attachments/${attachment.id}`,
        };
      },
    );

    r.get(
      '/tasks/:taskId/attachments/:id',
      {
        summary: 'Show an attachment',
        params: childPath,
        responses: { 200: attachmentOut },
        errors: [404],
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.taskId);
        const attachment = await loadAttachment(v, ctx.params.id, { withUploader: true });
        return { body: presentAttachment(v, attachment, ctx.user) };
      },
    );

    r.get(
      '/tasks/:taskId/attachments/:id/content',
      {
        summary: "Download an attachment's file",
        description:
          'With the type of its extension; images and PDF inline, the rest as a download, never cached. 404 outside the project, or when the file is missing.',
        params: childPath,
        responses: { 200: null },
        errors: [404],
        download: STORED_TYPES,
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.taskId);
        await sendAttachment(ctx.res, await loadAttachment(v, ctx.params.id));
        return undefined;
      },
    );

    r.delete(
      '/tasks/:taskId/attachments/:id',
      {
        summary: 'Remove an attachment',
        description:
          'The person who attached it or a project manager (403 otherwise). The file goes with it.',
        params: childPath,
        responses: { 204: null },
        errors: [403, 404, 412],
      },
      async (ctx) => {
        const v = await loadTask(ctx.user, ctx.params.taskId);
        requireWork(v);
        const attachment = await loadAttachment(v, ctx.params.id, { withUploader: true });
        ctx.ifMatch(presentAttachment(v, attachment, ctx.user));
        await deleteAttachment(v, attachment, ctx.user);
        return { status: 204 };
      },
    );

    // Activity -----------------------------------------------------------------------------------

    r.get(
      '/activity',
      {
        summary: 'The activity feed',
        description:
          'Newest first, what the activity page shows: every entry for those who may read the audit log (`audit.view`), otherwise the entries of the projects the caller can see.',
        query: listQuery,
        responses: { 200: pageOf(activityOut) },
      },
      async (ctx) => {
        const { limit, cursor } = ctx.query;
        const offset = offsetOf(cursor);
        const { items, total } = await feedSlice(await visibleEntriesWhere(ctx.user), { limit, offset });
        return listResult(ctx, items.map(presentActivity), { limit, offset, total });
      },
    );

    r.get(
      '/projects/:id/activity',
      {
        summary: "A project's activity",
        params: idPath,
        query: listQuery,
        responses: { 200: pageOf(activityOut) },
        errors: [404],
      },
      async (ctx) => {
        const { record: project } = await loadProject(ctx.user, ctx.params.id);
        const { limit, cursor } = ctx.query;
        const offset = offsetOf(cursor);
        const { items, total } = await feedSlice({ projectId: project.id }, { limit, offset });
        return listResult(ctx, items.map(presentActivity), { limit, offset, total });
      },
    );

    r.get(
      '/tasks/:id/activity',
      {
        summary: "A task's activity",
        description: 'The entries of the task and of its comments and attachments, deleted ones included.',
        params: idPath,
        query: listQuery,
        responses: { 200: pageOf(activityOut) },
        errors: [404],
      },
      async (ctx) => {
        const { record: task } = await loadTask(ctx.user, ctx.params.id);
        const { limit, cursor } = ctx.query;
        const offset = offsetOf(cursor);
        const { items, total } = await feedSlice(taskEntriesWhere(task), { limit, offset });
        return listResult(ctx, items.map(presentActivity), { limit, offset, total });
      },
    );

    // Dashboards ---------------------------------------------------------------------------------

    r.get(
      '/dashboard',
      {
        summary: 'The home dashboard',
        description:
          "The figures the home page shows the caller: each block only when the caller's level allows it (null otherwise), and the work figures of the projects they can see.",
        responses: { 200: homeDashboardOut },
      },
      async (ctx) => {
        const [d, work] = await Promise.all([dashboardFor(ctx.user), presentWorkFigures(ctx.user)]);
        const periodOf = (p: { from: string; to: string; cents: string; count: number }) => ({
          from: p.from,
          to: p.to,
          amountCents: Number(p.cents),
          contributions: p.count,
        });
        return {
          body: {
            today: d.today,
            people: d.people,
            attendance: d.attendance,
            giving: d.giving && {
              thisMonth: periodOf(d.giving.thisMonth),
              lastMonth: periodOf(d.giving.lastMonth),
              percentOfLastMonth: d.giving.percentOfLastMonth,
            },
            upcoming: d.upcoming.map((e) => ({
              id: e.id,
              title: e.title,
              kind: e.kind,
              groupName: e.groupName,
              startsAt: e.startsAt.toISOString(),
            })),
            groups: d.groups,
            memberId: d.memberId,
            work,
          },
        };
      },
    );

    r.get(
      '/work/dashboard',
      {
        summary: 'The work dashboard',
        description:
          'The work page: figures over the projects the caller can see (cached per tenant and scope for up to a minute, made stale by any change to the work), and the latest ten entries of their activity.',
        responses: { 200: workDashboardOut },
      },
      async (ctx) => {
        const [figures, recent] = await Promise.all([presentWorkFigures(ctx.user), recentWork(ctx.user, 10)]);
        return { body: { figures, recent: recent.map(presentActivity) } };
      },
    );

    // Notifications ------------------------------------------------------------------------------

    r.get(
      '/notifications',
      {
        summary: 'Your notifications',
        description: 'Newest first; only your own.',
        query: notificationsQuery,
        responses: { 200: pageOf(notificationOut) },
      },
      async (ctx) => {
        const { limit, cursor, unread } = ctx.query;
        const offset = offsetOf(cursor);
        const { rows, total } = await notificationsOf(ctx.user.id, { limit, offset, unread });
        return listResult(ctx, rows.map(presentNotification), { limit, offset, total });
      },
    );

    r.get(
      '/notifications/unread-count',
      {
        summary: 'How many of your notifications are unread',
        responses: { 200: z.object({ count }).meta({ id: 'UnreadCount' }) },
      },
      async (ctx) => ({ body: { count: await unreadCount(ctx.user.id) } }),
    );

    r.post(
      '/notifications/read-all',
      {
        summary: 'Mark all your notifications read',
        responses: { 200: z.object({ marked: count.meta({ description: 'How many were unread.' }) }) },
      },
      async (ctx) => ({ body: { marked: await markAllRead(ctx.user.id) } }),
    );

    r.post(
      '/notifications/:id/read',
      {
        summary: 'Mark one of your notifications read',
        description: "Reading it again changes nothing. Someone else's notification is a 404.",
        params: idPath,
        responses: { 200: notificationOut },
        errors: [404],
      },
      async (ctx) => ({ body: presentNotification(await markRead(ctx.user.id, ctx.params.id)) }),
    );

    // Billing ------------------------------------------------------------------------------------

    r.get(
      '/billing',
      {
        summary: "The organisation's billing",
        description: 'Credit balance, plan, status and trial, as the billing page shows them.',
        capability: 'billing.view',
        responses: { 200: billingOut },
        errors: [403],
      },
      async (ctx) => {
        const tenant = await currentTenantRecord(ctx.req);
        const summary = await billingSummary(tenant, 1);
        return {
          body: {
            status: tenant.status,
            planCode: tenant.plan,
            plan: summary.plan && presentPlan(summary.plan),
            currency: 'USD' as const,
            creditCents: Number(tenant.creditCents),
            daysLeft: summary.daysLeft,
            lastsUntil: summary.lastsUntil,
            onTrial: tenant.onTrial,
            trialEndsAt: tenant.trialEndsAt ? tenant.trialEndsAt.toISOString() : null,
            pastDueSince: tenant.pastDueSince ?? null,
            suspendsOn: summary.suspendsOn,
          },
        };
      },
    );

    r.get(
      '/billing/ledger',
      {
        summary: 'The credit ledger',
        description: 'Daily charges, top-ups and adjustments, newest first, each with the balance it left.',
        capability: 'billing.view',
        query: listQuery,
        responses: { 200: pageOf(ledgerEntryOut) },
        errors: [403],
      },
      async (ctx) => {
        const tenant = await currentTenantRecord(ctx.req);
        const { limit, cursor } = ctx.query;
        const offset = offsetOf(cursor);
        const { rows, total } = await ledgerSlice(String(tenant.id), { limit, offset });
        return listResult(ctx, rows.map(presentEntry), { limit, offset, total });
      },
    );

    r.get(
      '/billing/usage',
      {
        summary: "Usage against the plan's limits",
        description:
          'Projects, tasks (archived ones left out) and active staff accounts against the limits of the plan, as the billing page shows them.',
        capability: 'billing.view',
        responses: { 200: usageOut },
        errors: [403],
      },
      async (ctx) => {
        const summary = await billingSummary(await currentTenantRecord(ctx.req), 1);
        return {
          body: { plan: summary.plan && presentPlan(summary.plan), meters: summary.meters.map(presentMeter) },
        };
      },
    );
  },
);
