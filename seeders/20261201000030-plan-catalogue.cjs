'use strict';

/**
 * The plans the platform offers. Runs everywhere, production included: it inserts a plan whose code
 * is missing and never touches one that exists, so prices and limits a platform admin changed in
 * /admin/plans stay as they are. The first public migration created these four with the table; a
 * new plan is added by a new seeder file, like a migration.
 */
const PLANS = [
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
];

/** @type {{ up: Function, down: Function }} */
module.exports = {
  PLANS,

  async up(queryInterface) {
    // ON CONFLICT (code) DO NOTHING: an existing plan is the admin's, whatever its price now.
    await queryInterface.bulkInsert({ tableName: 'plans', schema: 'public' }, PLANS, {
      ignoreDuplicates: true,
    });
  },

  async down(queryInterface) {
    // Only plans no tenant is on: a tenant's plan must keep existing.
    await queryInterface.sequelize.query(
      'DELETE FROM public.plans p WHERE p.code = ANY($1) AND NOT EXISTS (SELECT 1 FROM public.tenants t WHERE t.plan = p.code)',
      { bind: [PLANS.map((p) => p.code)] },
    );
  },
};
