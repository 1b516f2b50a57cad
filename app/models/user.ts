import {
  type CreationOptional,
  col,
  DataTypes,
  fn,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  Op,
  QueryTypes,
  type Sequelize,
  where as sqlWhere,
  type WhereOptions,
} from 'sequelize';
import { inTransaction } from '../db/transaction-context.ts';
import { Conflict } from '../errors.ts';
import { hashPassword, verifyPassword } from '../services/passwords.ts';
import type { Role } from './role.ts';
import { UserRole } from './user-role.ts';

export const USERS_PER_PAGE = 25;

/** Refusal of a change that would leave the tenant with nobody able to administer it. */
export class LastSuperAdminError extends Conflict {
  constructor() {
    super(
      'This change would leave no active super admin who can sign in. ' +
        'Give another active person a super admin role first.',
    );
  }
}

/** A staff account of one tenant (tenant table): the same e-mail in two tenants is two accounts. */
export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<string>;
  declare email: string;
  declare name: string;
  declare passwordHash: string | null;
  declare active: CreationOptional<boolean>;
  declare department: string | null;
  declare lastLoginAt: CreationOptional<Date | null>;
  /** Goes up when the password changes or the person signs out everywhere; older sessions end. */
  declare credentialsVersion: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare roles?: NonAttribute<Role[]>;

  /** The lowest permission level of the user's roles (5, a plain member, when they have none). */
  get permissionLevel(): NonAttribute<number> {
    const levels = (this.roles ?? []).map((r) => r.permissionLevel);
    return levels.length ? Math.min(...levels) : 5;
  }

  /** The names of the user's roles, most powerful first. */
  get roleNames(): NonAttribute<string[]> {
    return [...(this.roles ?? [])]
      .sort((a, b) => a.permissionLevel - b.permissionLevel || a.name.localeCompare(b.name))
      .map((r) => r.name);
  }

  /** A plain copy for the audit log: the fields and the role names, never the password hash. */
  snapshot(): Record<string, unknown> {
    const {
      passwordHash: _hash,
      roles: _roles,
      ...fields
    } = this.get({ plain: true }) as Record<string, unknown>;
    return { ...fields, roles: this.roleNames };
  }

  /** Whether the person has not chosen a password yet (the hash itself is not loaded for this). */
  async invitationPending(): Promise<boolean> {
    return (await User.count({ where: { id: this.id, passwordHash: null } })) === 1;
  }

  async checkPassword(plain: string): Promise<boolean> {
    const stored = await User.scope('withPassword').findByPk(this.id, { attributes: ['passwordHash'] });
    return verifyPassword(stored?.passwordHash, plain);
  }

  async changePassword(plain: string): Promise<void> {
    await User.update({ passwordHash: await hashPassword(plain) }, { where: { id: this.id } });
  }

  /**
   * Every session signed in before now stops working on its next request (they carry the older
   * version); returns the new version, which the caller's own rotated session carries.
   */
  async newCredentialsVersion(): Promise<number> {
    const sequelize = User.sequelize;
    if (!sequelize) throw new Error('User is not initialised');
    const [row] = await sequelize.query<{ v: number }>(
      'UPDATE users SET credentials_version = credentials_version + 1 WHERE id = $1 RETURNING credentials_version AS v',
      { bind: [this.id], type: QueryTypes.SELECT },
    );
    this.setDataValue('credentialsVersion', row.v);
    return row.v;
  }

  /**
   * Name, department and roles in one change; refused (nothing saved) when it would leave no
   * active super admin.
   */
  async updateAccount(fields: { name: string; department: string | null }, roles: Role[]): Promise<void> {
    await User.keepingASuperAdmin(async () => {
      await User.update(fields, { where: { id: this.id } });
      await UserRole.destroy({ where: { userId: this.id } });
      await UserRole.bulkCreate(roles.map((r) => ({ userId: this.id, roleId: r.id })));
    });
    await this.reloadWithRoles();
  }

  /**
   * The person can no longer sign in, and their open sessions stop working on the next request
   * (sessions only load active users). Refused when they are the last active super admin.
   */
  async deactivate(): Promise<void> {
    await User.keepingASuperAdmin(() => User.update({ active: false }, { where: { id: this.id } }));
    await this.reloadWithRoles();
  }

  /**
   * The person can sign in again. This adds an active staff account: callers check the plan first
   * (plan-limits `withinPlan('users', ...)`), in the same transaction.
   */
  async reactivate(): Promise<void> {
    await User.withAccountsLock(() => User.update({ active: true }, { where: { id: this.id } }));
    await this.reloadWithRoles();
  }

  private async reloadWithRoles(): Promise<void> {
    await this.reload({ include: [{ association: 'roles' }] });
  }

  static normalizeEmail(email: string): string {
    return email.trim().toLowerCase();
  }

  static findWithRoles(id: string): Promise<User | null> {
    return User.findByPk(id, { include: [{ association: 'roles' }] });
  }

  /**
   * The active account a session names, with its roles: every signed-in request asks, so it is one
   * hand-written query (roles folded into a JSON array) rather than the generated join.
   */
  static async findActiveForSession(
    id: string,
    session: { version: number; rowId: string | null } = { version: 1, rowId: null },
  ): Promise<{ user: User; lastSeenAt: Date | null } | null> {
    const sequelize = User.sequelize;
    if (!sequelize) throw new Error('User is not initialised');
    // The same query checks the session: signed in under the current credentials version, and its
    // user_sessions row (when it has one: sessions from before that table have none) not ended.
    const [row] = await sequelize.query<
      InferCreationAttributes<User> & { roles: unknown[]; sessionSeenAt: Date | null }
    >(
      `SELECT u.id::text AS id, u.email, u.name, u.active, u.department,
              u.last_login_at AS "lastLoginAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt",
              u.credentials_version AS "credentialsVersion", s.last_seen_at AS "sessionSeenAt",
              COALESCE(json_agg(json_build_object(
                'id', r.id::text, 'name', r.name, 'permissionLevel', r.permission_level,
                'description', r.description)) FILTER (WHERE r.id IS NOT NULL), '[]') AS roles
         FROM users u
         LEFT JOIN user_sessions s ON s.id = $3::bigint AND s.user_id = u.id AND s.ended_at IS NULL
         LEFT JOIN user_roles ur ON ur.user_id = u.id
         LEFT JOIN roles r ON r.id = ur.role_id
        WHERE u.id = $1 AND u.active AND u.credentials_version = $2
          AND ($3::bigint IS NULL OR s.id IS NOT NULL)
        GROUP BY u.id, s.id`,
      { bind: [id, session.version, session.rowId], type: QueryTypes.SELECT },
    );
    if (!row) return null;
    const { sessionSeenAt, ...fields } = row;
    const user = User.build(fields, { isNewRecord: false, raw: true, include: [{ association: 'roles' }] });
    return { user, lastSeenAt: sessionSeenAt };
  }

  static async emailTaken(email: string, exceptId?: string): Promise<boolean> {
    const conditions: WhereOptions<User>[] = [sqlWhere(fn('lower', col('email')), email.toLowerCase())];
    if (exceptId) conditions.push({ id: { [Op.ne]: exceptId } });
    return (await User.count({ where: { [Op.and]: conditions } })) > 0;
  }

  /**
   * A new account without a password, holding `roles`; the caller checks the plan first (in the same
   * transaction) and sends the invitation.
   */
  static invite(fields: { name: string; email: string; department: string | null }, roles: Role[]) {
    return User.withAccountsLock(async () => {
      const user = await User.create({ ...fields, passwordHash: null });
      await UserRole.bulkCreate(roles.map((r) => ({ userId: user.id, roleId: r.id })));
      user.roles = roles;
      return user;
    });
  }

  /** The ids among `ids` of people who have not chosen a password yet. */
  static async pendingInvitations(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await User.findAll({ attributes: ['id'], where: { id: ids, passwordHash: null } });
    return new Set(rows.map((u) => String(u.id)));
  }

  /** Active people holding a level-0 role who can sign in (an invitation not yet accepted does not count). */
  static countActiveSuperAdmins(): Promise<number> {
    return User.count({
      where: { active: true, passwordHash: { [Op.ne]: null } },
      include: [{ association: 'roles', where: { permissionLevel: 0 }, attributes: [] }],
      distinct: true,
      col: 'id',
    });
  }

  /**
   * Runs `change` in a transaction that holds the tenant's accounts lock, so changes to accounts and
   * role holdings happen one at a time (two admins demoting each other at once cannot both win).
   */
  static withAccountsLock<T>(change: () => Promise<T>): Promise<T> {
    const sequelize = User.sequelize;
    if (!sequelize) throw new Error('User is not initialised (initModels)');
    // Joins the caller's transaction (an invitation checked against the plan is one unit of work).
    return inTransaction(sequelize, async () => {
      await sequelize.query(
        "SELECT pg_advisory_xact_lock(hashtext('steward:accounts:' || current_schema()))",
      );
      return change();
    });
  }

  /**
   * Runs `change` under the accounts lock and undoes it when it would leave no active super admin.
   * (A tenant that already has none is not blocked from repairing itself.)
   */
  static keepingASuperAdmin<T>(change: () => Promise<T>): Promise<T> {
    return User.withAccountsLock(async () => {
      const before = await User.countActiveSuperAdmins();
      const result = await change();
      if (before > 0 && (await User.countActiveSuperAdmins()) === 0) throw new LastSuperAdminError();
      return result;
    });
  }

  static initModel(sequelize: Sequelize): void {
    User.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
        name: { type: DataTypes.STRING(120), allowNull: false },
        passwordHash: { type: DataTypes.STRING(255), allowNull: true },
        active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        department: { type: DataTypes.STRING(120), allowNull: true },
        lastLoginAt: { type: DataTypes.DATE, allowNull: true },
        credentialsVersion: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      {
        sequelize,
        tableName: 'users',
        underscored: true,
        defaultScope: { attributes: { exclude: ['passwordHash'] } },
        scopes: { withPassword: { attributes: { include: ['passwordHash'] } } },
      },
    );
  }
}
