'use strict';

/**
 * The platform's side of the JSON API: personal access tokens of platform admins (made on
 * /admin/tokens, for the admin API on the root domain), and the first responses to creates sent to
 * the root domain's API with an `Idempotency-Key` (sign-up by API, tenants made by admins). Only
 * SHA-256 digests of tokens are stored. The names differ from the tenant tables on purpose: no
 * table name exists both in `public` and in a tenant schema.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const t = (tableName) => ({ tableName, schema: 'public' });
    await queryInterface.createTable(t('platform_access_tokens'), {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      admin_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        references: { model: t('platform_admins'), key: 'id' },
        onDelete: 'CASCADE',
      },
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
      "ALTER TABLE public.platform_access_tokens ADD CONSTRAINT platform_access_tokens_scope_check CHECK (scope IN ('read', 'read-write'))",
    );
    await queryInterface.addIndex(t('platform_access_tokens'), ['token_digest'], {
      name: 'platform_access_tokens_digest_key',
      unique: true,
    });
    await queryInterface.createTable(t('platform_idempotency_keys'), {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      principal: { type: Sequelize.STRING(80), allowNull: false },
      idempotency_key: { type: Sequelize.STRING(200), allowNull: false },
      request_digest: { type: Sequelize.STRING(64), allowNull: false },
      status: { type: Sequelize.INTEGER, allowNull: false },
      response: { type: Sequelize.JSONB, allowNull: false },
      created_at: { type: Sequelize.DATE, allowNull: false },
    });
    await queryInterface.addIndex(t('platform_idempotency_keys'), ['principal', 'idempotency_key'], {
      name: 'platform_idempotency_keys_key',
      unique: true,
    });
  },

  async down(queryInterface) {
    await queryInterface.dropTable({ tableName: 'platform_idempotency_keys', schema: 'public' });
    await queryInterface.dropTable({ tableName: 'platform_access_tokens', schema: 'public' });
  },
};
