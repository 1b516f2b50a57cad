'use strict';

/**
 * Indexes that match what the pages ask for:
 * - The directory sorts by last name, first name and id (the id keeps pages stable between equal
 *   names). With the id in the index, the first page of a big directory is read from the index in
 *   order instead of sorting every person.
 * - A person's status and a project's status take four values each: an index on them alone is
 *   never chosen over a scan, yet every write pays for it and every new tenant builds it.
 * One statement per query: the compiled bundle for new tenants leaves out an index that is dropped
 * again (see app/db/ddl-bundle.ts).
 */
module.exports = {
  async up(queryInterface) {
    const run = (sql) => queryInterface.sequelize.query(sql);
    await run('DROP INDEX IF EXISTS members_name_idx');
    await run('CREATE INDEX members_name_idx ON members (last_name, first_name, id)');
    await run('DROP INDEX IF EXISTS members_status_idx');
    await run('DROP INDEX IF EXISTS projects_status_idx');
  },

  async down(queryInterface) {
    const run = (sql) => queryInterface.sequelize.query(sql);
    await run('DROP INDEX IF EXISTS members_name_idx');
    await run('CREATE INDEX members_name_idx ON members (last_name, first_name)');
    await run('CREATE INDEX IF NOT EXISTS members_status_idx ON members (status)');
    await run('CREATE INDEX IF NOT EXISTS projects_status_idx ON projects (status)');
  },
};
