import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';

/** A user `@mentioned` in a comment; `notifiedAt` is set once they have been told (tenant table). */
export class CommentMention extends Model<
  InferAttributes<CommentMention>,
  InferCreationAttributes<CommentMention>
> {
  declare commentId: string;
  declare userId: string;
  declare notifiedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): void {
    CommentMention.init(
      {
        commentId: { type: DataTypes.BIGINT, primaryKey: true },
        userId: { type: DataTypes.BIGINT, primaryKey: true },
        notifiedAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'comment_mentions', underscored: true, updatedAt: false },
    );
  }
}
