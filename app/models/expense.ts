import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** Money spent from a fund, with an optional receipt file; amounts in integer cents (tenant table). */
export class Expense extends Model<InferAttributes<Expense>, InferCreationAttributes<Expense>> {
  declare id: CreationOptional<string>;
  declare category: string;
  declare fundId: string;
  declare amountCents: string;
  declare spentOn: string;
  declare payee: string;
  declare note: string | null;
  declare receiptKey: string | null;
  declare receiptName: string | null;
  declare receiptType: string | null;
  declare createdBy: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    Expense.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        category: { type: DataTypes.STRING(80), allowNull: false },
        fundId: { type: DataTypes.BIGINT, allowNull: false },
        amountCents: { type: DataTypes.BIGINT, allowNull: false },
        spentOn: { type: DataTypes.DATEONLY, allowNull: false },
        payee: { type: DataTypes.STRING(160), allowNull: false },
        note: { type: DataTypes.STRING(300), allowNull: true },
        receiptKey: { type: DataTypes.STRING(200), allowNull: true },
        receiptName: { type: DataTypes.STRING(200), allowNull: true },
        receiptType: { type: DataTypes.STRING(100), allowNull: true },
        createdBy: { type: DataTypes.BIGINT, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'expenses', underscored: true },
    );
  }
}
