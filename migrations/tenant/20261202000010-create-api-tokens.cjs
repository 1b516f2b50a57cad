'use strict';

/**
 * Credentials of the JSON API, kept in the tenant's schema like the accounts they belong to.
 *
 * - `api_token_families`: one per sign-in through `POST /api/v1/token`. Every refresh token of a
 *   sign-in belongs to its family; revoking the family ends the sign-in, and access tokens name
 *   their family, so they stop working on their next request too.
 * - `api_refresh_tokens`: each refresh token is used once (`used_at`); presenting one already used
 *   revokes its whole family, since only a stolen copy would be presented twice.
 * - `personal_access_tokens`: long-lived tokens for scripts and integrations, made on the profile
 *   page, read-only or read-write, with an optional expiry.
 * - `api_idempotency_keys`: the first response to a create sent with an `Idempotency-Key`, so a retry
 *   gets it again instead of making a second record.
 *
 * Only SHA-256 digests of tokens are stored: nothing here opens an account.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const userRef = {
      type: Sequelize.BIGINT,
      allowNull: false,
      references: { model: 'users', key: 'id' },
      onDelete: 'CASCADE',
    };
    await queryInterface.createTable('api_token_families', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      user_id: userRef,
      user_agent: { type: Sequelize.STRING(400), allowNull: true },
      created_at: { type: Sequelize.DATE, allowNull: false },
      last_used_at: { type: Sequelize.DATE, allowNull: false },
      expires_at: { type: Sequelize.DATE, allowNull: false },
      revoked_at: { type: Sequelize.DATE, allowNull: true },
      revoked_reason: { type: Sequelize.STRING(40), allowNull: true },
    });
    await queryInterface.addIndex('api_token_families', ['user_id'], { name: 'api_token_families_user_idx' });
    await queryInterface.createTable('api_refresh_tokens', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      family_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        references: { model: 'api_token_families', key: 'id' },
        onDelete: 'CASCADE',
      },
      token_digest: { type: Sequelize.STRING(64), allowNull: false },
      created_at: { type: Sequelize.DATE, allowNull: false },
      used_at: { type: Sequelize.DATE, allowNull: true },
    });
    await queryInterface.addIndex('api_refresh_tokens', ['token_digest'], {
      name: 'api_refresh_tokens_digest_key',
      unique: true,
    });
    await queryInterface.addIndex('api_refresh_tokens', ['family_id'], {
      name: 'api_refresh_tokens_family_idx',
    });
    await queryInterface.createTable('personal_access_tokens', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      user_id: userRef,
      name: { type: Sequelize.STRING(80), allowNull: false },
      scope: { type: Sequelize.STRING(12), allowNull: false },
      token_digest: { type: Sequelize.STRING(64), allowNull: false },
      hint: { type: Sequelize.STRING(16), allowNull: false },
      created_at: { type: Sequelize.DATE, allowNull: false },
      expires_at: { type: Sequelize.DATE, allowNull: true },
      last_used_at: { type: Sequelize.DATE, allowNull: true },
      revoked_at: { type: Sequelize.DATE, allowNull: true },
    });
    await queryInterface.sequelize.query(
      "ALTER TABLE personal_access_tokens ADD CONSTRAINT personal_access_tokens_scope_check CHECK (scope IN ('read', 'read-write'))",
    );
    await queryInterface.addIndex('personal_access_tokens', ['token_digest'], {
      name: 'personal_access_tokens_digest_key',
      unique: true,
    });
    await queryInterface.addIndex('personal_access_tokens', ['user_id'], {
      name: 'personal_access_tokens_user_idx',
    });
    await queryInterface.createTable('api_idempotency_keys', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      principal: { type: Sequelize.STRING(40), allowNull: false },
      idempotency_key: { type: Sequelize.STRING(200), allowNull: false },
      request_digest: { type: Sequelize.STRING(64), allowNull: false },
      status: { type: Sequelize.INTEGER, allowNull: false },
      response: { type: Sequelize.JSONB, allowNull: false },
      created_at: { type: Sequelize.DATE, allowNull: false },
    });
    await queryInterface.addIndex('api_idempotency_keys', ['principal', 'idempotency_key'], {
      name: 'api_idempotency_keys_key',
      unique: true,
    });
    await queryInterface.addIndex('api_idempotency_keys', ['created_at'], {
      name: 'api_idempotency_keys_created_idx',
    });
  },

  async down(queryInterface) {
    await queryInterface.dropTable('api_idempotency_keys');
    await queryInterface.dropTable('personal_access_tokens');
    await queryInterface.dropTable('api_refresh_tokens');
    await queryInterface.dropTable('api_token_families');
  },
};
