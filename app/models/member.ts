import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { Group } from './group.ts';
import type { Household } from './household.ts';

export const MEMBER_STATUSES = ['visitor', 'regular', 'member', 'inactive'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A person of the church or company directory (tenant table); may be linked to a staff user. */
export class Member extends Model<InferAttributes<Member>, InferCreationAttributes<Member>> {
  declare id: CreationOptional<string>;
  declare firstName: string;
  declare lastName: string;
  declare email: string | null;
  declare phone: string | null;
  declare address: string | null;
  declare birthDate: string | null;
  declare status: CreationOptional<MemberStatus>;
  declare joinedOn: string | null;
  declare notes: string | null;
  declare householdId: string | null;
  declare userId: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare household?: NonAttribute<Household | null>;
  declare groups?: NonAttribute<Group[]>;

  static initModel(sequelize: Sequelize): void {
    Member.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        firstName: { type: DataTypes.STRING(80), allowNull: false },
        lastName: { type: DataTypes.STRING(80), allowNull: false },
        email: { type: DataTypes.STRING(254), allowNull: true },
        phone: { type: DataTypes.STRING(40), allowNull: true },
        address: { type: DataTypes.STRING(300), allowNull: true },
        birthDate: { type: DataTypes.DATEONLY, allowNull: true },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'visitor' },
        joinedOn: { type: DataTypes.DATEONLY, allowNull: true },
        notes: { type: DataTypes.TEXT, allowNull: true },
        householdId: { type: DataTypes.BIGINT, allowNull: true },
        userId: { type: DataTypes.BIGINT, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'members', underscored: true },
    );
  }
}
