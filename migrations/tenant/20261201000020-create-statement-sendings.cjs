'use strict';

/**
 * What was e-mailed of each giving statement: one row per person and year, holding the latest send
 * (the audit log keeps every send). A send first claims the row (`claimed_at`) in one statement,
 * so two clicks, or two web processes, never send one statement twice; `sent_at` is set once the
 * message has gone. The unique (member_id, year) index is what claims rest on.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('statement_sendings', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      member_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        references: { model: 'members', key: 'id' },
        onDelete: 'CASCADE',
      },
      year: { type: Sequelize.INTEGER, allowNull: false },
      // The address of the latest successful send.
      email: { type: Sequelize.STRING(254), allowNull: true },
      sent_at: { type: Sequelize.DATE, allowNull: true },
      sent_by_user_id: {
        type: Sequelize.BIGINT,
        allowNull: true,
        references: { model: 'users', key: 'id' },
        onDelete: 'SET NULL',
      },
      sends: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      // Set while a send is under way; a claim older than a few minutes counts as abandoned.
      claimed_at: { type: Sequelize.DATE, allowNull: true },
    });
    await queryInterface.addIndex('statement_sendings', ['member_id', 'year'], {
      name: 'statement_sendings_member_year_key',
      unique: true,
    });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('statement_sendings');
  },
};
