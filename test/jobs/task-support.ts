import {
  Notification,
  Project,
  ProjectMember,
  Task,
  type Tenant,
  type User,
} from '../../app/models/index.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createUser } from '../support/auth.ts';
import { createTenant, uniqueSlug } from '../support/factories.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function inTenant<T>(tenant: Tenant, fn: () => Promise<T>): Promise<T> {
  return withTenant(tenant.toRef(), fn);
}

/** A tenant with a project owned by Olive Owner, on which Ada Assignee works. */
export async function taskWorld(): Promise<{
  tenant: Tenant;
  owner: User;
  assignee: User;
  project: Project;
}> {
  const tenant = await createTenant({ plan: 'enterprise' });
  const slug = uniqueSlug('w');
  const owner = await createUser(tenant, { name: 'Olive Owner', email: `olive.${slug}@example.test` });
  const assignee = await createUser(tenant, { name: 'Ada Assignee', email: `ada.${slug}@example.test` });
  const project = await inTenant(tenant, async () => {
    const p = await Project.create({
      name: 'Church roof',
      description: null,
      startsOn: null,
      endsOn: null,
      ownerId: owner.id,
    });
    await ProjectMember.bulkCreate([
      { projectId: p.id, userId: owner.id, role: 'member' },
      { projectId: p.id, userId: assignee.id, role: 'member' },
    ]);
    return p;
  });
  return { tenant, owner, assignee, project };
}

export function addTask(
  tenant: Tenant,
  fields: Partial<Task> & { projectId: string; title: string },
): Promise<Task> {
  return inTenant(tenant, () =>
    Task.create({
      description: null,
      assigneeId: null,
      dueAt: null,
      completedAt: null,
      createdBy: null,
      ...fields,
    }),
  );
}

export function freshTask(tenant: Tenant, task: Task): Promise<Task> {
  return inTenant(tenant, () => Task.findByPk(task.id, { rejectOnEmpty: true }));
}

export function noticesOf(tenant: Tenant, user: User, kind: string): Promise<Notification[]> {
  return inTenant(tenant, () =>
    Notification.findAll({ where: { userId: user.id, kind }, order: [['id', 'ASC']] }),
  );
}
