import {
  type CreationOptional,
  col,
  DataTypes,
  fn,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  Op,
  type Sequelize,
  where as sqlWhere,
  type WhereOptions,
} from 'sequelize';
import { Conflict } from '../errors.ts';
import type { TenantKind } from './tenant.ts';
import { User } from './user.ts';
import { UserRole } from './user-role.ts';

/**
 * Permission levels (lower is more powerful): 0 super admin, 1 finance admin, 2 finance viewer,
 * 3 finance stats viewer, 4 member viewer, 5 member.
 */
export const PERMISSION_LEVELS = [
  { level: 0, label: 'Super admin: can view and edit everything' },
  { level: 1, label: 'Finance admin: can view and edit finances' },
  { level: 2, label: 'Finance viewer: can view finances' },
  { level: 3, label: 'Finance stats viewer: can view finance statistics' },
  { level: 4, label: 'Member viewer: can view members' },
  { level: 5, label: 'Member' },
] as const;

export function levelLabel(level: number): string {
  return PERMISSION_LEVELS.find((l) => l.level === level)?.label ?? `Level ${level}`;
}

/** Refusal to delete a role that people still hold (they would silently lose its access). */
export class RoleInUseError extends Conflict {
  constructor(role: string, holders: number) {
    super(
      `"${role}" is held by ${holders} ${holders === 1 ? 'person' : 'people'}. ` +
        'Take it away from them first, then delete it.',
    );
  }
}

type RoleFields = { name: string; description: string | null; permissionLevel: number };

/** A tenant's role (tenant table): a name of its choosing over a fixed permission level. */
export class Role extends Model<InferAttributes<Role>, InferCreationAttributes<Role>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare permissionLevel: number;
  declare description: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  async holderCount(): Promise<number> {
    return UserRole.count({ where: { roleId: this.id } });
  }

  /**
   * Renames, redescribes or moves the role to another level. A level change is refused (nothing
   * saved) when it would leave no active super admin.
   */
  async updateDetails(fields: RoleFields): Promise<void> {
    const change = () => Role.update(fields, { where: { id: this.id } });
    await (fields.permissionLevel === this.permissionLevel ? change() : User.keepingASuperAdmin(change));
    await this.reload();
  }

  /** Deletes the role; refused while anybody holds it. */
  async destroyIfUnused(): Promise<void> {
    await User.withAccountsLock(async () => {
      const holders = await this.holderCount();
      if (holders > 0) throw new RoleInUseError(this.name, holders);
      await this.destroy();
    });
  }

  /** All roles, most powerful first, each with how many people hold it. */
  static async withHolderCounts(): Promise<{ role: Role; holders: number }[]> {
    const roles = await Role.findAll({
      order: [
        ['permissionLevel', 'ASC'],
        ['name', 'ASC'],
      ],
    });
    const counts = await UserRole.count({ group: ['roleId'] });
    const byRole = new Map(counts.map((c) => [String(c.roleId), c.count]));
    return roles.map((role) => ({ role, holders: byRole.get(String(role.id)) ?? 0 }));
  }

  /** Role names are unique in a tenant regardless of case ("Admin" and "admin" would confuse). */
  static async nameTaken(name: string, exceptId?: string): Promise<boolean> {
    const conditions: WhereOptions<Role>[] = [sqlWhere(fn('lower', col('name')), name.toLowerCase())];
    if (exceptId) conditions.push({ id: { [Op.ne]: exceptId } });
    return (await Role.count({ where: { [Op.and]: conditions } })) > 0;
  }

  static initModel(sequelize: Sequelize): void {
    Role.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        name: { type: DataTypes.STRING(60), allowNull: false, unique: true },
        permissionLevel: { type: DataTypes.SMALLINT, allowNull: false, validate: { min: 0, max: 5 } },
        description: { type: DataTypes.STRING(255), allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'roles', underscored: true },
    );
  }
}

/** The roles each kind of tenant starts with; the first level-0 role is given to the first admin. */
export const DEFAULT_ROLES: Record<
  TenantKind,
  { name: string; permissionLevel: number; description: string }[]
> = {
  church: [
    { name: 'Pastor / Administrator', permissionLevel: 0, description: 'Runs the church account' },
    { name: 'Treasurer', permissionLevel: 1, description: 'Records and corrects finances' },
    { name: 'Finance team', permissionLevel: 2, description: 'Sees finance entries' },
    { name: 'Board', permissionLevel: 3, description: 'Sees finance totals' },
    { name: 'Staff', permissionLevel: 4, description: 'Sees the members directory' },
    { name: 'Member', permissionLevel: 5, description: 'Basic access' },
  ],
  company: [
    { name: 'Owner', permissionLevel: 0, description: 'Owns the company account' },
    { name: 'Admin', permissionLevel: 0, description: 'Administers the company account' },
    { name: 'Finance', permissionLevel: 1, description: 'Records and corrects finances' },
    { name: 'Accountant', permissionLevel: 2, description: 'Sees finance entries' },
    { name: 'Analyst', permissionLevel: 3, description: 'Sees finance totals' },
    { name: 'Manager', permissionLevel: 4, description: 'Sees the people directory' },
    { name: 'Member', permissionLevel: 5, description: 'Basic access' },
  ],
};
