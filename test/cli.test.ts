import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { type CliIo, runCli } from '../app/cli.ts';
import { PlatformAdmin, Tenant } from '../app/models/index.ts';
import { verifyPassword } from '../app/services/passwords.ts';
import { config } from '../config/index.ts';
import { createTenant, hostOf, http, uniqueSlug } from './support/factories.ts';

interface Captured extends CliIo {
  stdout: string[];
  stderr: string[];
  answers: string[];
}

function fakeIo(opts: { tty?: boolean; answers?: string[] } = {}): Captured {
  const io: Captured = {
    stdout: [],
    stderr: [],
    answers: [...(opts.answers ?? [])],
    isTTY: opts.tty ?? false,
    out: (l) => io.stdout.push(l),
    err: (l) => io.stderr.push(l),
    progress: () => {},
    ask: async () => io.answers.shift() ?? '',
  };
  return io;
}

async function cli(args: string[], opts: { tty?: boolean; answers?: string[] } = {}) {
  const io = fakeIo(opts);
  const code = await runCli(args, io, null);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n'), errLines: io.stderr };
}

const createArgs = (slug: string, extra: string[] = []) => [
  'tenant:create',
  '--slug',
  slug,
  '--name',
  'Hope Chapel',
  '--kind',
  'church',
  '--admin-email',
  `lead@${slug}.test`,
  '--admin-password',
  'a good long password',
  ...extra,
];

describe('the command line', () => {
  it('creates a tenant and lists it', async () => {
    const slug = uniqueSlug('hope');
    const created = await cli(createArgs(slug));
    expect(created.code, created.err).to.equal(0);
    expect(created.out).to.include(`${slug}.localhost`);
    const listed = await cli(['tenant:list']);
    expect(listed.code).to.equal(0);
    expect(listed.out).to.match(
      new RegExp(`${slug}\\s+church\\s+trial\\s+free\\s+${slug}\\.localhost\\s+Hope Chapel`),
    );
  });

  it('refuses bad input with one line naming the field, a non-zero exit, and no change', async () => {
    const before = await Tenant.count();
    const cases: [string[], RegExp][] = [
      [createArgs('Bad Slug'), /--slug/],
      [createArgs('admin'), /--slug: "admin" is reserved/],
      [createArgs(uniqueSlug(), ['--kind', 'club']), /--kind/],
      [
        [
          'tenant:create',
          '--slug',
          uniqueSlug(),
          '--name',
          'X Org',
          '--kind',
          'company',
          '--admin-email',
          'nope',
          '--admin-password',
          'a good long password',
        ],
        /--admin-email/,
      ],
      [
        [
          'tenant:create',
          '--slug',
          uniqueSlug(),
          '--name',
          'X Org',
          '--kind',
          'company',
          '--admin-email',
          'a@b.test',
          '--admin-password',
          'short',
        ],
        /--admin-password/,
      ],
      [createArgs(uniqueSlug(), ['--domain', 'not a domain']), /--domain/],
      [['tenant:create', '--slug'], /slug/],
      [['tenant:create', '--bogus', 'x'], /bogus/],
    ];
    for (const [args, pattern] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).to.not.equal(0);
      expect(r.errLines, args.join(' ')).to.have.length(1);
      expect(r.err, args.join(' ')).to.match(pattern);
    }
    expect(await Tenant.count()).to.equal(before);
  });

  it('refuses to prompt for a password without a terminal, and asks twice on one', async () => {
    const slug = uniqueSlug();
    const args = [
      'tenant:create',
      '--slug',
      slug,
      '--name',
      'Quiet Org',
      '--kind',
      'company',
      '--admin-email',
      `a@${slug}.test`,
    ];
    const headless = await cli(args);
    expect(headless.code).to.equal(2);
    expect(headless.err).to.match(/--admin-password: is required when not running on a terminal/);
    const mismatch = await cli(args, { tty: true, answers: ['first password!', 'second password!'] });
    expect(mismatch.err).to.match(/differ/);
    expect(await Tenant.count({ where: { slug } })).to.equal(0);
    const ok = await cli(args, { tty: true, answers: ['same password!', 'same password!'] });
    expect(ok.code, ok.err).to.equal(0);
  });

  it('deletes a tenant only with --yes or the slug typed back', async () => {
    const t = await createTenant();
    const headless = await cli(['tenant:delete', t.slug]);
    expect(headless.code).to.equal(2);
    const wrong = await cli(['tenant:delete', t.slug], { tty: true, answers: ['something else'] });
    expect(wrong.code).to.equal(1);
    expect(await Tenant.count({ where: { slug: t.slug } })).to.equal(1);
    const typed = await cli(['tenant:delete', t.slug], { tty: true, answers: [t.slug] });
    expect(typed.code).to.equal(0);
    expect(await Tenant.count({ where: { slug: t.slug } })).to.equal(0);
    const other = await createTenant();
    expect((await cli(['tenant:delete', other.slug, '--yes'])).code).to.equal(0);
    expect((await cli(['tenant:delete', 'no-such-tenant', '--yes'])).err).to.match(/no tenant/);
  });

  it('suspends and reactivates a tenant: its hosts close and open again, its data stays', async () => {
    const t = await createTenant();
    const host = hostOf(t);
    expect((await http().get('/login').set('Host', host)).status).to.equal(200);
    const suspended = await cli(['tenant:suspend', t.slug]);
    expect(suspended.code, suspended.err).to.equal(0);
    expect(suspended.out).to.match(/Suspended .* \(was trial\)/);
    await t.reload();
    expect(t.status).to.equal('suspended');
    const closed = await http().get('/login').set('Host', host);
    expect(closed.status).to.equal(403);
    expect(closed.text).to.include('is suspended');
    expect((await cli(['tenant:suspend', t.slug])).out).to.match(/already suspended/);
    const back = await cli(['tenant:reactivate', t.slug]);
    expect(back.code, back.err).to.equal(0);
    await t.reload();
    expect(t.status).to.equal('trial');
    expect((await http().get('/login').set('Host', host)).status).to.equal(200);
    expect((await cli(['tenant:reactivate', t.slug])).out).to.match(/not suspended/);
    const missing = await cli(['tenant:suspend', 'no-such-tenant']);
    expect(missing.code).to.equal(2);
    expect(missing.err).to.match(/no tenant/);
    expect((await cli(['tenant:suspend'])).code).to.equal(2);
  });

  it('migrates and prints a summary', async () => {
    const r = await cli(['migrate']);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/public: up to date/);
    expect(r.out).to.match(/\d+ tenant schemas: \d+ migrated, \d+ up to date, 0 failed/);
  });

  it('creates the demo tenants with one user per permission level, once', async () => {
    const first = await cli(['demo']);
    expect(first.code, first.err).to.equal(0);
    for (const level of [0, 1, 2, 3, 4, 5])
      expect(first.out).to.match(new RegExp(`level ${level}\\s+\\S+@grace\\.test`));
    expect(first.out).to.include('acme: http://acme.localhost:3000');
    const again = await cli(['demo']);
    expect(again.code).to.equal(0);
    expect(await Tenant.count({ where: { slug: ['grace', 'acme'] } })).to.equal(2);
  });

  it('creates a platform admin with a hashed password and a normalised e-mail', async () => {
    const email = `${uniqueSlug('ops')}@Steward.Test`;
    const r = await cli([
      'admin:create',
      '--email',
      email,
      '--name',
      'Olive Ops',
      '--password',
      'a good long password',
    ]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.include(`Created platform admin ${email.toLowerCase()}`);
    const admin = await PlatformAdmin.findOne({ where: { email: email.toLowerCase() } });
    expect(admin?.name).to.equal('Olive Ops');
    expect(admin?.passwordHash).to.match(/^\$argon2id\$/);
    expect(await verifyPassword(admin?.passwordHash, 'a good long password')).to.equal(true);
  });

  it('refuses bad admin:create input with one line naming the field, a non-zero exit, and no change', async () => {
    const taken = `${uniqueSlug('ops')}@steward.test`;
    expect(
      (await cli(['admin:create', '--email', taken, '--name', 'First', '--password', 'a good long password']))
        .code,
    ).to.equal(0);
    const before = await PlatformAdmin.count();
    const admin = (extra: string[]) => ['admin:create', ...extra];
    const cases: [string[], number, RegExp][] = [
      [
        admin(['--email', taken.toUpperCase(), '--name', 'Again', '--password', 'a good long password']),
        1,
        /--email: ".*" is already a platform admin/,
      ],
      [
        admin(['--email', 'nope', '--name', 'N', '--password', 'a good long password']),
        1,
        /--email: must be an e-mail address/,
      ],
      [admin(['--name', 'N', '--password', 'a good long password']), 1, /--email/],
      [admin(['--email', 'a@b.test', '--password', 'a good long password']), 1, /--name: is required/],
      [
        admin(['--email', 'a@b.test', '--name', 'x'.repeat(121), '--password', 'a good long password']),
        1,
        /--name: must be at most 120/,
      ],
      [
        admin(['--email', 'a@b.test', '--name', 'N', '--password', 'short']),
        1,
        /--password: must be at least 10/,
      ],
      [
        admin(['--email', 'a@b.test', '--name', 'N']),
        2,
        /--password: is required when not running on a terminal/,
      ],
      [admin(['--email']), 2, /email/],
      [admin(['--bogus', 'x']), 2, /bogus/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).to.equal(code);
      expect(r.errLines, args.join(' ')).to.have.length(1);
      expect(r.err, args.join(' ')).to.match(pattern);
    }
    expect(await PlatformAdmin.count()).to.equal(before);
  });

  it('asks twice for the platform admin password on a terminal', async () => {
    const email = `${uniqueSlug('ops')}@steward.test`;
    const args = ['admin:create', '--email', email, '--name', 'Prompted'];
    const mismatch = await cli(args, { tty: true, answers: ['first password!', 'second password!'] });
    expect(mismatch.code).to.equal(2);
    expect(mismatch.err).to.match(/--password: the two passwords differ/);
    expect(await PlatformAdmin.count({ where: { email } })).to.equal(0);
    const ok = await cli(args, { tty: true, answers: ['same password!', 'same password!'] });
    expect(ok.code, ok.err).to.equal(0);
    const admin = await PlatformAdmin.findOne({ where: { email } });
    expect(await verifyPassword(admin?.passwordHash, 'same password!')).to.equal(true);
  });

  it('prints help, and refuses unknown commands', async () => {
    const help = (await cli(['--help'])).out;
    expect(help).to.include('tenant:create');
    expect(help).to.include('admin:create --email <email> --name <name> [--password <password>]');
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.match(/unknown command/);
  });

  it('runs as a program: --help exits 0 without touching the database', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli.ts', '--help'], {
      cwd: config.root,
      encoding: 'utf8',
    });
    expect(r.status).to.equal(0);
    expect(r.stdout).to.include('Usage: npm run cli');
  });

  it('prints what the database said when a command fails on it, not the name of the error class', () => {
    const url = new URL(config.DATABASE_URL ?? '');
    url.pathname = `/steward_missing_${process.pid}`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'app/cli.ts', 'tenant:list'], {
      cwd: config.root,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: url.toString(), REDIS_URL: '', LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stderr).to.include(`error: database "steward_missing_${process.pid}" does not exist`);
    expect(r.stderr).to.include('code: 3D000');
    expect(r.stderr, 'no stack trace').not.to.match(/^\s+at /m);
  });
});
