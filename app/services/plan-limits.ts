import { levelCan } from '../auth/capabilities.ts';
import { withTransactionLock } from '../db/locks.ts';
import { PlanLimitReached } from '../errors.ts';
import { Plan } from '../models/plan.ts';
import { Project } from '../models/project.ts';
import { Task } from '../models/task.ts';
import { Tenant } from '../models/tenant.ts';
import { User } from '../models/user.ts';
import { requireTenant } from '../tenancy/context.ts';

/*
 * What a tenant's plan allows: projects, tasks and staff accounts (the plans table calls them
 * "members": the people who sign in, not a church's members). What counts:
 * - projects: every project;
 * - tasks: tasks not archived (archived ones are history, and the weekly cleanup archives old done work);
 * - users: active staff accounts (a deactivated account frees its place).
 * The tenant row is read fresh from public.tenants, so a plan changed a moment ago applies at once.
 */

export type PlanResource = 'projects' | 'tasks' | 'users';

const NOUNS: Record<PlanResource, [string, string]> = {
  projects: ['project', 'projects'],
  tasks: ['task', 'tasks'],
  users: ['active staff account', 'active staff accounts'],
};

function limitOf(plan: Plan, resource: PlanResource): number | null {
  if (resource === 'projects') return plan.maxProjects;
  if (resource === 'tasks') return plan.maxTasks;
  return plan.maxMembers;
}

function countOf(resource: PlanResource): Promise<number> {
  if (resource === 'projects') return Project.count();
  if (resource === 'tasks') return Task.count({ where: { archivedAt: null } });
  return User.count({ where: { active: true } });
}

/** The current tenant's plan, read fresh; null when the tenant names a plan that no longer exists. */
async function currentPlan(): Promise<Plan | null> {
  const tenant = await Tenant.findByPk(requireTenant().id, { attributes: ['id', 'plan'] });
  return tenant ? Plan.findOne({ where: { code: tenant.plan } }) : null;
}

/**
 * Null when the current tenant may create one more `resource`, otherwise the message to show.
 * `reader` (the person asking) decides whether they are told to upgrade or to ask who can.
 */
export async function planLimitMessage(resource: PlanResource, reader?: User | null): Promise<string | null> {
  const plan = await currentPlan();
  const limit = plan ? limitOf(plan, resource) : null;
  if (!plan || limit === null) return null;
  if ((await countOf(resource)) < limit) return null;
  const [one, many] = NOUNS[resource];
  const allows = `Your ${plan.name} plan allows ${limit.toLocaleString('en-US')} ${limit === 1 ? one : many}.`;
  const upgrade =
    reader && levelCan(reader.permissionLevel, 'billing.view')
      ? 'Choose a larger plan on the Billing page to add more.'
      : 'Ask a super admin to choose a larger plan on the Billing page to add more.';
  return `${allows} ${upgrade}`;
}

/** Throws PlanLimitReached (422) when the current tenant may not create one more `resource`. */
export async function assertWithinPlan(resource: PlanResource, reader?: User | null): Promise<void> {
  const message = await planLimitMessage(resource, reader);
  if (message) throw new PlanLimitReached(resource, message);
}

/**
 * Runs `add` (anything that adds one to the count of `resource`: a creation, a reactivation, a task
 * back from the archive) after taking the tenant's lock for `resource` and checking the plan, so two
 * requests at the limit cannot both pass the count: the second waits for the first to commit, then
 * counts its row. All of it is one transaction: the caller's, when it is in one, and `add` joins it
 * too. Throws PlanLimitReached when the plan is full.
 */
export function withinPlan<T>(
  resource: PlanResource,
  add: () => Promise<T>,
  reader?: User | null,
): Promise<T> {
  const tenant = requireTenant();
  return withTransactionLock(`steward:plan:${resource}:${tenant.schema}`, async () => {
    await assertWithinPlan(resource, reader);
    return add();
  });
}

/** The message of a plan refusal; any other error goes on to the error handler. */
export function planRefusal(err: unknown): string {
  if (err instanceof PlanLimitReached) return err.message;
  throw err;
}
