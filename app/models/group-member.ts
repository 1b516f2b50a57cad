import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** A member's place in a group: leader or member (tenant table). */
export class GroupMember extends Model<InferAttributes<GroupMember>, InferCreationAttributes<GroupMember>> {
  declare groupId: string;
  declare memberId: string;
  declare role: CreationOptional<'leader' | 'member'>;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    GroupMember.init(
      {
        groupId: { type: DataTypes.BIGINT, primaryKey: true },
        memberId: { type: DataTypes.BIGINT, primaryKey: true },
        role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'member' },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'group_members', underscored: true, updatedAt: false },
    );
  }
}
