import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { type CliIo, runCli } from '../../app/cli.ts';
import { db } from '../../app/db/database.ts';
import { runSeeders, SEEDER_TABLE } from '../../app/db/seeder.ts';
import { Member, Tenant, User } from '../../app/models/index.ts';
import { deleteDemo } from '../../app/services/demo.ts';
import { withTenant } from '../../app/tenancy/context.ts';

const DEMO_SEEDER = '20261201000031-demo-tenants';

async function demoCounts() {
  const out: Record<string, { users: number; members: number }> = {};
  for (const t of await Tenant.findAll({ where: { slug: ['grace', 'acme'] } }))
    out[t.slug] = await withTenant(t.toRef(), async () => ({
      users: await User.count(),
      members: await Member.count(),
    }));
  return out;
}

describe('demo tenants seeder', function () {
  this.timeout(60_000);

  // An earlier test may have made the demo (cli demo); start without it, and leave without it, since
  // other tests loop over every tenant.
  async function forgetDemo() {
    await deleteDemo();
    await db().query(`DELETE FROM public.${SEEDER_TABLE} WHERE name = $1`, { bind: [DEMO_SEEDER] });
  }
  before(forgetDemo);
  after(forgetDemo);

  it('creates grace and acme once, each with one user per permission level, and records it', async () => {
    const run = await runSeeders({ demo: true, demoScale: 0.05 });
    expect(run.applied).to.include(DEMO_SEEDER);
    expect(run.demo).to.equal(true);
    const counts = await demoCounts();
    expect(Object.keys(counts).sort()).to.deep.equal(['acme', 'grace']);
    expect(counts.grace.users).to.equal(6);
    expect(counts.acme.users).to.equal(6);
    expect(counts.grace.members).to.be.greaterThan(0);
    const rows = await db().query(`SELECT 1 FROM public.${SEEDER_TABLE} WHERE name = $1`, {
      bind: [DEMO_SEEDER],
      type: QueryTypes.SELECT,
    });
    expect(rows).to.have.length(1);
  });

  it('adds nothing when run again', async () => {
    const before = await demoCounts();
    const tenants = await Tenant.count();
    const run = await runSeeders({ demo: true, demoScale: 0.05 });
    expect(run).to.deep.equal({ applied: [], demo: false });
    expect(await Tenant.count()).to.equal(tenants);
    expect(await demoCounts()).to.deep.equal(before);
  });

  it('is what `cli demo` runs: it prints the accounts and adds nothing', async () => {
    const lines: string[] = [];
    const io: CliIo = {
      out: (l) => lines.push(l),
      err: (l) => lines.push(`ERR ${l}`),
      progress: () => {},
      isTTY: false,
      ask: async () => '',
    };
    const before = await demoCounts();
    expect(await runCli(['demo'], io, null)).to.equal(0);
    expect(await demoCounts()).to.deep.equal(before);
    const text = lines.join('\n');
    expect(text).to.match(/grace: http:\/\/grace\.localhost/);
    expect(text).to.match(/level 0 {2}pastor@grace\.test/);
    expect(text).to.match(/level 5 {2}member@acme\.test/);
  });
});
