'use strict';

/**
 * The credit ledger (billing_entries), the record of scheduled job runs (job_runs), and the two
 * tenant columns the billing jobs need: when a tenant became past due (the grace period counts from
 * it) and when its trial-ending warning was sent (so it is sent once).
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    const t = (tableName) => ({ tableName, schema: 'public' });
    const now = { type: Sequelize.DATE, allowNull: false, defaultValue: Sequelize.fn('now') };

    await queryInterface.addColumn(t('tenants'), 'past_due_since', {
      type: Sequelize.DATEONLY,
      allowNull: true,
    });
    await queryInterface.addColumn(t('tenants'), 'trial_warned_at', {
      type: Sequelize.DATE,
      allowNull: true,
    });

    await queryInterface.createTable(t('billing_entries'), {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      tenant_id: {
        type: Sequelize.BIGINT,
        allowNull: false,
        references: { model: t('tenants'), key: 'id' },
        onDelete: 'CASCADE',
      },
      day: { type: Sequelize.DATEONLY, allowNull: false },
      kind: { type: Sequelize.STRING(16), allowNull: false },
      amount_cents: { type: Sequelize.BIGINT, allowNull: false },
      balance_after_cents: { type: Sequelize.BIGINT, allowNull: false },
      note: { type: Sequelize.STRING(200), allowNull: true },
      created_by: {
        type: Sequelize.BIGINT,
        allowNull: true,
        references: { model: t('platform_admins'), key: 'id' },
        onDelete: 'SET NULL',
      },
      created_at: now,
    });
    await queryInterface.addConstraint(t('billing_entries'), {
      type: 'check',
      fields: ['kind'],
      name: 'billing_entries_kind_check',
      where: { kind: ['charge', 'top_up', 'adjustment'] },
    });
    // A tenant is charged at most once a day, however often or wherever the job runs.
    await queryInterface.sequelize.query(
      `CREATE UNIQUE INDEX billing_entries_one_charge_a_day
         ON public.billing_entries (tenant_id, day, kind) WHERE kind = 'charge'`,
    );
    await queryInterface.addIndex(t('billing_entries'), ['tenant_id', 'created_at'], {
      name: 'billing_entries_tenant_idx',
    });

    await queryInterface.createTable(t('job_runs'), {
      id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true },
      job: { type: Sequelize.STRING(60), allowNull: false },
      started_at: now,
      finished_at: { type: Sequelize.DATE, allowNull: true },
      status: { type: Sequelize.STRING(16), allowNull: false, defaultValue: 'running' },
      tenants_done: { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 },
      failures: {
        type: Sequelize.JSONB,
        allowNull: false,
        defaultValue: Sequelize.literal("'[]'::jsonb"),
      },
      triggered_by: { type: Sequelize.STRING(200), allowNull: false, defaultValue: 'schedule' },
    });
    await queryInterface.addConstraint(t('job_runs'), {
      type: 'check',
      fields: ['status'],
      name: 'job_runs_status_check',
      where: { status: ['running', 'succeeded', 'failed', 'partial'] },
    });
    await queryInterface.addIndex(t('job_runs'), ['job', 'started_at'], { name: 'job_runs_job_idx' });
    await queryInterface.addIndex(t('job_runs'), ['started_at'], { name: 'job_runs_started_idx' });
  },

  async down(queryInterface) {
    await queryInterface.dropTable({ tableName: 'job_runs', schema: 'public' });
    await queryInterface.dropTable({ tableName: 'billing_entries', schema: 'public' });
    await queryInterface.removeColumn({ tableName: 'tenants', schema: 'public' }, 'trial_warned_at');
    await queryInterface.removeColumn({ tableName: 'tenants', schema: 'public' }, 'past_due_since');
  },
};
