import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** A member present at an event (tenant table). */
export class Attendance extends Model<InferAttributes<Attendance>, InferCreationAttributes<Attendance>> {
  declare eventId: string;
  declare memberId: string;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    Attendance.init(
      {
        eventId: { type: DataTypes.BIGINT, primaryKey: true },
        memberId: { type: DataTypes.BIGINT, primaryKey: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'attendances', underscored: true, updatedAt: false },
    );
  }
}
