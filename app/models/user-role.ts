import {
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** Which roles a user holds (tenant table). */
export class UserRole extends Model<InferAttributes<UserRole>, InferCreationAttributes<UserRole>> {
  declare userId: string;
  declare roleId: string;

  static initModel(sequelize: Sequelize): void {
    UserRole.init(
      {
        userId: { type: DataTypes.BIGINT, primaryKey: true },
        roleId: { type: DataTypes.BIGINT, primaryKey: true },
      },
      { sequelize, tableName: 'user_roles', underscored: true, timestamps: false },
    );
  }
}
