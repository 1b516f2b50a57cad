import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { db } from '../../app/db/database.ts';
import { ValidationError } from '../../app/errors.ts';
import { Domain, Role, Setting, Tenant, User } from '../../app/models/index.ts';
import { deleteTenant, provisionTenant } from '../../app/services/provisioning.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { createTenant, hostOf, http, testPasswordHash, uniqueSlug } from '../support/factories.ts';

async function schemaExists(schema: string): Promise<boolean> {
  const rows = await db().query('SELECT 1 FROM pg_namespace WHERE nspname = $1', {
    bind: [schema],
    type: QueryTypes.SELECT,
  });
  return rows.length === 1;
}

async function tablesOf(schema: string): Promise<string[]> {
  const rows = await db().query<{ tablename: string }>(
    'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
    { bind: [schema], type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.tablename);
}

async function leftovers(slug: string) {
  return {
    schema: await schemaExists(`t_${slug.replace(/-/g, '_')}`),
    tenant: await Tenant.count({ where: { slug } }),
    domain: await Domain.count({ where: { domain: `${slug}.localhost` } }),
  };
}

describe('provisioning', () => {
  it('creates the schema with every tenant table, records its migrations and seeds roles, texts and the admin', async () => {
    const slug = uniqueSlug('church');
    const { tenant, admin, domain } = await provisionTenant({
      slug,
      name: 'St Mark',
      kind: 'church',
      adminEmail: 'Pastor@StMark.test',
      adminPassword: 'a long enough password',
    });
    expect(tenant.schemaName).to.equal(`t_${slug}`);
    expect(domain).to.equal(`${slug}.localhost`);
    expect(await tablesOf(tenant.schemaName)).to.include.members([
      'roles',
      'settings',
      'tenant_migrations',
      'user_roles',
      'users',
    ]);
    expect(await tablesOf('extensions')).to.deep.equal([]);
    expect(await tablesOf('public')).not.to.include.members(['users', 'roles', 'settings']);
    expect(tenant.status).to.equal('trial');
    expect(tenant.trialEndsAt?.getTime()).to.be.greaterThan(Date.now());
    await withTenant(tenant.toRef(), async () => {
      const recorded = await db().query<{ name: string }>('SELECT name FROM tenant_migrations', {
        type: QueryTypes.SELECT,
      });
      expect(recorded.map((r) => r.name)).to.include('20261123000001-create-accounts');
      const roles = await Role.findAll({ order: [['permissionLevel', 'ASC']] });
      expect(roles.map((r) => r.name)).to.include.members(['Pastor / Administrator', 'Treasurer', 'Member']);
      expect(new Set(roles.map((r) => r.permissionLevel))).to.deep.equal(new Set([0, 1, 2, 3, 4, 5]));
      const user = await User.findByPk(admin.id, { include: [{ model: Role, as: 'roles' }] });
      expect(user?.email).to.equal('pastor@stmark.test');
      expect(user?.permissionLevel).to.equal(0);
      expect((await Setting.all()).welcome_text).to.include('St Mark');
    });
  });

  it('creates nothing when a step fails part way', async () => {
    const slug = uniqueSlug();
    let thrown: unknown;
    try {
      await createTenant(
        { slug },
        {
          extraSteps: async () => {
            throw new Error('disk full');
          },
        },
      );
    } catch (err) {
      thrown = err;
    }
    expect((thrown as Error).message).to.equal('disk full');
    expect(await leftovers(slug)).to.deep.equal({ schema: false, tenant: 0, domain: 0 });
  });

  it('refuses a slug that is taken, with a clear message', async () => {
    const slug = uniqueSlug();
    await createTenant({ slug });
    let thrown: unknown;
    try {
      await createTenant({ slug });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(ValidationError);
    expect((thrown as ValidationError).fields.slug).to.match(/already taken/);
  });

  it('lets exactly one of two concurrent creations of one slug succeed and leaves nothing of the other', async () => {
    const slug = uniqueSlug();
    const results = await Promise.allSettled([
      createTenant({ slug, name: 'First' }),
      createTenant({ slug, name: 'Second' }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).to.have.length(1);
    expect(failed).to.have.length(1);
    expect(failed[0].reason).to.be.instanceOf(ValidationError);
    expect(await Tenant.count({ where: { slug } })).to.equal(1);
    expect(await Domain.count({ where: { domain: `${slug}.localhost` } })).to.equal(1);
  });

  it('refuses a domain that another tenant uses', async () => {
    const first = await createTenant();
    const slug = uniqueSlug();
    let thrown: unknown;
    try {
      await createTenant({ slug, domain: `${first.slug}.localhost` });
    } catch (err) {
      thrown = err;
    }
    expect((thrown as ValidationError).fields.domain).to.match(/already in use/);
    expect(await leftovers(slug)).to.deep.equal({ schema: false, tenant: 0, domain: 0 });
  });

  it('refuses invalid and reserved slugs, bad e-mails, kinds and passwords, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ slug: 'Bad Slug' }, 'slug'],
      [{ slug: 'public' }, 'slug'],
      [{ slug: 'admin' }, 'slug'],
      [{ slug: 'pg-catalog' }, 'slug'],
      [{ slug: `x"; DROP SCHEMA public; --` }, 'slug'],
      [{ adminEmail: 'not-an-email' }, 'adminEmail'],
      [{ kind: 'club' }, 'kind'],
      [{ adminPassword: 'short' }, 'adminPassword'],
      [{ name: '' }, 'name'],
      [{ domain: 'bad domain' }, 'domain'],
      [{ plan: 'platinum' }, 'plan'],
    ];
    for (const [input, field] of cases) {
      let thrown: unknown;
      try {
        await provisionTenant({
          slug: uniqueSlug(),
          name: 'Org',
          kind: 'company',
          adminEmail: 'a@b.test',
          ...input,
        } as never);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, JSON.stringify(input)).to.be.instanceOf(ValidationError);
      expect((thrown as ValidationError).fields, JSON.stringify(input)).to.have.property(field);
    }
    expect(await schemaExists('t_public')).to.equal(false);
  });

  it('stores names with quotes and SQL as text and shows them escaped', async () => {
    const name = `O'Brien "Church"; DROP TABLE users; -- <script>alert(1)</script>`;
    const tenant = await createTenant({ name });
    expect((await Tenant.findByPk(tenant.id))?.name).to.equal(name);
    const res = await http().get('/').set('Host', hostOf(tenant)).expect(200);
    expect(res.text).not.to.include('<script>alert(1)</script>');
    expect(res.text).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
    await withTenant(tenant.toRef(), async () => expect(await User.count()).to.equal(1));
  });

  it('deletes a tenant: its schema, row and domains', async () => {
    const tenant = await createTenant();
    await http().get('/').set('Host', hostOf(tenant)).expect(200);
    await deleteTenant(tenant.slug);
    expect(await leftovers(tenant.slug)).to.deep.equal({ schema: false, tenant: 0, domain: 0 });
    await http().get('/').set('Host', hostOf(tenant)).expect(404);
  });

  it('keeps one account per tenant for the same e-mail', async () => {
    const hash = await testPasswordHash();
    const a = await createTenant({ adminEmail: 'shared@example.test' }, { adminPasswordHash: hash });
    const b = await createTenant({ adminEmail: 'shared@example.test' }, { adminPasswordHash: hash });
    const idA = await withTenant(
      a.toRef(),
      async () => (await User.findOne({ where: { email: 'shared@example.test' } }))?.id,
    );
    const idB = await withTenant(
      b.toRef(),
      async () => (await User.findOne({ where: { email: 'shared@example.test' } }))?.id,
    );
    expect(idA).to.be.a('string');
    expect(idB).to.be.a('string');
  });
});
