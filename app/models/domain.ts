import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** A host name that serves a tenant; a tenant has one primary domain and any number of others. */
export class Domain extends Model<InferAttributes<Domain>, InferCreationAttributes<Domain>> {
  declare id: CreationOptional<string>;
  declare domain: string;
  declare tenantId: string;
  declare isPrimary: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  /** Makes this the tenant's primary domain; the old one stays as an ordinary domain. */
  async makePrimary(): Promise<void> {
    const sequelize = Domain.sequelize;
    if (!sequelize) throw new Error('Domain is not initialised');
    // The unique index allows one primary per tenant, so the old one is cleared first, in one transaction.
    await sequelize.transaction(async () => {
      await Domain.update({ isPrimary: false }, { where: { tenantId: this.tenantId, isPrimary: true } });
      await this.update({ isPrimary: true });
    });
  }

  static initModel(sequelize: Sequelize): void {
    Domain.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        domain: { type: DataTypes.STRING(253), allowNull: false, unique: true },
        tenantId: { type: DataTypes.BIGINT, allowNull: false },
        isPrimary: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'domains', schema: 'public', underscored: true },
    );
  }
}

const HOST_RE =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Returns a message saying what is wrong with a domain name, or null when it is acceptable. */
export function domainProblem(domain: string): string | null {
  if (!HOST_RE.test(domain)) return 'must be a host name such as grace.example.org';
  return null;
}
