import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { ProjectMember } from './project-member.ts';
import type { Task } from './task.ts';
import type { User } from './user.ts';

export const PROJECT_STATUSES = ['planning', 'active', 'on_hold', 'completed', 'archived'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

/** A piece of work with members and tasks (tenant table). */
export class Project extends Model<InferAttributes<Project>, InferCreationAttributes<Project>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare description: string | null;
  declare status: CreationOptional<ProjectStatus>;
  declare startsOn: string | null;
  declare endsOn: string | null;
  declare ownerId: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare owner?: NonAttribute<User | null>;
  declare memberships?: NonAttribute<ProjectMember[]>;
  declare tasks?: NonAttribute<Task[]>;

  static initModel(sequelize: Sequelize): void {
    Project.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        name: { type: DataTypes.STRING(160), allowNull: false },
        description: { type: DataTypes.TEXT, allowNull: true },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'planning' },
        startsOn: { type: DataTypes.DATEONLY, allowNull: true },
        endsOn: { type: DataTypes.DATEONLY, allowNull: true },
        ownerId: { type: DataTypes.BIGINT, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'projects', underscored: true },
    );
  }
}
