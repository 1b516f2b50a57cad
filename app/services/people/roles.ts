import { UniqueConstraintError } from 'sequelize';
import { db } from '../../db/database.ts';
import { inTransaction } from '../../db/transaction-context.ts';
import { NotFound, ValidationError } from '../../errors.ts';
import { Role } from '../../models/role.ts';
import { LastSuperAdminError } from '../../models/user.ts';
import type { RoleInput } from '../../validators/role.validator.ts';
import * as audit from '../audit.ts';

/**
 * A tenant's roles: adding, renaming, moving to another level and deleting, with their checks and
 * audit entries, for the pages and the API alike. A name in use or a level change that would leave
 * no active super admin is a ValidationError on its field; deleting a role somebody holds is a
 * Conflict (RoleInUseError).
 */

export const NAME_TAKEN = 'is already the name of another role';

/** The role named by `id`; NotFound when this tenant has none. */
export async function loadRole(id: string): Promise<Role> {
  const role = await Role.findByPk(id);
  if (!role) throw new NotFound();
  return role;
}

/** Each change and its audit entry are one transaction (the caller's, when it is in one). */
function unitOfWork<T>(work: () => Promise<T>): Promise<T> {
  return inTransaction(db(), work);
}

export function createRole(data: RoleInput): Promise<Role> {
  return unitOfWork(async () => {
    if (await Role.nameTaken(data.name)) throw new ValidationError({ name: NAME_TAKEN });
    const role = await Role.create(data).catch(asFieldRefusal);
    await recordChange('role.created', role, null);
    return role;
  });
}

/** Name, description and level; a level change must leave an active super admin. */
export function updateRole(role: Role, data: RoleInput): Promise<Role> {
  return unitOfWork(async () => {
    if (await Role.nameTaken(data.name, role.id)) throw new ValidationError({ name: NAME_TAKEN });
    const before = role.get({ plain: true });
    await role.updateDetails(data).catch(asFieldRefusal);
    await recordChange('role.updated', role, before);
    return role;
  });
}

/** Only a role nobody holds. */
export function deleteRole(role: Role): Promise<void> {
  return unitOfWork(async () => {
    const before = role.get({ plain: true });
    await role.destroyIfUnused();
    await audit.record({
      action: 'role.deleted',
      recordType: 'role',
      recordId: role.id,
      recordLabel: role.name,
      before,
    });
  });
}

/** The record as its form holds it. */
export function roleFormOf(role: Role): Record<string, string> {
  return {
    name: role.name,
    description: role.description ?? '',
    permissionLevel: String(role.permissionLevel),
  };
}

/** A role as an API client sees it, with how many people hold it. */
export function presentRole(role: Role, holders: number) {
  return {
    id: String(role.id),
    name: role.name,
    description: role.description,
    permissionLevel: role.permissionLevel,
    holders,
    createdAt: role.createdAt.toISOString(),
    updatedAt: role.updatedAt.toISOString(),
  };
}

/** Refusals that belong next to a field; any other error goes on. */
function asFieldRefusal(err: unknown): never {
  if (err instanceof LastSuperAdminError) throw new ValidationError({ permissionLevel: err.message });
  // The unique index on name is the last guard when two changes race.
  if (err instanceof UniqueConstraintError) throw new ValidationError({ name: NAME_TAKEN });
  throw err;
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
