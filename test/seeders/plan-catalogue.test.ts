import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { runSeeders, SEEDER_TABLE, SEEDERS_DIR } from '../../app/db/seeder.ts';
import { Plan } from '../../app/models/index.ts';

const CATALOGUE = '20261201000030-plan-catalogue';
const { PLANS } = createRequire(import.meta.url)(path.join(SEEDERS_DIR, `${CATALOGUE}.cjs`)) as {
  PLANS: { code: string; price_per_month_cents: number; max_projects: number | null }[];
};

async function recorded(): Promise<string[]> {
  const rows = await db().query<{ name: string }>(`SELECT name FROM public.${SEEDER_TABLE} ORDER BY name`, {
    type: QueryTypes.SELECT,
  });
  return rows.map((r) => r.name);
}

describe('plan catalogue seeder', () => {
  let premiumPrice = 0;

  before(async () => {
    premiumPrice = (await Plan.findOne({ where: { code: 'premium' } }))?.pricePerMonthCents ?? 0;
  });
  after(async () => {
    await Plan.update({ pricePerMonthCents: premiumPrice }, { where: { code: 'premium' } });
  });

  it('leaves every catalogue plan in the database and records itself, without demo data', async () => {
    await db().query(`DELETE FROM public.${SEEDER_TABLE} WHERE name = $1`, { bind: [CATALOGUE] });
    const run = await runSeeders({ demo: false });
    expect(run).to.deep.equal({ applied: [CATALOGUE], demo: false });
    const codes = (await Plan.findAll()).map((p) => p.code);
    expect(codes).to.include.members(PLANS.map((p) => p.code));
    expect(await recorded()).to.include(CATALOGUE);
  });

  it('runs nothing again once recorded', async () => {
    const before = await Plan.count();
    expect((await runSeeders({ demo: false })).applied).to.deep.equal([]);
    expect(await Plan.count()).to.equal(before);
  });

  it('adds a missing plan and keeps the price an admin changed', async () => {
    await Plan.update({ pricePerMonthCents: 3100 }, { where: { code: 'premium' } });
    const enterprise = await Plan.findOne({ where: { code: 'enterprise' } });
    // No test tenant may be on it while it is gone; put back the same row if one is.
    const onIt = await db().query("SELECT 1 FROM public.tenants WHERE plan = 'enterprise' LIMIT 1", {
      type: QueryTypes.SELECT,
    });
    if (!onIt.length) await enterprise?.destroy();
    await db().query(`DELETE FROM public.${SEEDER_TABLE} WHERE name = $1`, { bind: [CATALOGUE] });

    const run = await runSeeders({ demo: false });

    expect(run.applied).to.deep.equal([CATALOGUE]);
    expect((await Plan.findOne({ where: { code: 'premium' } }))?.pricePerMonthCents).to.equal(3100);
    const back = await Plan.findOne({ where: { code: 'enterprise' } });
    expect(back?.pricePerMonthCents).to.equal(
      PLANS.find((p) => p.code === 'enterprise')?.price_per_month_cents,
    );
    expect(back?.maxProjects).to.equal(null);
    expect(await Plan.count({ where: { code: 'premium' } })).to.equal(1);
  });
});
