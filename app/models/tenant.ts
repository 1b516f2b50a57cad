import {
  type CreationOptional,
  DataTypes,
  type GroupedCountResultItem,
  type InferAttributes,
  type InferCreationAttributes,
  literal,
  Model,
  type NonAttribute,
  Op,
  type Sequelize,
  type WhereOptions,
} from 'sequelize';
import { config } from '../../config/index.ts';
import { ValidationError } from '../errors.ts';
import { type TenantRef, withTenant } from '../tenancy/context.ts';
import { Domain } from './domain.ts';
import { formatCents } from './plan.ts';
import { User } from './user.ts';

export const TENANT_KINDS = ['church', 'company'] as const;
export const TENANT_STATUSES = ['trial', 'active', 'past_due', 'suspended'] as const;
export type TenantKind = (typeof TENANT_KINDS)[number];
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** What the platform admin's tenant list asks for. */
export interface TenantSearch {
  q: string;
  status?: TenantStatus;
  kind?: TenantKind;
  page: number;
  perPage: number;
  /** Rows to skip; overrides `page` (the API's cursors carry an offset). */
  offset?: number;
}

export interface TenantFigures {
  total: number;
  byStatus: Record<TenantStatus, number>;
  byKind: Record<TenantKind, number>;
  signUpsThisMonth: number;
}

/** `text` as an ILIKE pattern that matches it anywhere, with its own % _ and backslash taken literally. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Grouped counts as a full map: a value no tenant has yet counts 0. */
function countsOf<K extends string>(keys: readonly K[], rows: GroupedCountResultItem[], field: string) {
  const counts = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const row of rows) {
    const key = row[field] as K;
    if (key in counts) counts[key] = Number(row.count);
  }
  return counts;
}

/** An organisation (church or company); its data lives in its own schema. Public table. */
export class Tenant extends Model<InferAttributes<Tenant>, InferCreationAttributes<Tenant>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare slug: string;
  declare schemaName: string;
  declare kind: TenantKind;
  declare status: CreationOptional<TenantStatus>;
  declare plan: CreationOptional<string>;
  declare onTrial: CreationOptional<boolean>;
  declare trialEndsAt: Date | null;
  declare paidUntil: string | null;
  /** Prepaid balance in cents (may go negative when past due). */
  declare creditCents: CreationOptional<string>;
  /** The billing day it went past due (the grace period counts from it); null when not past due. */
  declare pastDueSince: CreationOptional<string | null>;
  /** When the trial-ending e-mail was sent, so it is sent once. */
  declare trialWarnedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  /** The credit balance as money, computed on the integer cents. */
  get creditLabel(): NonAttribute<string> {
    return formatCents(this.creditCents ?? '0');
  }

  /** Still inside its free trial, so reactivation returns it to 'trial' rather than 'active'. */
  isOnTrial(now = new Date()): boolean {
    return Boolean(this.onTrial && this.trialEndsAt && this.trialEndsAt > now);
  }

  /** Its hosts then answer with the suspended page; every record is kept. */
  async suspend(): Promise<void> {
    await this.update({ status: 'suspended' });
  }

  async reactivate(): Promise<void> {
    await this.update({ status: this.isOnTrial() ? 'trial' : 'active' });
  }

  /** Staff accounts, counted in the tenant's own schema. */
  userCount(): Promise<number> {
    return withTenant(this.toRef(), () => User.count());
  }

  /** Its domains, the primary one first. */
  domainList(): Promise<Domain[]> {
    return Domain.findAll({
      where: { tenantId: this.id },
      order: [
        ['isPrimary', 'DESC'],
        ['domain', 'ASC'],
      ],
    });
  }

  /** One of its own domains (never another tenant's), or null. */
  findDomain(id: string): Promise<Domain | null> {
    return Domain.findOne({ where: { id, tenantId: this.id } });
  }

  /**
   * Serves the tenant on another host as well. Uniqueness is checked here so the person gets a
   * field message; the unique index stays the last guard against a race.
   */
  async addDomain(domain: string): Promise<Domain> {
    const problem = await this.domainConflict(domain);
    if (problem) throw new ValidationError({ domain: problem });
    try {
      return await Domain.create({ domain, tenantId: this.id, isPrimary: false });
    } catch (err) {
      if ((err as Error).name === 'SequelizeUniqueConstraintError')
        throw new ValidationError({ domain: 'is already in use' });
      throw err;
    }
  }

  private async domainConflict(domain: string): Promise<string | null> {
    if (domain === config.BASE_DOMAIN) return "is the platform's own address";
    const existing = await Domain.findOne({ where: { domain } });
    if (existing)
      return existing.tenantId === this.id ? 'is already one of its domains' : 'is already in use';
    // <slug>.BASE_DOMAIN reaches a tenant by its slug even without a domain row: keep it theirs.
    const suffix = `.${config.BASE_DOMAIN}`;
    const label = domain.endsWith(suffix) ? domain.slice(0, -suffix.length) : '';
    if (label && label !== this.slug && (await Tenant.count({ where: { slug: label } })))
      return 'is the address of another organisation';
    return null;
  }

  /** A page of tenants matching a search on name, slug or domain, and the status and kind filters. */
  static async search(filter: TenantSearch): Promise<{ rows: Tenant[]; count: number }> {
    const where: WhereOptions<Tenant>[] = [];
    if (filter.q) {
      const pattern = containsPattern(filter.q);
      const sequelize = Tenant.sequelize;
      if (!sequelize) throw new Error('Tenant is not initialised');
      // Escaped exactly as Sequelize escapes the name and slug patterns next to it.
      const viaDomain = literal(
        `(SELECT tenant_id FROM public.domains WHERE domain ILIKE ${sequelize.escape(pattern)})`,
      );
      where.push({
        [Op.or]: [
          { name: { [Op.iLike]: pattern } },
          { slug: { [Op.iLike]: pattern } },
          { id: { [Op.in]: viaDomain } },
        ],
      });
    }
    if (filter.status) where.push({ status: filter.status });
    if (filter.kind) where.push({ kind: filter.kind });
    return Tenant.findAndCountAll({
      where: { [Op.and]: where },
      order: [
        ['name', 'ASC'],
        ['id', 'ASC'],
      ],
      limit: filter.perPage,
      offset: filter.offset ?? (filter.page - 1) * filter.perPage,
    });
  }

  /** The primary domain of each of `tenants`, by tenant id. */
  static async primaryDomains(tenants: Tenant[]): Promise<Map<string, string>> {
    const rows = await Domain.findAll({
      where: { tenantId: tenants.map((t) => t.id), isPrimary: true },
    });
    return new Map(rows.map((d) => [String(d.tenantId), d.domain]));
  }

  /** The platform dashboard's numbers; "this month" is the calendar month in UTC. */
  static async figures(now = new Date()): Promise<TenantFigures> {
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    const [total, byStatus, byKind, signUpsThisMonth] = await Promise.all([
      Tenant.count(),
      Tenant.count({ group: ['status'] }),
      Tenant.count({ group: ['kind'] }),
      Tenant.count({ where: { createdAt: { [Op.gte]: monthStart, [Op.lt]: nextMonth } } }),
    ]);
    return {
      total,
      byStatus: countsOf(TENANT_STATUSES, byStatus, 'status'),
      byKind: countsOf(TENANT_KINDS, byKind, 'kind'),
      signUpsThisMonth,
    };
  }

  toRef(): TenantRef {
    return {
      id: String(this.id),
      slug: this.slug,
      schema: this.schemaName,
      name: this.name,
      kind: this.kind,
      status: this.status,
    };
  }

  static initModel(sequelize: Sequelize): void {
    Tenant.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        name: { type: DataTypes.STRING(120), allowNull: false },
        slug: { type: DataTypes.STRING(40), allowNull: false, unique: true },
        schemaName: { type: DataTypes.STRING(63), allowNull: false, unique: true },
        kind: { type: DataTypes.STRING(16), allowNull: false },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'trial' },
        plan: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'free' },
        onTrial: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        trialEndsAt: { type: DataTypes.DATE, allowNull: true },
        paidUntil: { type: DataTypes.DATEONLY, allowNull: true },
        creditCents: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
        pastDueSince: { type: DataTypes.DATEONLY, allowNull: true },
        trialWarnedAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'tenants', schema: 'public', underscored: true },
    );
  }
}
