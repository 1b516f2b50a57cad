import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

/** Who did what to which record, and what changed (tenant table). */
export class AuditLog extends Model<InferAttributes<AuditLog>, InferCreationAttributes<AuditLog>> {
  declare id: CreationOptional<string>;
  declare actorId: string | null;
  declare actorName: string | null;
  declare action: string;
  declare recordType: string;
  declare recordId: string | null;
  declare recordLabel: string | null;
  declare changes: CreationOptional<FieldChanges>;
  declare ip: string | null;
  /** The project the record belongs to, for the project's activity feed. */
  declare projectId: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    AuditLog.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        actorId: { type: DataTypes.BIGINT, allowNull: true },
        actorName: { type: DataTypes.STRING(120), allowNull: true },
        action: { type: DataTypes.STRING(40), allowNull: false },
        recordType: { type: DataTypes.STRING(40), allowNull: false },
        recordId: { type: DataTypes.STRING(40), allowNull: true },
        recordLabel: { type: DataTypes.STRING(200), allowNull: true },
        changes: { type: DataTypes.JSONB, allowNull: false, defaultValue: {} },
        ip: { type: DataTypes.STRING(64), allowNull: true },
        projectId: { type: DataTypes.BIGINT, allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'audit_logs', underscored: true, updatedAt: false },
    );
  }
}
