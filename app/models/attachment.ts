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

/** A file attached to a task; the bytes live in the tenant's file store under `fileKey` (tenant table). */
export class Attachment extends Model<InferAttributes<Attachment>, InferCreationAttributes<Attachment>> {
  declare id: CreationOptional<string>;
  declare taskId: string;
  declare fileKey: string;
  declare fileName: string;
  declare contentType: string;
  declare sizeBytes: number;
  declare uploadedBy: string | null;
  declare createdAt: CreationOptional<Date>;
  declare uploader?: NonAttribute<User | null>;

  static initModel(sequelize: Sequelize): void {
    Attachment.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        taskId: { type: DataTypes.BIGINT, allowNull: false },
        fileKey: { type: DataTypes.STRING(200), allowNull: false },
        fileName: { type: DataTypes.STRING(200), allowNull: false },
        contentType: { type: DataTypes.STRING(100), allowNull: false },
        // BIGINT arrives as a string from pg; files are far below 2^53 bytes.
        sizeBytes: {
          type: DataTypes.BIGINT,
          allowNull: false,
          get(this: Attachment): number {
            return Number(this.getDataValue('sizeBytes'));
          },
        },
        uploadedBy: { type: DataTypes.BIGINT, allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'attachments', underscored: true, updatedAt: false },
    );
  }
}
