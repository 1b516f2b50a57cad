'use strict';

/** The shared (public) tables: tenants, their domains, plans and platform admins. */
/** @type {{ up: Function, down: Function }} */
module.exports = {
  async up(queryInterface, Sequelize) {
    const now = { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') };
    const t = (tableName) => ({ tableName, schema: 'public' });

    await queryInterface.sequelize.query('CREATE SCHEMA IF NOT EXISTS extensions');

    await queryInterface.createTable(t('plans'), {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      code: { type: Sequelize.STRING(32), allowNull: false, unique: true },
      name: { type: Sequelize.STRING(60), allowNull: false },
      price_per_month_cents: { type: Sequelize.INTEGER, allowNull: false },
      max_projects: { type: Sequelize.INTEGER, allowNull: true },
      max_tasks: { type: Sequelize.INTEGER, allowNull: true },
      max_members: { type: Sequelize.INTEGER, allowNull: true },
      position: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      created_at: now,
      updated_at: now,
    });
    await queryInterface.bulkInsert(t('plans'), [
      {
        code: 'free',
        name: 'Free',
        price_per_month_cents: 0,
        max_projects: 1,
        max_tasks: 10,
        max_members: 3,
        position: 1,
      },
      {
        code: 'basic',
        name: 'Basic',
        price_per_month_cents: 900,
        max_projects: 5,
        max_tasks: 50,
        max_members: 10,
        position: 2,
      },
      {
        code: 'premium',
        name: 'Premium',
        price_per_month_cents: 2900,
        max_projects: 50,
        max_tasks: 500,
        max_members: 100,
        position: 3,
      },
      {
        code: 'enterprise',
        name: 'Enterprise',
        price_per_month_cents: 9900,
        max_projects: null,
        max_tasks: null,
        max_members: null,
        position: 4,
      },
    ]);

    await queryInterface.createTable(t('tenants'), {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      name: { type: Sequelize.STRING(120), allowNull: false },
      slug: { type: Sequelize.STRING(40), allowNull: false, unique: true },
      schema_name: { type: Sequelize.STRING(63), allowNull: false, unique: true },
      kind: { type: Sequelize.STRING(16), allowNull: false },
      status: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'trial' },
      plan: { type: Sequelize.STRING(32), allowNull: false, defaultValue: 'free' },
      on_trial: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      trial_ends_at: { type: Sequelize.DATE, allowNull: true },
      paid_until: { type: Sequelize.DATEONLY, allowNull: true },
      credit_cents: { type: Sequelize.BIGINT, allowNull: false, defaultValue: 0 },
      created_at: now,
      updated_at: now,
    });
    await queryInterface.addConstraint(t('tenants'), {
      type: 'check',
      fields: ['kind'],
      name: 'tenants_kind_check',
      where: { kind: ['church', 'company'] },
    });
    await queryInterface.addConstraint(t('tenants'), {
      type: 'check',
      fields: ['status'],
      name: 'tenants_status_check',
      where: { status: ['trial', 'active', 'past_due', 'suspended'] },
    });
    await queryInterface.addIndex(t('tenants'), ['status'], { name: 'tenants_status_idx' });

    await queryInterface.createTable(t('domains'), {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      domain: { type: Sequelize.STRING(253), allowNull: false, unique: true },
      tenant_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        references: { model: t('tenants'), key: 'id' },
        onDelete: 'CASCADE',
      },
      is_primary: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: false },
      created_at: now,
      updated_at: now,
    });
    await queryInterface.addIndex(t('domains'), ['tenant_id'], { name: 'domains_tenant_idx' });
    await queryInterface.sequelize.query(
      'CREATE UNIQUE INDEX domains_one_primary_idx ON public.domains (tenant_id) WHERE is_primary',
    );

    await queryInterface.createTable(t('platform_admins'), {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      email: { type: Sequelize.STRING(254), allowNull: false, unique: true },
      name: { type: Sequelize.STRING(120), allowNull: false },
      password_hash: { type: Sequelize.STRING(255), allowNull: false },
      active: { type: Sequelize.BOOLEAN, allowNull: false, defaultValue: true },
      last_login_at: { type: Sequelize.DATE, allowNull: true },
      created_at: now,
      updated_at: now,
    });
  },

  async down(queryInterface) {
    for (const name of ['platform_admins', 'domains', 'tenants', 'plans']) {
      await queryInterface.dropTable({ tableName: name, schema: 'public' });
    }
  },
};
