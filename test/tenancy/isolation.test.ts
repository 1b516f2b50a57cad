import { expect } from 'chai';
import { Op, QueryTypes, Sequelize } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { Role, Setting, type Tenant, User, UserRole } from '../../app/models/index.ts';
import { currentTenant, withTenant } from '../../app/tenancy/context.ts';
import { searchPathFor } from '../../app/tenancy/search-path.ts';
import { config } from '../../config/index.ts';
import { createTenant } from '../support/factories.ts';

/** Runs `count` units with `parallel` in flight, interleaving tenants (unit i uses tenant i % n). */
async function runInterleaved(
  count: number,
  parallel: number,
  unit: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await unit(i);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

describe('tenant isolation under concurrency', function () {
  this.timeout(180_000);
  const UNITS = 2000;
  let tenants: Tenant[];

  before(async () => {
    tenants = [];
    for (let i = 0; i < 3; i++) tenants.push(await createTenant());
    for (const t of tenants) {
      await withTenant(t.toRef(), async () => {
        const role = await Role.create({ name: `role-of-${t.slug}`, permissionLevel: 4, description: null });
        const admin = await User.findOne({ where: { email: `admin@${t.slug}.test` } });
        await UserRole.create({ userId: admin?.id ?? '0', roleId: role.id });
      });
    }
  });

  it('keeps 2,000 interleaved units of reads, writes, transactions and joins over 3 tenants in their own schema with a pool of 5', async () => {
    expect(db().config.pool?.max).to.equal(5);
    const leaks: string[] = [];
    await runInterleaved(UNITS, 40, async (i) => {
      const t = tenants[i % tenants.length];
      await withTenant(t.toRef(), async () => {
        // write, then read back everything visible: nothing may belong to another tenant
        await Setting.create({ key: `probe:${i}`, value: t.slug });
        const foreign = await Setting.count({
          where: { key: { [Op.like]: 'probe:%' }, value: { [Op.ne]: t.slug } },
        });
        if (foreign) leaks.push(`unit ${i} (${t.slug}) read ${foreign} probe rows of another tenant`);
        // a transaction that writes and reads on its own connection
        await db().transaction(async () => {
          const email = `u${i}@${t.slug}.test`;
          await User.create({ email, name: t.slug, passwordHash: null, department: null });
          const seen = await User.findOne({ where: { email } });
          if (seen?.name !== t.slug) leaks.push(`unit ${i} (${t.slug}) lost its own write in a transaction`);
        });
        // a join through user_roles: the admin's roles are this tenant's
        const admin = await User.findOne({
          where: { email: `admin@${t.slug}.test` },
          include: [{ model: Role, as: 'roles' }],
        });
        const names = (admin?.roles ?? []).map((r) => r.name);
        if (
          !names.includes(`role-of-${t.slug}`) ||
          names.some((n) => n.startsWith('role-of-') && n !== `role-of-${t.slug}`)
        ) {
          leaks.push(`unit ${i} (${t.slug}) joined to roles [${names.join(', ')}]`);
        }
      });
    });
    expect(leaks, leaks.slice(0, 5).join('\n')).to.deep.equal([]);

    for (const [n, t] of tenants.entries()) {
      const expected = Math.ceil((UNITS - n) / tenants.length);
      await withTenant(t.toRef(), async () => {
        const probes = await Setting.findAll({ where: { key: { [Op.like]: 'probe:%' } } });
        expect(probes).to.have.length(expected);
        expect(new Set(probes.map((p) => p.value))).to.deep.equal(new Set([t.slug]));
        expect(await User.count({ where: { email: { [Op.like]: `u%@${t.slug}.test` } } })).to.equal(expected);
        expect(await User.count({ where: { email: { [Op.notLike]: `%@${t.slug}.test` } } })).to.equal(0);
      });
    }
  });

  it('detects leaks when the path is set only once per connection (control)', async () => {
    // The same detector against a pool whose connections keep the path of whoever opened them.
    const naive = new Sequelize(config.DATABASE_URL ?? '', {
      dialect: 'postgres',
      logging: false,
      pool: { max: 5, min: 0 },
    });
    naive.addHook('afterConnect', async (connection: unknown) => {
      const conn = connection as { query(sql: string): Promise<unknown> };
      await conn.query(`SET search_path TO ${searchPathFor(currentTenant()?.schema ?? null)}`);
    });
    let leaks = 0;
    try {
      await runInterleaved(300, 20, async (i) => {
        const t = tenants[i % tenants.length];
        await withTenant(t.toRef(), async () => {
          await naive.query('INSERT INTO settings (key, value) VALUES ($1, $2)', {
            bind: [`control:${i}`, t.slug],
          });
          const rows = await naive.query<{ n: string }>(
            "SELECT count(*) AS n FROM settings WHERE key LIKE 'control:%' AND value <> $1",
            { bind: [t.slug], type: QueryTypes.SELECT },
          );
          if (Number(rows[0]?.n) > 0) leaks += 1;
        });
      });
    } finally {
      await naive.close();
    }
    expect(leaks).to.be.greaterThan(0);
  });
});
