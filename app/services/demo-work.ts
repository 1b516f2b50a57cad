import type { CreationAttributes } from 'sequelize';
import { db } from '../db/database.ts';
import { lockForTransaction } from '../db/locks.ts';
import {
  Attachment,
  AuditLog,
  CommentMention,
  Project,
  ProjectMember,
  Task,
  TaskComment,
  User,
} from '../models/index.ts';
import type { ProjectStatus } from '../models/project.ts';
import type { TaskPriority, TaskStatus } from '../models/task.ts';
import { requireTenant } from '../tenancy/context.ts';
import { Random, seedOf } from './demo/random.ts';
import { tenantTimeZone } from './local-time.ts';
import { fileStore } from './storage.ts';
import { weekOf } from './work-dashboard.ts';

/**
 * Demo projects for the current tenant: a company gets five projects with about 300 tasks across
 * statuses, priorities, people and due dates (some overdue, some due this week), about 100 comments
 * (some mentioning a colleague), one small text file, and the activity that goes with them; a church
 * gets two ministry projects with about 30 tasks. The existing staff become project members.
 * A tenant that already has projects is left alone (the answer is then null).
 */

export interface WorkDemoCounts {
  projects: number;
  memberships: number;
  tasks: number;
  comments: number;
  mentions: number;
  attachments: number;
  activity: number;
}

interface ProjectPlan {
  name: string;
  description: string;
  status: ProjectStatus;
  tasks: number;
  /** Things to do, combined with `objects` into task titles. */
  verbs: string[];
  objects: string[];
}

const COMPANY: ProjectPlan[] = [
  {
    name: 'Website relaunch',
    description: 'New site, new content, faster pages.',
    status: 'active',
    tasks: 80,
    verbs: ['Design', 'Write', 'Review', 'Test', 'Publish', 'Fix'],
    objects: [
      'home page',
      'pricing page',
      'blog layout',
      'contact form',
      'navigation',
      'search',
      'footer',
      'careers page',
      'product tour',
      'image sizes',
      'redirects',
      'page titles',
      'cookie banner',
      'sign-up flow',
    ],
  },
  {
    name: 'Office move',
    description: 'Move the team to the new floor by the end of the quarter.',
    status: 'active',
    tasks: 70,
    verbs: ['Book', 'Order', 'Plan', 'Pack', 'Label', 'Check'],
    objects: [
      'movers',
      'desks',
      'meeting room screens',
      'network cabling',
      'kitchen',
      'keys and badges',
      'printer',
      'storage boxes',
      'seating plan',
      'parking passes',
      'fire exits',
      'plants',
    ],
  },
  {
    name: 'Customer onboarding',
    description: 'Shorter time from signature to first value.',
    status: 'active',
    tasks: 60,
    verbs: ['Draft', 'Record', 'Automate', 'Review', 'Measure', 'Update'],
    objects: [
      'welcome e-mail',
      'setup checklist',
      'kick-off call script',
      'training video',
      'import guide',
      'health score',
      'handover notes',
      'FAQ',
      'first-week survey',
      'account plan',
    ],
  },
  {
    name: 'Annual audit',
    description: 'Everything the auditors ask for, in one place.',
    status: 'on_hold',
    tasks: 50,
    verbs: ['Collect', 'Reconcile', 'Scan', 'Sign', 'Send', 'Check'],
    objects: [
      'bank statements',
      'invoices',
      'payroll records',
      'contracts',
      'expense claims',
      'asset register',
      'VAT returns',
      'board minutes',
      'insurance policies',
    ],
  },
  {
    name: 'Hiring plan',
    description: 'Roles, budget and interview panels for next year.',
    status: 'planning',
    tasks: 40,
    verbs: ['Write', 'Agree', 'Schedule', 'Prepare', 'Post'],
    objects: [
      'job description',
      'salary bands',
      'interview questions',
      'panel',
      'take-home exercise',
      'offer letter',
      'onboarding buddy list',
      'referral bonus',
    ],
  },
];

const CHURCH: ProjectPlan[] = [
  {
    name: 'Easter services',
    description: 'Services, music and hospitality for Easter weekend.',
    status: 'active',
    tasks: 16,
    verbs: ['Plan', 'Rehearse', 'Print', 'Prepare', 'Invite'],
    objects: [
      'Good Friday service',
      'Easter Sunday music',
      'order of service',
      'flowers',
      'children’s programme',
      'welcome team',
      'coffee after service',
      'sound check',
    ],
  },
  {
    name: 'Youth camp',
    description: 'A weekend away for the youth group.',
    status: 'planning',
    tasks: 14,
    verbs: ['Book', 'Collect', 'Plan', 'Buy', 'Confirm'],
    objects: [
      'campsite',
      'consent forms',
      'bus',
      'menu',
      'games',
      'leaders rota',
      'first-aid kit',
      'Bible study notes',
    ],
  },
];

const COMMENTS = [
  'Started on this today.',
  'Can we move the due date by a few days?',
  'Done on my side, please have a look.',
  'I found a problem, details below.',
  'Waiting for the supplier to answer.',
  'Looks good to me.',
  'I updated the checklist.',
  'Let us talk about this at the weekly meeting.',
];

const DAY = 86_400_000;

/** Fills the current tenant with demo projects; null when it already has some. */
export async function seedWorkDemo(
  opts: { size?: 'full' | 'small'; now?: Date } = {},
): Promise<WorkDemoCounts | null> {
  const tenant = requireTenant();
  const sequelize = db();
  return sequelize.transaction(async () => {
    // Two runs at once queue here; the second then finds the projects of the first.
    await lockForTransaction(`steward:demo-work:${tenant.schema}`);
    if ((await Project.count()) > 0) return null;
    const users = await User.findAll({ where: { active: true }, include: ['roles'], order: [['id', 'ASC']] });
    if (users.length === 0) return null;
    const plans = tenant.kind === 'church' ? CHURCH : COMPANY;
    const small = opts.size === 'small';
    return new DemoWork(users, opts.now ?? new Date(), await tenantTimeZone(), seedOf(tenant.schema)).insert(
      small ? plans.slice(0, 3).map((p) => ({ ...p, tasks: Math.max(6, Math.round(p.tasks / 5)) })) : plans,
      small ? 0.2 : 1,
    );
  });
}

/** One demo fill: plans rows in memory, then inserts them table by table with multi-row INSERTs. */
class DemoWork {
  private readonly random: Random;
  private readonly activity: CreationAttributes<AuditLog>[] = [];
  private readonly weekEnd: number;

  constructor(
    private readonly users: User[],
    private readonly now: Date,
    timeZone: string,
    seed: number,
  ) {
    this.random = new Random(seed);
    this.weekEnd = weekOf(now, timeZone).end.getTime();
  }

  async insert(plans: ProjectPlan[], commentShare: number): Promise<WorkDemoCounts> {
    const owner = [...this.users].sort((a, b) => a.permissionLevel - b.permissionLevel)[0];
    const projects = await Project.bulkCreate(
      plans.map((p) => ({
        name: p.name,
        description: p.description,
        status: p.status,
        startsOn: new Date(this.now.getTime() - 84 * DAY).toISOString().slice(0, 10),
        endsOn: null,
        ownerId: owner.id,
        createdAt: this.ago(84),
      })),
      { returning: true },
    );
    const members = new Map<string, User[]>();
    const memberships: CreationAttributes<ProjectMember>[] = [];
    projects.forEach((project, i) => {
      // Plain members (level 5) are in every other project, so their pages show a narrower view.
      const team = this.users.filter((u) => u.permissionLevel < 5 || i % 2 === 0);
      members.set(project.id, team);
      for (const u of team) memberships.push({ projectId: project.id, userId: u.id, role: 'member' });
      this.log(owner, 'project.created', 'project', project.id, project.name, project.id, this.ago(84));
      for (const u of team)
        if (u.id !== owner.id)
          this.log(
            owner,
            'project.member_added',
            'project',
            project.id,
            project.name,
            project.id,
            this.ago(83),
            {
              userId: { from: null, to: String(u.id) },
              role: { from: null, to: 'member' },
            },
          );
    });
    await ProjectMember.bulkCreate(memberships);

    const taskRows = projects.flatMap((project, i) =>
      this.planTasks(project, plans[i], members.get(project.id) ?? []),
    );
    const tasks = await Task.bulkCreate(taskRows, { returning: true });
    for (const t of tasks) {
      const creator = this.userById(t.createdBy);
      this.log(creator, 'task.created', 'task', t.id, t.title, t.projectId, t.createdAt);
      if (t.status === 'done' && t.completedAt)
        this.log(
          this.userById(t.assigneeId) ?? creator,
          'task.completed',
          'task',
          t.id,
          t.title,
          t.projectId,
          t.completedAt,
          {
            status: { from: 'review', to: 'done' },
          },
        );
    }

    const { comments, mentions } = await this.insertComments(tasks, members, commentShare);
    await this.insertAttachment(tasks, owner);
    const activity = await AuditLog.bulkCreate(this.activity);
    return {
      projects: projects.length,
      memberships: memberships.length,
      tasks: tasks.length,
      comments,
      mentions,
      attachments: 1,
      activity: activity.length,
    };
  }

  private planTasks(project: Project, plan: ProjectPlan, team: User[]): CreationAttributes<Task>[] {
    const r = this.random;
    const titles = plan.verbs.flatMap((v) => plan.objects.map((o) => `${v} ${o}`));
    return r.sample(titles, plan.tasks).map((title) => {
      const status = r.weighted<TaskStatus>([
        ['done', 40],
        ['todo', 25],
        ['in_progress', 20],
        ['review', 15],
      ]);
      const created = this.ago(r.int(3, 80));
      const assignee = r.chance(0.85) && team.length ? r.pick(team) : null;
      const completedAt =
        status === 'done'
          ? new Date(created.getTime() + r.next() * (this.now.getTime() - created.getTime()))
          : null;
      return {
        projectId: project.id,
        title,
        description: null,
        priority: r.weighted<TaskPriority>([
          ['low', 20],
          ['medium', 45],
          ['high', 25],
          ['urgent', 10],
        ]),
        status,
        assigneeId: assignee?.id ?? null,
        dueAt: this.dueDate(completedAt),
        completedAt,
        createdBy: (team.length ? r.pick(team) : this.users[0]).id,
        createdAt: created,
        updatedAt: completedAt ?? created,
      };
    });
  }

  /** Open tasks: a fifth overdue, a quarter due later this week, most of the rest later, a few undated. */
  private dueDate(completedAt: Date | null): Date | null {
    const r = this.random;
    const now = this.now.getTime();
    if (completedAt) return new Date(completedAt.getTime() + r.int(-3, 5) * DAY);
    const kind = r.weighted([
      ['overdue', 20],
      ['week', 25],
      ['later', 45],
      ['none', 10],
    ] as const);
    if (kind === 'none') return null;
    if (kind === 'overdue') return new Date(now - r.int(1, 14) * DAY - r.int(1, 12) * 3_600_000);
    if (kind === 'week') return new Date(now + r.next() * (this.weekEnd - now));
    return new Date(this.weekEnd + r.int(1, 60) * DAY);
  }

  private async insertComments(
    tasks: Task[],
    members: Map<string, User[]>,
    share: number,
  ): Promise<{ comments: number; mentions: number }> {
    const r = this.random;
    const planned = r.sample(tasks, Math.round(tasks.length * 0.25 * share + 1)).flatMap((task) => {
      const team = members.get(task.projectId) ?? this.users;
      return Array.from({ length: r.int(1, 2) }, () => {
        const author = r.pick(team);
        const others = team.filter((u) => u.id !== author.id);
        const mentioned = others.length && r.chance(0.3) ? r.pick(others) : null;
        const body = `${mentioned ? `@${mentioned.name} ` : ''}${r.pick(COMMENTS)}`;
        const at = new Date(
          task.createdAt.getTime() + r.next() * (this.now.getTime() - task.createdAt.getTime()),
        );
        return { task, author, mentioned, body, at };
      });
    });
    const comments = await TaskComment.bulkCreate(
      planned.map((c) => ({
        taskId: c.task.id,
        authorId: c.author.id,
        body: c.body,
        editedAt: null,
        createdAt: c.at,
        updatedAt: c.at,
      })),
      { returning: true },
    );
    const mentions: CreationAttributes<CommentMention>[] = [];
    comments.forEach((comment, i) => {
      const c = planned[i];
      if (c.mentioned)
        mentions.push({ commentId: comment.id, userId: c.mentioned.id, notifiedAt: c.at, createdAt: c.at });
      this.log(c.author, 'comment.created', 'comment', comment.id, c.task.title, c.task.projectId, c.at, {
        taskId: { from: null, to: String(c.task.id) },
      });
    });
    await CommentMention.bulkCreate(mentions);
    return { comments: comments.length, mentions: mentions.length };
  }

  private async insertAttachment(tasks: Task[], owner: User): Promise<void> {
    const task = tasks.find((t) => t.status !== 'done') ?? tasks[0];
    const text = `Notes for "${task.title}"\n\n- Agreed the scope at the weekly meeting.\n- Next check-in on Monday.\n`;
    const data = Buffer.from(text, 'utf8');
    const fileKey = await fileStore.put('attachment', data);
    const at = this.ago(1);
    const file = await Attachment.create({
      taskId: task.id,
      fileKey,
      fileName: 'meeting-notes.txt',
      contentType: 'text/plain',
      sizeBytes: data.length,
      uploadedBy: owner.id,
      createdAt: at,
    });
    this.log(owner, 'attachment.added', 'attachment', file.id, task.title, task.projectId, at, {
      fileName: { from: null, to: file.fileName },
      taskId: { from: null, to: String(task.id) },
    });
  }

  private ago(days: number): Date {
    return new Date(this.now.getTime() - days * DAY);
  }

  private userById(id: string | null): User {
    return this.users.find((u) => String(u.id) === String(id)) ?? this.users[0];
  }

  private log(
    actor: User,
    action: string,
    recordType: string,
    recordId: string,
    recordLabel: string,
    projectId: string,
    createdAt: Date,
    changes: AuditLog['changes'] = {},
  ): void {
    this.activity.push({
      actorId: actor.id,
      actorName: actor.name,
      action,
      recordType,
      recordId: String(recordId),
      recordLabel,
      changes,
      ip: null,
      projectId,
      createdAt,
    });
  }
}
