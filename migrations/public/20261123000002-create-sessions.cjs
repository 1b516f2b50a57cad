'use strict';

/** Sessions when Redis is not configured (connect-pg-simple's layout). */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE TABLE IF NOT EXISTS public.sessions (
        sid varchar NOT NULL PRIMARY KEY,
        sess json NOT NULL,
        expire timestamp(6) NOT NULL
      )`);
    await queryInterface.sequelize.query(
      'CREATE INDEX IF NOT EXISTS sessions_expire_idx ON public.sessions (expire)',
    );
  },
  async down(queryInterface) {
    await queryInterface.dropTable({ tableName: 'sessions', schema: 'public' });
  },
};
