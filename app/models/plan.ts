import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';

/**
 * Money is kept in whole cents (INTEGER or BIGINT, the latter read as a string) and shown with
 * integer arithmetic only, so no amount is ever rounded through a float.
 */
export function formatCents(cents: string | number | bigint): string {
  const value = BigInt(cents);
  const abs = value < 0n ? -value : value;
  const units = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const rest = (abs % 100n).toString().padStart(2, '0');
  return `${value < 0n ? '-' : ''}$${units}.${rest}`;
}

/** Cents as the decimal a person types into a form: 2999 → "29.99". */
export function centsAsDecimal(cents: number): string {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export const PLAN_LIMITS = [
  { field: 'maxProjects', label: 'Projects' },
  { field: 'maxTasks', label: 'Tasks' },
  { field: 'maxMembers', label: 'Members' },
] as const;

/** A subscription plan with its limits; a null limit means unlimited. Public table. */
export class Plan extends Model<InferAttributes<Plan>, InferCreationAttributes<Plan>> {
  declare id: CreationOptional<string>;
  declare code: string;
  declare name: string;
  declare pricePerMonthCents: number;
  declare maxProjects: number | null;
  declare maxTasks: number | null;
  declare maxMembers: number | null;
  declare position: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  get priceLabel(): NonAttribute<string> {
    return formatCents(this.pricePerMonthCents);
  }

  /** A limit for people to read: null is unlimited. */
  limitLabel(field: (typeof PLAN_LIMITS)[number]['field']): string {
    const value = this[field];
    return value === null ? 'Unlimited' : value.toLocaleString('en-US');
  }

  static initModel(sequelize: Sequelize): void {
    Plan.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        code: { type: DataTypes.STRING(32), allowNull: false, unique: true },
        name: { type: DataTypes.STRING(60), allowNull: false },
        pricePerMonthCents: { type: DataTypes.INTEGER, allowNull: false },
        maxProjects: { type: DataTypes.INTEGER, allowNull: true },
        maxTasks: { type: DataTypes.INTEGER, allowNull: true },
        maxMembers: { type: DataTypes.INTEGER, allowNull: true },
        position: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'plans', schema: 'public', underscored: true },
    );
  }
}
