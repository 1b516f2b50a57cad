'use strict';

/**
 * One scheduled occurrence, one run: a run the scheduler starts records the cron slot it belongs to
 * (`scheduled_for`), unique per job, taken before the run. A second clock, or a web process with
 * the scheduler beside a clock process, finds the slot taken and runs nothing, even when it fires
 * after the first run has finished. Manual runs leave it null and always run.
 */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.addColumn({ tableName: 'job_runs', schema: 'public' }, 'scheduled_for', {
      type: Sequelize.DATE,
      allowNull: true,
    });
    await queryInterface.sequelize.query(
      `CREATE UNIQUE INDEX job_runs_one_run_per_occurrence
         ON public.job_runs (job, scheduled_for) WHERE scheduled_for IS NOT NULL`,
    );
  },

  async down(queryInterface) {
    await queryInterface.sequelize.query('DROP INDEX IF EXISTS public.job_runs_one_run_per_occurrence');
    await queryInterface.removeColumn({ tableName: 'job_runs', schema: 'public' }, 'scheduled_for');
  },
};
