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
