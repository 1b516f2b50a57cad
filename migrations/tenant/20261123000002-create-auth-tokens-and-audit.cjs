'use strict';

/**
 * Single-use tokens (password reset, invitation, sign-in hand-off), stored as hashes, and the
 * audit log every module writes to.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('auth_tokens', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      user_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        references: { model: 'users', key: 'id' },
        onDelete: 'CASCADE',
      },
      purpose: { type: Sequelize.STRING(16), allowNull: false },
      token_hash: { type: Sequelize.STRING(64), allowNull: false, unique: true },
      expires_at: { type: Sequelize.DATE, allowNull: false },
      used_at: { type: Sequelize.DATE, allowNull: true },
      created_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') },
    });
    await queryInterface.addConstraint('auth_tokens', {
      type: 'check',
      fields: ['purpose'],
      name: 'auth_tokens_purpose_check',
      where: { purpose: ['reset', 'invite', 'login'] },
    });
    await queryInterface.addIndex('auth_tokens', ['user_id', 'purpose'], {
      name: 'auth_tokens_user_purpose_idx',
    });

    await queryInterface.createTable('audit_logs', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      actor_id: { type: Sequelize.BIGINT, allowNull: true },
      actor_name: { type: Sequelize.STRING(120), allowNull: true },
      action: { type: Sequelize.STRING(40), allowNull: false },
      record_type: { type: Sequelize.STRING(40), allowNull: false },
      record_id: { type: Sequelize.STRING(40), allowNull: true },
      record_label: { type: Sequelize.STRING(200), allowNull: true },
      changes: { type: Sequelize.JSONB, allowNull: false, defaultValue: {} },
      ip: { type: Sequelize.STRING(64), allowNull: true },
      created_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') },
    });
    await queryInterface.addIndex('audit_logs', ['created_at'], { name: 'audit_logs_created_idx' });
    await queryInterface.addIndex('audit_logs', ['record_type', 'record_id'], {
      name: 'audit_logs_record_idx',
    });
    await queryInterface.addIndex('audit_logs', ['actor_id'], { name: 'audit_logs_actor_idx' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('audit_logs');
    await queryInterface.dropTable('auth_tokens');
  },
};
