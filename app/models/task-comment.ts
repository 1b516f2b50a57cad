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

/** A comment on a task, with its author (tenant table). */
export class TaskComment extends Model<InferAttributes<TaskComment>, InferCreationAttributes<TaskComment>> {
  declare id: CreationOptional<string>;
  declare taskId: string;
  declare authorId: string | null;
  declare body: string;
  declare editedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare author?: NonAttribute<User | null>;
  declare mentioned?: NonAttribute<User[]>;

  static initModel(sequelize: Sequelize): void {
    TaskComment.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        taskId: { type: DataTypes.BIGINT, allowNull: false },
        authorId: { type: DataTypes.BIGINT, allowNull: true },
        body: { type: DataTypes.TEXT, allowNull: false },
        editedAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'task_comments', underscored: true },
    );
  }
}
