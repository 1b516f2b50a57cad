'use strict';

/**
 * "E-mail me task reminders" on the profile page: on by default. Off stops the due-soon and overdue
 * e-mails to that person; the notices in the app stay.
 */
module.exports = {
  async up(queryInterface) {
    // Raw SQL: addColumn would qualify the table with the default schema; tenant migrations never name one.
    await queryInterface.sequelize.query(
      'ALTER TABLE users ADD COLUMN task_reminders BOOLEAN NOT NULL DEFAULT true',
    );
  },

  async down(queryInterface) {
    await queryInterface.sequelize.query('ALTER TABLE users DROP COLUMN task_reminders');
  },
};
