import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { Member } from './member.ts';

/** A small group, ministry or team with leaders and members (tenant table). */
export class Group extends Model<InferAttributes<Group>, InferCreationAttributes<Group>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare description: string | null;
  declare meetingDay: number | null;
  declare meetingTime: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare members?: NonAttribute<Member[]>;

  static initModel(sequelize: Sequelize): void {
    Group.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        name: { type: DataTypes.STRING(120), allowNull: false, unique: true },
        description: { type: DataTypes.TEXT, allowNull: true },
        meetingDay: { type: DataTypes.SMALLINT, allowNull: true },
        meetingTime: { type: DataTypes.TIME, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'groups', underscored: true },
    );
  }
}
