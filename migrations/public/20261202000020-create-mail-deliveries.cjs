'use strict';

/**
 * E-mails go out through the job queue. A mail job records here, by its job id, that its message
 * was accepted by the mail server, so a retry of the same job (its worker died after sending, before
 * finishing the job) does not send it again.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable(
      { tableName: 'mail_deliveries', schema: 'public' },
      {
        job_id: { type: Sequelize.STRING(64), primaryKey: true },
        tenant_id: { type: Sequelize.BIGINT, allowNull: true },
        recipient: { type: Sequelize.STRING(320), allowNull: false },
        subject: { type: Sequelize.STRING(300), allowNull: false },
        sent_at: { type: Sequelize.DATE, allowNull: false },
      },
    );
    await queryInterface.addIndex({ tableName: 'mail_deliveries', schema: 'public' }, ['sent_at'], {
      name: 'mail_deliveries_sent_at_idx',
    });
  },

  async down(queryInterface) {
    await queryInterface.dropTable({ tableName: 'mail_deliveries', schema: 'public' });
  },
};
