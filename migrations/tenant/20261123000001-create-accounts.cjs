'use strict';

/**
 * A tenant's accounts: users, roles, the roles each user holds, and the tenant's editable texts.
 * Tenant migrations use unqualified table names (the schema is chosen by the search path), no
 * ENUM types (CHECK constraints instead) and no triggers.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const now = { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') };

    await queryInterface.createTable('users', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      email: { type: Sequelize.STRING(254), allowNull: false, unique: true },
      name: { type: Sequelize.STRING(120), allowNull: false },
      password_hash: { type: Sequelize.STRING(255), allowNull: true },
      active: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      department: { type: Sequelize.STRING(120), allowNull: true },
      last_login_at: { type: Sequelize.DATE, allowNull: true },
      created_at: now,
      updated_at: now,
    });

    await queryInterface.createTable('roles', {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      name: { type: Sequelize.STRING(60), allowNull: false, unique: true },
      permission_level: { type: Sequelize.SMALLINT, allowNull: false },
      description: { type: Sequelize.STRING(255), allowNull: true },
      created_at: now,
      updated_at: now,
    });
    await queryInterface.addConstraint('roles', {
      type: 'check',
      fields: ['permission_level'],
      name: 'roles_permission_level_check',
      where: { permission_level: { [Sequelize.Op.between]: [0, 5] } },
    });

    await queryInterface.createTable('user_roles', {
      user_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        primaryKey: true,
        references: { model: 'users', key: 'id' },
        onDelete: 'CASCADE',
      },
      role_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        primaryKey: true,
        references: { model: 'roles', key: 'id' },
        onDelete: 'CASCADE',
      },
    });
    await queryInterface.addIndex('user_roles', ['role_id'], { name: 'user_roles_role_idx' });

    await queryInterface.createTable('settings', {
      key: { type: Sequelize.STRING(80), primaryKey: true },
      value: { type: Sequelize.TEXT, allowNull: false, defaultValue: '' },
      updated_at: now,
    });
  },

  async down(queryInterface) {
    for (const name of ['settings', 'user_roles', 'roles', 'users']) await queryInterface.dropTable(name);
  },
};
