import type { Request } from 'express';
import { Op, UniqueConstraintError, type WhereOptions } from 'sequelize';
import { capabilitiesOf } from '../../auth/capabilities.ts';
import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { NotFound, ValidationError } from '../../errors.ts';
import { log } from '../../logger.ts';
import { Role } from '../../models/role.ts';
import { LastSuperAdminError, User } from '../../models/user.ts';
import * as policy from '../../policies/user.policy.ts';
import type { ProfileInput } from '../../validators/profile.validator.ts';
import type { UserCreate, UserFilter, UserUpdate } from '../../validators/user.validator.ts';
import * as audit from '../audit.ts';
import { sendMail } from '../mailer.ts';
import { withinPlan } from '../plan-limits.ts';
import { issueToken } from '../tokens.ts';
import { tenantUrlFor } from '../urls.ts';

/**
 * Staff accounts: the list, invitations, changes of name, department and roles, and whether an
 * account may sign in, each with its checks and audit entry, for the pages and the API alike.
 * Field refusals are ValidationErrors; a full plan is PlanLimitReached; a state that does not allow
 * the action (user.policy.ts) or the last super admin is a Conflict.
 */

type Errors = Record<string, string>;
export const EMAIL_TAKEN = 'is already used by another account here';

/** Each change and its audit entry are one transaction (the caller's, when it is in one). */
function unitOfWork<T>(work: () => Promise<T>): Promise<T> {
  return inTransaction(db(), work);
}

/** A LIKE pattern matching `text` anywhere, with its own % _ and \ taken literally. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** One window of the staff list: a search in name, e-mail and department, and a status filter. */
export async function searchUsers(
  filter: Pick<UserFilter, 'q' | 'status'>,
  window: { limit: number; offset: number },
): Promise<{ users: User[]; total: number }> {
  const conditions: WhereOptions<User>[] = [];
  if (filter.status !== 'all') conditions.push({ active: filter.status === 'active' });
  if (filter.q) {
    const pattern = containing(filter.q);
    conditions.push({
      [Op.or]: [
        { name: { [Op.iLike]: pattern } },
        { email: { [Op.iLike]: pattern } },
        { department: { [Op.iLike]: pattern } },
      ],
    });
  }
  const { rows, count } = await User.findAndCountAll({
    where: conditions.length ? { [Op.and]: conditions } : {},
    include: [{ association: 'roles' }],
    order: [
      ['name', 'ASC'],
      ['id', 'ASC'],
    ],
    limit: window.limit,
    offset: window.offset,
    distinct: true,
  });
  return { users: rows, total: count };
}

/** The staff account named by `id`, with its roles; NotFound when this tenant has none. */
export async function loadUser(id: string): Promise<User> {
  const user = await User.findWithRoles(id);
  if (!user) throw new NotFound();
  return user;
}

/**
 * A new account without a password, holding the chosen roles, when the plan has a place for it.
 * Given the request, its invitation e-mail is queued in the same transaction as the account, so an
 * account is never left without its invitation and a refused one sends nothing; without it, the
 * caller sends the invitation (`sendInvitation`) once the account exists.
 */
export function inviteUser(data: UserCreate, inviter: User | null, req?: Request): Promise<User> {
  const { roleIds, ...fields } = data;
  return unitOfWork(async () => {
    const { roles, errors } = await chosenRoles(roleIds);
    if (await User.emailTaken(fields.email)) errors.email = EMAIL_TAKEN;
    if (Object.keys(errors).length) throw new ValidationError(errors);
    const invite = async () => {
      const invited = await User.invite(fields, roles);
      await recordChange('user.invited', invited, null);
      if (req) await queueInvitation(req, invited, inviter);
      return invited;
    };
    return withinPlan('users', invite, inviter);
  }).catch((err: unknown) => {
    // The unique index on e-mail is the last guard when two invitations race.
    if (err instanceof UniqueConstraintError) throw new ValidationError({ email: EMAIL_TAKEN });
    throw err;
  });
}

/** Name, department and roles; refused on `roleIds` when it would leave no active super admin. */
export function updateUser(user: User, data: UserUpdate): Promise<User> {
  const { roleIds, ...fields } = data;
  return unitOfWork(async () => {
    const { roles, errors } = await chosenRoles(roleIds);
    if (Object.keys(errors).length) throw new ValidationError(errors);
    const before = user.snapshot();
    await user.updateAccount(fields, roles).catch((err: unknown) => {
      if (err instanceof LastSuperAdminError) throw new ValidationError({ roleIds: err.message });
      throw err;
    });
    await recordChange('user.updated', user, before);
    return user;
  });
}

/** The signed-in person's own name and e-mail. */
export function updateProfile(user: User, data: ProfileInput): Promise<User> {
  return unitOfWork(async () => {
    if (await User.emailTaken(data.email, user.id)) throw new ValidationError({ email: EMAIL_TAKEN });
    const before = user.snapshot();
    await user.update(data).catch((err: unknown) => {
      // The unique index on e-mail is the last guard when two changes race.
      if (err instanceof UniqueConstraintError) throw new ValidationError({ email: EMAIL_TAKEN });
      throw err;
    });
    const after = user.snapshot();
    if (Object.keys(audit.diff(before, after)).length)
      await audit.record({
        action: 'profile.updated',
        recordType: 'user',
        recordId: user.id,
        recordLabel: user.email,
        before,
        after,
      });
    return user;
  });
}

/** The person can sign in again: an active account takes a place of the plan, as an invitation does. */
export async function reactivateUser(user: User, actor: User | null): Promise<User> {
  policy.authorize('reactivate', user);
  const before = user.snapshot();
  const reactivate = async () => {
    await user.reactivate();
    await recordChange('user.reactivated', user, before);
    return user;
  };
  return withinPlan('users', reactivate, actor);
}

/** Signs the person out everywhere and keeps them out; a Conflict for the last active super admin. */
export async function deactivateUser(user: User): Promise<User> {
  policy.authorize('deactivate', user);
  return unitOfWork(async () => {
    const before = user.snapshot();
    await user.deactivate();
    await recordChange('user.deactivated', user, before);
    return user;
  });
}

/** A new invitation link for someone who has not chosen a password yet; false when the e-mail failed. */
export async function resendInvitation(req: Request, user: User, inviter: User | null): Promise<boolean> {
  policy.authorize('resendInvitation', user, { invitationPending: await user.invitationPending() });
  const sent = await sendInvitation(req, user, inviter);
  await audit.record({
    action: 'invitation.resent',
    recordType: 'user',
    recordId: user.id,
    recordLabel: user.email,
  });
  return sent;
}

/**
 * E-mails a fresh invitation link (earlier links stop working); false when the e-mail could not be
 * queued. The link's token and its e-mail are one transaction. The link's host is the one the
 * request's tenant was resolved from.
 */
export async function sendInvitation(req: Request, user: User, inviter: User | null): Promise<boolean> {
  return unitOfWork(() => queueInvitation(req, user, inviter)).then(
    () => true,
    (err: unknown) => {
      log().error({ err, userId: user.id }, 'invitation e-mail could not be queued');
      return false;
    },
  );
}

/** Issues the invitation token and queues its e-mail, in the caller's transaction. */
async function queueInvitation(req: Request, user: User, inviter: User | null): Promise<void> {
  const token = await issueToken(user.id, 'invite');
  const locals = {
    name: user.name,
    inviter: inviter?.name ?? 'An administrator',
    url: tenantUrlFor(req, `/invitations/${token}`),
  };
  const subject = `You are invited to ${req.tenant?.name ?? 'Steward'}`;
  await sendMail({ to: user.email, subject, template: 'invite', locals });
}

/** What to tell the inviter when the invitation e-mail did not go out. */
export function unsentMessage(user: User): string {
  return `The invitation e-mail to ${user.email} could not be sent. Try "Send the invitation again" in a moment.`;
}

/** The account as its edit form holds it. */
export function userFormOf(user: User): { name: string; department: string; roleIds: string[] } {
  return {
    name: user.name,
    department: user.department ?? '',
    roleIds: (user.roles ?? []).map((r) => String(r.id)),
  };
}

/** Its roles as a client sees them, most powerful first. */
function rolesOf(user: User) {
  return [...(user.roles ?? [])]
    .sort((a, b) => a.permissionLevel - b.permissionLevel || a.name.localeCompare(b.name))
    .map((r) => ({ id: String(r.id), name: r.name, permissionLevel: r.permissionLevel }));
}

/** A staff account as an API client sees it; `invitationPending` as the staff pages show it. */
export function presentUser(user: User, invitationPending: boolean) {
  return {
    id: String(user.id),
    email: user.email,
    name: user.name,
    department: user.department,
    active: user.active,
    invitationPending,
    roles: rolesOf(user),
    permissionLevel: user.permissionLevel,
    lastLoginAt: user.lastLoginAt ? new Date(user.lastLoginAt).toISOString() : null,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}

/** The signed-in person as they see themselves: who they are and what they may do. */
export function presentSelf(user: User) {
  return {
    id: String(user.id),
    email: user.email,
    name: user.name,
    department: user.department,
    roles: rolesOf(user),
    permissionLevel: user.permissionLevel,
    capabilities: capabilitiesOf(user.permissionLevel),
  };
}

/** The tenant's roles among the chosen ids, and a field message when one no longer exists. */
async function chosenRoles(ids: string[]): Promise<{ roles: Role[]; errors: Errors }> {
  const roles = ids.length ? await Role.findAll({ where: { id: ids } }) : [];
  return {
    roles,
    errors: roles.length === ids.length ? {} : { roleIds: 'contains a role that no longer exists' },
  };
}

/** Audits a change to `user` from `before` (null for a new account); a save that changed nothing is not logged. */
async function recordChange(action: string, user: User, before: Record<string, unknown> | null) {
  const after = user.snapshot();
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'user',
    recordId: user.id,
    recordLabel: user.email,
    before,
    after,
  });
}
