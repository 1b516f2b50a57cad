'use strict';

/**
 * The notice outbox: what a job must tell a tenant's super admins (past due, suspended, low
 * credit, trial ending) is written here in the same transaction as the change that calls for it,
 * one row per tenant, event and day, and delivered afterwards. A crash between the commit and the
 * delivery leaves the row for the next run; a rerun adds no second row.
 *
 * `claimed_by` is the job run delivering the row: a claim holds only while that run is running, so
 * the rows of a run whose process died are taken up by the next run. `mailed_to` lists the
 * addresses already e-mailed, so a retried row does not e-mail them again.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const t = (tableName) => ({ tableName, schema: 'public' });
    await queryInterface.createTable(t('notice_outbox'), {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      tenant_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        references: { model: t('tenants'), key: 'id' },
        onDelete: 'CASCADE',
      },
      event: { type: Sequelize.STRING(32), allowNull: false },
      day: { type: Sequelize.DATEONLY, allowNull: false },
      details: {
        type: Sequelize.JSONB,
        allowNull: false,
        defaultValue: Sequelize.literal("'{}'::jsonb"),
      },
      created_at: { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') },
      claimed_by: {
        type: Sequelize.BIGINT,
        allowNull: true,
        references: { model: t('job_runs'), key: 'id' },
        onDelete: 'SET NULL',
      },
      claimed_at: { type: Sequelize.DATE, allowNull: true },
      attempts: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      mailed_to: {
        type: Sequelize.JSONB,
        allowNull: false,
        defaultValue: Sequelize.literal("'[]'::jsonb"),
      },
      last_error: { type: Sequelize.STRING(500), allowNull: true },
      delivered_at: { type: Sequelize.DATE, allowNull: true },
    });
    await queryInterface.addConstraint(t('notice_outbox'), {
      type: 'unique',
      fields: ['tenant_id', 'event', 'day'],
      name: 'notice_outbox_one_per_tenant_event_day',
    });
    // What the deliverer looks for: the rows not delivered yet, oldest first.
    await queryInterface.sequelize.query(
      'CREATE INDEX notice_outbox_undelivered ON public.notice_outbox (id) WHERE delivered_at IS NULL',
    );
  },

  async down(queryInterface) {
    await queryInterface.dropTable({ tableName: 'notice_outbox', schema: 'public' });
  },
};
