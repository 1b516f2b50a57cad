import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

export const CONTRIBUTION_METHODS = ['cash', 'check', 'card', 'transfer', 'online', 'other'] as const;
export type ContributionMethod = (typeof CONTRIBUTION_METHODS)[number];

/** Money given, by a member or anonymously, to a fund; amounts in integer cents (tenant table). */
export class Contribution extends Model<
  InferAttributes<Contribution>,
  InferCreationAttributes<Contribution>
> {
  declare id: CreationOptional<string>;
  declare memberId: string | null;
  declare fundId: string;
  declare amountCents: string;
  declare receivedOn: string;
  declare method: CreationOptional<ContributionMethod>;
  declare reference: string | null;
  declare note: string | null;
  declare createdBy: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    Contribution.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        memberId: { type: DataTypes.BIGINT, allowNull: true },
        fundId: { type: DataTypes.BIGINT, allowNull: false },
        amountCents: { type: DataTypes.BIGINT, allowNull: false },
        receivedOn: { type: DataTypes.DATEONLY, allowNull: false },
        method: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'cash' },
        reference: { type: DataTypes.STRING(80), allowNull: true },
        note: { type: DataTypes.STRING(300), allowNull: true },
        createdBy: { type: DataTypes.BIGINT, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'contributions', underscored: true },
    );
  }
}
