import type { Request, Response } from 'express';
import { levelCan } from '../auth/capabilities.ts';
import { PlanLimitReached, ValidationError } from '../errors.ts';
import { currentUser } from '../middleware/auth.ts';
import { levelLabel, Role } from '../models/role.ts';
import { USERS_PER_PAGE, User } from '../models/user.ts';
import * as policy from '../policies/user.policy.ts';
import { personalTokensOf } from '../services/api-tokens.ts';
import { tenantTimeZone } from '../services/local-time.ts';
import {
  inviteUser,
  loadUser as loadUserById,
  searchUsers,
  updateUser,
  userFormOf,
} from '../services/people/users.ts';
import { fieldErrors, idParam } from '../validators/common.ts';
import {
  userCreateSchema,
  userFilterSchema,
  userFormValues,
  userUpdateSchema,
} from '../validators/user.validator.ts';
import { tokenRows } from './profile/tokens.controller.ts';

type Errors = Record<string, string>;

// GET /users
export async function index(req: Request, res: Response): Promise<void> {
  const filter = userFilterSchema.parse(req.query);
  const window = { limit: USERS_PER_PAGE, offset: (filter.page - 1) * USERS_PER_PAGE };
  const { users, total } = await searchUsers(filter, window);
  const pages = Math.max(1, Math.ceil(total / USERS_PER_PAGE));
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
  const inviter = currentUser(req);
  // The account and its invitation e-mail are queued in one transaction: both or neither.
  const user = await inviteUser(parsed.data, inviter, req).catch(refusedFields);
  if (!isUser(user)) return renderForm(res, 422, { values, errors: user });
  req.flash('success', `${user.name} was invited.`);
  res.redirect(`/users/${user.id}`);
}

// GET /users/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  await renderForm(res, 200, { user, values: userFormOf(user), errors: {} });
}

// POST /users/:id: name, department and roles.
export async function update(req: Request, res: Response): Promise<void> {
  const user = await loadUser(req);
  const values = userFormValues(req.body);
  const parsed = userUpdateSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { user, values, errors: fieldErrors(parsed.error) });
  const saved = await updateUser(user, parsed.data).catch(refusedFields);
  if (!isUser(saved)) return renderForm(res, 422, { user, values, errors: saved });
  req.flash('success', `${user.name} was updated.`);
  res.redirect(leftUsersManagement(req, user) ? '/' : `/users/${user.id}`);
}

// Shared with the sub-resource controllers in ./users/.

/** The staff account named by the URL, with its roles; 404 when this tenant has no such account. */
export function loadUser(req: Request): Promise<User> {
  return loadUserById(idParam(req.params.id));
}

/** The account's page; `refusal` explains a change that was just refused. */
export async function renderShow(res: Response, user: User, status = 200, refusal?: string): Promise<void> {
  const [invitationPending, tokens, timeZone] = await Promise.all([
    user.invitationPending(),
    personalTokensOf(String(user.id)),
    tenantTimeZone(),
  ]);
  res.status(status).render('users/show', {
    title: user.name,
    user,
    facts: { invitationPending },
    policy,
    refusal,
    levelLabel,
    tokenRows: tokenRows(tokens, timeZone),
  });
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

/** The form's messages for a refused save (a full plan is a message above the form); other errors go on. */
function refusedFields(err: unknown): Errors {
  if (err instanceof ValidationError) return err.fields;
  if (err instanceof PlanLimitReached) return { _: err.message };
  throw err;
}

function isUser(value: User | Errors): value is User {
  return value instanceof User;
}

/** True when the signed-in person just took away their own access to this page. */
function leftUsersManagement(req: Request, user: User): boolean {
  return currentUser(req)?.id === user.id && !levelCan(user.permissionLevel, 'users.manage');
}
