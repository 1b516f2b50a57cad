import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import pg from 'pg';
import { rootLogger } from '../../app/logger.ts';
import { Setting, type Tenant } from '../../app/models/index.ts';
import { type ChangeFeed, FEED_APPLICATION_NAME, startChangeFeed } from '../../app/tenancy/change-feed.ts';
import { CHANGES_CHANNEL, decodeChange, encodeChange } from '../../app/tenancy/changes.ts';
import { withTenant } from '../../app/tenancy/context.ts';
import { tenantForHost } from '../../app/tenancy/resolver.ts';
import { quoteIdent } from '../../app/tenancy/schema-name.ts';
import { config } from '../../config/index.ts';
import { createTenant, hostOf } from '../support/factories.ts';

const run = promisify(execFile);

/** Another process: the CLI, in a child, on the test database. */
function cli(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'app/cli.ts', ...args], {
    cwd: config.root,
    env: { ...process.env, DATABASE_URL: config.DATABASE_URL, LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
}

/** A connection of "another process" that writes without telling anyone. */
async function quietClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: config.DATABASE_URL });
  await client.connect();
  return client;
}

async function eventually(check: () => Promise<boolean>, ms = 5_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

const statusOf = async (tenant: Tenant) => (await tenantForHost(hostOf(tenant)))?.status;
const welcomeOf = (tenant: Tenant) =>
  withTenant(tenant.toRef(), async () => (await Setting.all()).welcome_text);

describe('change feed: caches follow changes made by other processes', function () {
  this.timeout(90_000);
  let feed: ChangeFeed | null = null;
  let other: pg.Client;

  before(async () => {
    // The proof below rests on the cache outliving the test: a TTL expiry would also look like success.
    expect(config.TENANT_CACHE_TTL_MS).to.be.at.least(30_000);
    other = await quietClient();
  });

  afterEach(async () => {
    await feed?.stop();
    feed = null;
  });

  after(async () => {
    await other.end();
  });

  it('encodes and decodes every kind of change, and ignores payloads it does not know', () => {
    for (const change of [
      { kind: 'tenant', id: '42', schema: 't_grace' },
      { kind: 'tenant', id: '42', schema: null },
      { kind: 'settings', schema: 't_grace' },
      { kind: 'all-tenants' },
    ] as const) {
      expect(decodeChange(encodeChange(change))).to.deep.equal(change);
    }
    for (const junk of ['', 'tenant', 'tenant:abc:t_x', 'settings:', 'drop everything'])
      expect(decodeChange(junk), junk).to.equal(null);
  });

  it('serves the suspended page as soon as a CLI run in another process suspends the tenant', async () => {
    const tenant = await createTenant();
    feed = await startChangeFeed(config.DATABASE_URL ?? '', rootLogger);
    expect(feed.listening()).to.equal(true);
    expect(await statusOf(tenant)).to.equal('trial');

    await cli('tenant:suspend', tenant.slug);
    expect(await eventually(async () => (await statusOf(tenant)) === 'suspended')).to.equal(true);

    await cli('tenant:reactivate', tenant.slug);
    expect(await eventually(async () => (await statusOf(tenant)) !== 'suspended')).to.equal(true);
  });

  it('control: without the feed, the same change stays unseen until the cache expires', async () => {
    const tenant = await createTenant();
    expect(await statusOf(tenant)).to.equal('trial');
    await cli('tenant:suspend', tenant.slug);
    await new Promise((r) => setTimeout(r, 300));
    expect(await statusOf(tenant)).to.equal('trial');
  });

  it('announces a settings write when its transaction commits, not before, and not at all on rollback', async () => {
    const tenant = await createTenant();
    const listener = await quietClient();
    const heard: string[] = [];
    listener.on('notification', (msg) => heard.push(msg.payload ?? ''));
    await listener.query(`LISTEN ${CHANGES_CHANNEL}`);
    try {
      const sequelize = Setting.sequelize;
      if (!sequelize) throw new Error('models are not initialised');
      const write = (value: string) => Setting.update({ value }, { where: { key: 'welcome_text' } });
      const expected = `settings:${tenant.schemaName}`;

      await withTenant(tenant.toRef(), () =>
        sequelize
          .transaction(async () => {
            await write('Rolled back');
            throw new Error('undo');
          })
          .catch(() => {}),
      );
      await withTenant(tenant.toRef(), () =>
        sequelize.transaction(async () => {
          await write('Committed');
          await new Promise((r) => setTimeout(r, 200));
          expect(heard, 'heard before commit').not.to.include(expected);
        }),
      );
      expect(await eventually(async () => heard.includes(expected))).to.equal(true);
      expect(heard.filter((p) => p === expected)).to.have.length(1);
    } finally {
      await listener.end();
    }
  });

  it("drops only the named tenant's cached settings", async () => {
    const a = await createTenant();
    const b = await createTenant();
    feed = await startChangeFeed(config.DATABASE_URL ?? '', rootLogger);
    const before = { a: await welcomeOf(a), b: await welcomeOf(b) };
    for (const t of [a, b]) {
      await other.query(
        `UPDATE ${quoteIdent(t.schemaName)}.settings SET value = $1 WHERE key = 'welcome_text'`,
        [`Changed elsewhere for ${t.slug}`],
      );
    }
    await other.query('SELECT pg_notify($1, $2)', [
      CHANGES_CHANNEL,
      encodeChange({ kind: 'settings', schema: a.schemaName }),
    ]);
    expect(await eventually(async () => (await welcomeOf(a)) === `Changed elsewhere for ${a.slug}`)).to.equal(
      true,
    );
    expect(await welcomeOf(b)).to.equal(before.b);
  });

  it('reconnects after losing its connection and forgets what it may have missed', async () => {
    const tenant = await createTenant();
    feed = await startChangeFeed(config.DATABASE_URL ?? '', rootLogger);
    expect(await statusOf(tenant)).to.equal('trial');
    const killed = await other.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
      [FEED_APPLICATION_NAME],
    );
    expect(killed.rowCount).to.equal(1);
    // Written while nobody listens, and announced to nobody.
    await other.query(`UPDATE public.tenants SET status = 'suspended' WHERE id = $1`, [tenant.id]);
    expect(await eventually(async () => feed?.listening() === false, 2_000)).to.equal(true);
    await feed.whenListening();
    expect(await statusOf(tenant)).to.equal('suspended');
  });
});
