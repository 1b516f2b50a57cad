import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** Something a staff user should know, shown in the bell and pushed to open pages (tenant table). */
export class Notification extends Model<
  InferAttributes<Notification>,
  InferCreationAttributes<Notification>
> {
  declare id: CreationOptional<string>;
  declare userId: string;
  declare kind: string;
  declare title: string;
  declare body: string | null;
  declare url: string | null;
  /** One notification per user and key (e.g. `task:42:overdue`); null for no such limit. */
  declare dedupeKey: string | null;
  declare readAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    Notification.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        userId: { type: DataTypes.BIGINT, allowNull: false },
        kind: { type: DataTypes.STRING(40), allowNull: false },
        title: { type: DataTypes.STRING(200), allowNull: false },
        body: { type: DataTypes.STRING(1000), allowNull: true },
        url: { type: DataTypes.STRING(300), allowNull: true },
        dedupeKey: { type: DataTypes.STRING(120), allowNull: true },
        readAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'notifications', underscored: true, updatedAt: false },
    );
  }
}
