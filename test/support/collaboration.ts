import type supertest from 'supertest';
import { Project, ProjectMember, Task, type Tenant, User } from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser, csrfToken, signedIn } from './auth.ts';
import { createTenant, hostOf, uniqueSlug } from './factories.ts';

/** People of one tenant around a project with two tasks, each signed in on their own agent. */
export interface ProjectWorld {
  tenant: Tenant;
  host: string;
  project: Project;
  task: Task;
  otherTask: Task;
  users: Record<'admin' | 'manager' | 'member' | 'builder' | 'viewer' | 'outsider', User>;
  as: Record<'admin' | 'manager' | 'member' | 'builder' | 'viewer' | 'outsider', supertest.Agent>;
}

export function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

export function createTask(tenant: Tenant, projectId: string, title: string): Promise<Task> {
  return inTenant(tenant, () =>
    Task.create({
      projectId,
      title,
      description: null,
      assigneeId: null,
      dueAt: null,
      completedAt: null,
      createdBy: null,
    }),
  );
}

/**
 * A tenant with a project whose members are Mia Member and Bob Builder, whose viewer is Vic Viewer,
 * and Otto Outsider who is not in it; the tenant's admin (level 0) and a level-4 manager see every project.
 */
export async function projectWorld(
  opts: { kind?: 'church' | 'company'; idsFrom?: number } = {},
): Promise<ProjectWorld> {
  const tenant = await createTenant({ kind: opts.kind ?? 'company' });
  if (opts.idsFrom) await idsFrom(tenant, opts.idsFrom);
  const host = hostOf(tenant);
  const slug = uniqueSlug('p');
  const make = (name: string, local: string, level = 5) =>
    createUser(tenant, { name, level, email: `${local}.${slug}@example.test` });
  const admin = await inTenant(tenant, async () => {
    const found = await User.findOne({ where: { email: `admin@${tenant.slug}.test` } });
    if (!found) throw new Error('no admin');
    return found;
  });
  const users = {
    admin,
    manager: await make('Maggie Manager', 'maggie', 4),
    member: await make('Mia Member', 'mia'),
    builder: await make('Bob Builder', 'bob'),
    viewer: await make('Vic Viewer', 'vic'),
    outsider: await make('Otto Outsider', 'otto'),
  };
  const project = await inTenant(tenant, async () => {
    const p = await Project.create({
      name: 'Roof repair',
      description: null,
      startsOn: null,
      endsOn: null,
      ownerId: null,
    });
    await ProjectMember.bulkCreate([
      { projectId: p.id, userId: users.member.id, role: 'member' },
      { projectId: p.id, userId: users.builder.id, role: 'member' },
      { projectId: p.id, userId: users.viewer.id, role: 'viewer' },
    ]);
    return p;
  });
  const task = await createTask(tenant, project.id, 'Order <tiles> & nails');
  const otherTask = await createTask(tenant, project.id, 'Hire a crane');
  const as = {} as ProjectWorld['as'];
  for (const [key, user] of Object.entries(users) as [keyof ProjectWorld['users'], User][]) {
    as[key] = await signedIn(tenant, user.email);
  }
  return { tenant, host, project, task, otherTask, users, as };
}

/**
 * Makes new projects, tasks, comments and attachments of `tenant` take ids from `first` on, so that
 * they are not also ids of another tenant's records (each schema counts from 1).
 */
export async function idsFrom(tenant: Tenant, first: number): Promise<void> {
  await inTenant(tenant, async () => {
    for (const table of ['projects', 'tasks', 'task_comments', 'attachments']) {
      await Task.sequelize?.query(`SELECT setval(pg_get_serial_sequence(:table, 'id'), :first, false)`, {
        replacements: { table, first },
      });
    }
  });
}

/** A CSRF token for the agent's session. */
export function tokenFor(agent: supertest.Agent, host: string): Promise<string> {
  return csrfToken(agent, host, '/');
}
