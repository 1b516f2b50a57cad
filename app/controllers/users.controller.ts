import type { Request, Response } from 'express';
import { UniqueConstraintError } from 'sequelize';
import { levelCan } from '../auth/capabilities.ts';
import { NotFound } from '../errors.ts';
import { log } from '../logger.ts';
import { currentUser } from '../middleware/auth.ts';
import { levelLabel, Role } from '../models/role.ts';
import { LastSuperAdminError, User } from '../models/user.ts';
import * as policy from '../policies/user.policy.ts';
import * as audit from '../services/audit.ts';
import { sendMail } from '../services/mailer.ts';
import { planRefusal, withinPlan } from '../services/plan-limits.ts';
import { issueToken } from '../services/tokens.ts';
import { tenantUrlFor } from '../services/urls.ts';
import { fieldErrors, idParam } from '../validators/common.ts';
import {
  userCreateSchema,
  userFilterSchema,
  userFormValues,
  userUpdateSchema,
} from '../validators/user.validator.ts';

type Errors = Record<string, string>;
const EMAIL_TAKEN = 'is already used by another account here';

// GET /users
export async function index(req: Request, res: Response): Promise<void> {
  const filter = userFilterSchema.parse(req.query);
  const { users, total, pages } = await User.search(filter);
  const pending = await User.pendingInvitations(users.map((u) => u.id));
  const pageUrl = (page: number) =>
    `/users?${new URLSearchParams({ q: filter.q, status: filter.status, page: String(page) })}`;
  res.render('users/index', { title: 'Staff', users, total, pages, pending, values: filter, pageUrl });
}

// GET /users/:id
export async function show(req: Request, res: Response): Promise<void> {
  await renderShow(res, await loadUser(req));
}

// GET /users/new
export async function newUser(_req: Request, res: Response): Promise<void> {
  await renderForm(res, 200, { values: { roleIds: [] }, errors: {} });
}

// POST /users: the account starts without a password; the e-mailed invitation lets the person choose one.
export async function create(req: Request, res: Response): Promise<void> {
  const values = userFormValues(req.body);
  const parsed = userCreateSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { values, errors: fieldErrors(parsed.error) });
  const { roleIds, ...fields } = parsed.data;
  const { roles, errors } = await chosenRoles(roleIds);
  if (await User.emailTaken(fields.email)) errors.email = EMAIL_TAKEN;
  if (Object.keys(errors).length) return renderForm(res, 422, { values, errors });
  const invite = async () => {
    const invited = await User.invite(fields, roles);
    await recordChange('user.invited', invited, null);
    return invited;
  };
  const user = await withinPlan('users', invite, currentUser(req)).catch(unlessDuplicate).catch(planRefusal);
  if (typeof user === 'string') return renderForm(res, 422, { values, errors: { _: user } });
  if (!user) return renderForm(res, 422, { values, errors: { email: EMAIL_TAKEN } });
  const sent = await sendInvitation(req, user);
  req.flash(sent ? 'success' : 'warning', sent ? `${user.name} was invited.` : unsent(user));
  res.redirect(`/users/${user.id}`);
}

// GET /users/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  const values = {
    name: user.name,
    department: user.department ?? '',
    roleIds: (user.roles ?? []).map((r) => String(r.id)),
  };
  await renderForm(res, 200, { user, values, errors: {} });
}

// POST /users/:id: name, department and roles.
export async function update(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  const values = userFormValues(req.body);
  const parsed = userUpdateSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { user, values, errors: fieldErrors(parsed.error) });
  const { roleIds, ...fields } = parsed.data;
  const { roles, errors } = await chosenRoles(roleIds);
  if (Object.keys(errors).length) return renderForm(res, 422, { user, values, errors });
  const before = user.snapshot();
  const refused = await user.updateAccount(fields, roles).then(() => null, lastSuperAdminMessage);
  if (refused) return renderForm(res, 422, { user, values, errors: { roleIds: refused } });
  await recordChange('user.updated', user, before);
  req.flash('success', `${user.name} was updated.`);
  res.redirect(leftUsersManagement(req, user) ? '/' : `/users/${user.id}`);
}

// Shared with the sub-resource controllers in ./users/.

/** The staff account named by the URL, with its roles; 404 when this tenant has no such account. */
export async function loadUser(req: Request): Promise<User> {
  const user = await User.findWithRoles(idParam(req.params.id));
  if (!user) throw new NotFound();
  return user;
}

/** The account's page; `refusal` explains a change that was just refused. */
export async function renderShow(res: Response, user: User, status = 200, refusal?: string): Promise<void> {
  const facts = { invitationPending: await user.invitationPending() };
  res.status(status).render('users/show', { title: user.name, user, facts, policy, refusal, levelLabel });
}

/** Audits a change to `user` from `before` (null for a new account); a save that changed nothing is not logged. */
export async function recordChange(
  action: string,
  user: User,
  before: Record<string, unknown> | null,
): Promise<void> {
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

/** The message of a refusal to leave no super admin; any other error goes on to the error handler. */
export function lastSuperAdminMessage(err: unknown): string {
  if (err instanceof LastSuperAdminError) return err.message;
  throw err;
}

/** E-mails a fresh invitation link (earlier links stop working); false when the e-mail could not be sent. */
export async function sendInvitation(req: Request, user: User): Promise<boolean> {
  const token = await issueToken(user.id, 'invite');
  const locals = {
    name: user.name,
    inviter: currentUser(req)?.name ?? 'An administrator',
    url: tenantUrlFor(req, `/invitations/${token}`),
  };
  const subject = `You are invited to ${req.tenant?.name ?? 'Steward'}`;
  return sendMail({ to: user.email, subject, template: 'invite', locals }).then(
    () => true,
    (err: unknown) => {
      log().error({ err, userId: user.id }, 'invitation e-mail failed');
      return false;
    },
  );
}

export function unsent(user: User): string {
  return `The invitation e-mail to ${user.email} could not be sent. Try "Send the invitation again" in a moment.`;
}

async function renderForm(
  res: Response,
  status: number,
  locals: { user?: User; values: Record<string, unknown>; errors: Errors },
): Promise<void> {
  const roles = await Role.findAll({
    order: [
      ['permissionLevel', 'ASC'],
      ['name', 'ASC'],
    ],
  });
  const view = locals.user ? 'users/edit' : 'users/new';
  const title = locals.user ? `Edit ${locals.user.name}` : 'Invite a person';
  res.status(status).render(view, { title, roles, levelLabel, ...locals });
}

/** The tenant's roles among the ticked ids, and a field message when one no longer exists. */
async function chosenRoles(ids: string[]): Promise<{ roles: Role[]; errors: Errors }> {
  const roles = ids.length ? await Role.findAll({ where: { id: ids } }) : [];
  return {
    roles,
    errors: roles.length === ids.length ? {} : { roleIds: 'contains a role that no longer exists' },
  };
}

/** The unique index on e-mail is the last guard when two invitations race: a field message, not a 500. */
function unlessDuplicate(err: unknown): null {
  if (err instanceof UniqueConstraintError) return null;
  throw err;
}

/** True when the signed-in person just took away their own access to this page. */
function leftUsersManagement(req: Request, user: User): boolean {
  return currentUser(req)?.id === user.id && !levelCan(user.permissionLevel, 'users.manage');
}
