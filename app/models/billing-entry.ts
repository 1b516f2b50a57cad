import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import { formatCents } from './plan.ts';

export const BILLING_KINDS = ['charge', 'top_up', 'adjustment'] as const;
export type BillingKind = (typeof BILLING_KINDS)[number];

const KIND_LABELS: Record<BillingKind, string> = {
  charge: 'Daily charge',
  top_up: 'Top-up',
  adjustment: 'Adjustment',
};

/**
 * One line of a tenant's credit ledger: a daily charge (negative), a top-up (positive) or an
 * adjustment, with the balance it left. A charge is unique per tenant and day. Public table.
 */
export class BillingEntry extends Model<
  InferAttributes<BillingEntry>,
  InferCreationAttributes<BillingEntry>
> {
  declare id: CreationOptional<string>;
  declare tenantId: string;
  /** The billing day (YYYY-MM-DD in BILLING_TIMEZONE). */
  declare day: string;
  declare kind: BillingKind;
  /** Signed cents: charges are negative. BIGINT, read as a string. */
  declare amountCents: string;
  declare balanceAfterCents: string;
  declare note: string | null;
  /** The platform admin who made it; null for the daily job. */
  declare createdBy: string | null;
  declare createdAt: CreationOptional<Date>;

  get kindLabel(): NonAttribute<string> {
    return KIND_LABELS[this.kind] ?? this.kind;
  }

  get amountLabel(): NonAttribute<string> {
    return formatCents(this.amountCents);
  }

  get balanceLabel(): NonAttribute<string> {
    return formatCents(this.balanceAfterCents);
  }

  /** A page of a tenant's ledger, newest first. */
  static async pageFor(
    tenantId: string,
    page: number,
    perPage: number,
  ): Promise<{ entries: BillingEntry[]; total: number; pages: number }> {
    const { rows, count } = await BillingEntry.findAndCountAll({
      where: { tenantId },
      order: [
        ['createdAt', 'DESC'],
        ['id', 'DESC'],
      ],
      limit: perPage,
      offset: (page - 1) * perPage,
    });
    return { entries: rows, total: count, pages: Math.max(1, Math.ceil(count / perPage)) };
  }

  static initModel(sequelize: Sequelize): void {
    BillingEntry.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        tenantId: { type: DataTypes.BIGINT, allowNull: false },
        day: { type: DataTypes.DATEONLY, allowNull: false },
        kind: { type: DataTypes.STRING(16), allowNull: false },
        amountCents: { type: DataTypes.BIGINT, allowNull: false },
        balanceAfterCents: { type: DataTypes.BIGINT, allowNull: false },
        note: { type: DataTypes.STRING(200), allowNull: true },
        createdBy: { type: DataTypes.BIGINT, allowNull: true },
        createdAt: DataTypes.DATE,
      },
      {
        sequelize,
        tableName: 'billing_entries',
        schema: 'public',
        underscored: true,
        updatedAt: false,
      },
    );
  }
}
