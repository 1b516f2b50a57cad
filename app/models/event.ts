import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** A service or a group meeting that attendance is taken for (tenant table). */
export class Event extends Model<InferAttributes<Event>, InferCreationAttributes<Event>> {
  declare id: CreationOptional<string>;
  declare title: string;
  declare kind: CreationOptional<'service' | 'group_meeting'>;
  declare groupId: string | null;
  declare startsAt: Date;
  declare visitorCount: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    Event.init(
      {
        id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
        title: { type: DataTypes.STRING(160), allowNull: false },
        kind: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'service' },
        groupId: { type: DataTypes.BIGINT, allowNull: true },
        startsAt: { type: DataTypes.DATE, allowNull: false },
        visitorCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'events', underscored: true },
    );
  }
}
