'use strict';

/**
 * The demo church "grace" and company "acme", one user per permission level, filled with a year of
 * people, groups, attendance, money and projects (app/services/demo.ts). Demo data: never run in
 * production. Safe to run again: an existing demo tenant is left alone.
 */
/** @type {{ demo: boolean, up: Function, down: Function }} */
module.exports = {
  demo: true,

  async up(_queryInterface, _Sequelize, app) {
    const { createDemo } = await app.import('app/services/demo');
    await createDemo({ scale: app.demoScale });
  },

  async down(_queryInterface, _Sequelize, app) {
    const { deleteDemo } = await app.import('app/services/demo');
    await deleteDemo();
  },
};
