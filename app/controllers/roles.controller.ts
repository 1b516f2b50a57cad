import type { Request, Response } from 'express';
import { UniqueConstraintError } from 'sequelize';
import { NotFound } from '../errors.ts';
import { levelLabel, PERMISSION_LEVELS, Role, RoleInUseError } from '../models/role.ts';
import { LastSuperAdminError } from '../models/user.ts';
import * as audit from '../services/audit.ts';
import { fieldErrors, idParam } from '../validators/common.ts';
import { roleFormValues, roleSchema } from '../validators/role.validator.ts';

type Errors = Record<string, string>;
const NAME_TAKEN = 'is already the name of another role';

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
  const errors = parsed.success ? {} : fieldErrors(parsed.error);
  if (parsed.success && (await Role.nameTaken(parsed.data.name))) errors.name = NAME_TAKEN;
  if (!parsed.success || Object.keys(errors).length) return renderForm(res, 422, { values, errors });
  const role = await Role.create(parsed.data).catch(formRefusal);
  if (!(role instanceof Role)) return renderForm(res, 422, { values, errors: role });
  await recordChange('role.created', role, null);
  req.flash('success', `The role "${role.name}" was added.`);
  res.redirect('/roles');
}

// GET /roles/:id/edit
export async function edit(req: Request, res: Response): Promise<void> {
  const role = await loadRole(req);
  await renderForm(res, 200, { role, values: valuesOf(role), errors: {} });
}

// POST /roles/:id: name, description and level; a level change must leave an active super admin.
export async function update(req: Request, res: Response): Promise<void> {
  const role = await loadRole(req);
  const values = roleFormValues(req.body);
  const parsed = roleSchema.safeParse(req.body ?? {});
  const errors = parsed.success ? {} : fieldErrors(parsed.error);
  if (parsed.success && (await Role.nameTaken(parsed.data.name, role.id))) errors.name = NAME_TAKEN;
  if (!parsed.success || Object.keys(errors).length) return renderForm(res, 422, { role, values, errors });
  const before = role.get({ plain: true });
  const refused = await role.updateDetails(parsed.data).then(() => null, formRefusal);
  if (refused) return renderForm(res, 422, { role, values, errors: refused });
  await recordChange('role.updated', role, before);
  req.flash('success', `The role "${role.name}" was saved.`);
  res.redirect('/roles');
}

// POST /roles/:id/delete: only a role nobody holds.
export async function destroy(req: Request, res: Response): Promise<void> {
  const role = await loadRole(req);
  const before = role.get({ plain: true });
  const refused = await role.destroyIfUnused().then(() => null, inUseMessage);
  if (refused) return renderForm(res, 409, { role, values: valuesOf(role), errors: { _: refused } });
  await audit.record({
    action: 'role.deleted',
    recordType: 'role',
    recordId: role.id,
    recordLabel: role.name,
    before,
  });
  req.flash('success', `The role "${role.name}" was deleted.`);
  res.redirect('/roles');
}

/** The role named by the URL; 404 when this tenant has no such role. */
async function loadRole(req: Request): Promise<Role> {
  const role = await Role.findByPk(idParam(req.params.id));
  if (!role) throw new NotFound();
  return role;
}

function valuesOf(role: Role): Record<string, string> {
  return {
    name: role.name,
    description: role.description ?? '',
    permissionLevel: String(role.permissionLevel),
  };
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

/** A save that changed nothing is not logged. */
async function recordChange(action: string, role: Role, before: Record<string, unknown> | null) {
  const after = role.get({ plain: true });
  if (before && !Object.keys(audit.diff(before, after)).length) return;
  await audit.record({
    action,
    recordType: 'role',
    recordId: role.id,
    recordLabel: role.name,
    before,
    after,
  });
}

/** Refusals the form shows next to a field; any other error goes on to the error handler. */
function formRefusal(err: unknown): Errors {
  if (err instanceof LastSuperAdminError) return { permissionLevel: err.message };
  // The unique index on name is the last guard when two changes race.
  if (err instanceof UniqueConstraintError) return { name: NAME_TAKEN };
  throw err;
}

function inUseMessage(err: unknown): string {
  if (err instanceof RoleInUseError) return err.message;
  throw err;
}
