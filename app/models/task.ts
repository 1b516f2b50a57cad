import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { Project } from './project.ts';
import type { User } from './user.ts';

export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export const TASK_STATUSES = ['todo', 'in_progress', 'review', 'done'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A task of a project (tenant table). Done tasks keep `completedAt`; old ones are archived, never deleted. */
export class Task extends Model<InferAttributes<Task>, InferCreationAttributes<Task>> {
  declare id: CreationOptional<string>;
  declare projectId: string;
  declare title: string;
  declare description: string | null;
  declare priority: CreationOptional<TaskPriority>;
  declare status: CreationOptional<TaskStatus>;
  declare assigneeId: string | null;
  declare dueAt: Date | null;
  declare completedAt: Date | null;
  declare archivedAt: CreationOptional<Date | null>;
  /** When the assignee and owner were told the task is overdue (once per task). */
  declare overdueNotifiedAt: CreationOptional<Date | null>;
  /** When the assignee was told the task is due within a day (once per task). */
  declare dueSoonNotifiedAt: CreationOptional<Date | null>;
  declare createdBy: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare project?: NonAttribute<Project>;
  declare assignee?: NonAttribute<User | null>;

  /** Whether moving to `status` brings the task back from the archive (the archive holds done work). */
  leavesArchiveFor(status: TaskStatus): boolean {
    return Boolean(this.archivedAt) && status !== 'done';
  }

  static initModel(sequelize: Sequelize): void {
    Task.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        projectId: { type: DataTypes.BIGINT, allowNull: false },
        title: { type: DataTypes.STRING(200), allowNull: false },
        description: { type: DataTypes.TEXT, allowNull: true },
        priority: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'medium' },
        status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'todo' },
        assigneeId: { type: DataTypes.BIGINT, allowNull: true },
        dueAt: { type: DataTypes.DATE, allowNull: true },
        completedAt: { type: DataTypes.DATE, allowNull: true },
        archivedAt: { type: DataTypes.DATE, allowNull: true },
        overdueNotifiedAt: { type: DataTypes.DATE, allowNull: true },
        dueSoonNotifiedAt: { type: DataTypes.DATE, allowNull: true },
        createdBy: { type: DataTypes.BIGINT, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'tasks', underscored: true },
    );
  }
}
