import type { Request, Response } from 'express';
import { ValidationError } from '../errors.ts';
import { levelLabel, PERMISSION_LEVELS, Role, RoleInUseError } from '../models/role.ts';
import {
  createRole,
  deleteRole,
  loadRole as loadRoleById,
  roleFormOf,
  updateRole,
} from '../services/people/roles.ts';
import { fieldErrors, idParam } from '../validators/common.ts';
import { roleFormValues, roleSchema } from '../validators/role.validator.ts';

type Errors = Record<string, string>;

// GET /roles
export async function index(_req: Request, res: Response): Promise<void> {
  res.render('roles/index', { title: 'Roles', rows: await Role.withHolderCounts(), levelLabel });
}

// GET /roles/new
export async function newRole(_req: Request, res: Response): Promise<void> {
  await renderForm(res, 200, { values: { permissionLevel: '5' }, errors: {} });
}

// POST /roles
export async function create(req: Request, res: Response): Promise<void> {
  const values = roleFormValues(req.body);
  const parsed = roleSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { values, errors: fieldErrors(parsed.error) });
  const role = await createRole(parsed.data).catch(refusedFields);
  if (!(role instanceof Role)) return renderForm(res, 422, { values, errors: role });
  req.flash('success', `The role "${role.name}" was added.`);
  res.redirect('/roles');
}

// GET /roles/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const role = await loadRole(req);
  await renderForm(res, 200, { role, values: roleFormOf(role), errors: {} });
}

// POST /roles/:id: name, description and level; a level change must leave an active super admin.
export async function update(req: Request, res: Response): Promise<void> {
  const role = await loadRole(req);
  const values = roleFormValues(req.body);
  const parsed = roleSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderForm(res, 422, { role, values, errors: fieldErrors(parsed.error) });
  const saved = await updateRole(role, parsed.data).catch(refusedFields);
  if (!(saved instanceof Role)) return renderForm(res, 422, { role, values, errors: saved });
  req.flash('success', `The role "${role.name}" was saved.`);
  res.redirect('/roles');
}

// POST /roles/:id/delete: only a role nobody holds.
export async function destroy(req: Request, res: Response): Promise<void> {
  const role = await loadRole(req);
  const refused = await deleteRole(role).then(() => null, inUseMessage);
  if (refused) return renderForm(res, 409, { role, values: roleFormOf(role), errors: { _: refused } });
  req.flash('success', `The role "${role.name}" was deleted.`);
  res.redirect('/roles');
}

/** The role named by the URL; 404 when this tenant has no such role. */
function loadRole(req: Request): Promise<Role> {
  return loadRoleById(idParam(req.params.id));
}

async function renderForm(
  res: Response,
  status: number,
  locals: { role?: Role; values: Record<string, string>; errors: Errors },
): Promise<void> {
  const holders = locals.role ? await locals.role.holderCount() : 0;
  const levels = PERMISSION_LEVELS.map((l) => ({ value: String(l.level), label: `${l.level}: ${l.label}` }));
  const view = locals.role ? 'roles/edit' : 'roles/new';
  const title = locals.role ? `Edit the role ${locals.role.name}` : 'Add a role';
  res.status(status).render(view, { title, levels, holders, ...locals });
}

/** The field messages of a refused save; any other error goes on to the error handler. */
function refusedFields(err: unknown): Errors {
  if (err instanceof ValidationError) return err.fields;
  throw err;
}

function inUseMessage(err: unknown): string {
  if (err instanceof RoleInUseError) return err.message;
  throw err;
}
