'use strict';

/**
 * Notifications for staff users, saved before they are pushed to open pages. `dedupe_key` makes a
 * job's notice (e.g. "task 42 overdue") idempotent: one per user and key.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('notifications', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      user_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        references: { model: 'users', key: 'id' },
        onDelete: 'CASCADE',
      },
      kind: { type: Sequelize.STRING(40), allowNull: false },
      title: { type: Sequelize.STRING(200), allowNull: false },
      body: { type: Sequelize.STRING(1000), allowNull: true },
      url: { type: Sequelize.STRING(300), allowNull: true },
      dedupe_key: { type: Sequelize.STRING(120), allowNull: true },
      read_at: { type: Sequelize.DATE, allowNull: true },
      created_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') },
    });
    await queryInterface.addIndex('notifications', ['user_id', 'created_at'], {
      name: 'notifications_user_idx',
    });
    await queryInterface.addIndex('notifications', ['user_id'], {
      name: 'notifications_unread_idx',
      where: { read_at: null },
    });
    await queryInterface.addIndex('notifications', ['user_id', 'dedupe_key'], {
      name: 'notifications_dedupe_key',
      unique: true,
      where: { dedupe_key: { [Sequelize.Op.ne]: null } },
    });
    // Jobs remember which tasks they have chased, so each task is chased once.
    await queryInterface.sequelize.query('ALTER TABLE tasks ADD COLUMN overdue_notified_at TIMESTAMPTZ');
    await queryInterface.sequelize.query('ALTER TABLE tasks ADD COLUMN due_soon_notified_at TIMESTAMPTZ');
  },

  async down(queryInterface) {
    await queryInterface.sequelize.query('ALTER TABLE tasks DROP COLUMN due_soon_notified_at');
    await queryInterface.sequelize.query('ALTER TABLE tasks DROP COLUMN overdue_notified_at');
    await queryInterface.dropTable('notifications');
  },
};
