import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** Where money is given to or spent from: tithe, offering, building... (tenant table). */
export class Fund extends Model<InferAttributes<Fund>, InferCreationAttributes<Fund>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare description: string | null;
  declare active: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    Fund.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        name: { type: DataTypes.STRING(80), allowNull: false, unique: true },
        description: { type: DataTypes.STRING(300), allowNull: true },
        active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'funds', underscored: true },
    );
  }
}

/** The funds a new tenant starts with, by kind; they can be renamed or deactivated later. */
export const DEFAULT_FUNDS: Record<'church' | 'company', { name: string; description: string }[]> = {
  church: [
    { name: 'Tithe', description: 'Regular tithes' },
    { name: 'Offering', description: 'General offerings' },
    { name: 'Building', description: 'Building and maintenance' },
  ],
  company: [
    { name: 'Sales', description: 'Income from sales' },
    { name: 'Services', description: 'Income from services' },
    { name: 'General', description: 'Everything else' },
  ],
};
