import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { User } from './user.ts';

export const PROJECT_ROLES = ['member', 'viewer'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

/** A staff user's place in a project: a member works on it, a viewer only reads (tenant table). */
export class ProjectMember extends Model<
  InferAttributes<ProjectMember>,
  InferCreationAttributes<ProjectMember>
> {
  declare projectId: string;
  declare userId: string;
  declare role: CreationOptional<ProjectRole>;
  declare createdAt: CreationOptional<Date>;
  declare user?: NonAttribute<User>;

  static initModel(sequelize: Sequelize): void {
    ProjectMember.init(
      {
        projectId: { type: DataTypes.BIGINT, primaryKey: true },
        userId: { type: DataTypes.BIGINT, primaryKey: true },
        role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'member' },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'project_members', underscored: true, updatedAt: false },
    );
  }
}
