'use strict';

/**
 * Signed-in sessions of staff accounts, so a person can see where they are signed in and end
 * those sessions. The session id is kept only as its SHA-256 digest: this table never holds a
 * value that would open a session. `users.credentials_version` goes up whenever a password is
 * changed or reset, or the person signs out everywhere; a session signed in under an older
 * version is signed out on its next request, whichever store holds it.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    // Raw SQL: addColumn would qualify the table with the default schema; tenant migrations never name one.
    await queryInterface.sequelize.query(
      'ALTER TABLE users ADD COLUMN credentials_version INTEGER NOT NULL DEFAULT 1',
    );
    await queryInterface.createTable('user_sessions', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      user_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        references: { model: 'users', key: 'id' },
        onDelete: 'CASCADE',
      },
      sid_digest: { type: Sequelize.STRING(64), allowNull: false },
      user_agent: { type: Sequelize.STRING(400), allowNull: true },
      created_at: { type: Sequelize.DATE, allowNull: false },
      last_seen_at: { type: Sequelize.DATE, allowNull: false },
      ended_at: { type: Sequelize.DATE, allowNull: true },
    });
    await queryInterface.addIndex('user_sessions', ['sid_digest'], {
      name: 'user_sessions_sid_digest_key',
      unique: true,
    });
    await queryInterface.addIndex('user_sessions', ['user_id', 'last_seen_at'], {
      name: 'user_sessions_user_last_seen_idx',
    });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('user_sessions');
    await queryInterface.sequelize.query('ALTER TABLE users DROP COLUMN credentials_version');
  },
};
