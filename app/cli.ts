import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BaseError } from 'sequelize';
import { type Booted, boot } from './boot.ts';
import { migrateAll, type TenantMigrationResult } from './db/migrator.ts';
import { runSeeders } from './db/seeder.ts';
import { HttpError, ValidationError } from './errors.ts';
import { jobList, jobRun } from './jobs/commands.ts';
import { JOBS } from './jobs/registry.ts';
import { rootLogger } from './logger.ts';
import { Domain, Tenant } from './models/index.ts';
import { type DemoAccount, demoAccounts } from './services/demo.ts';
import { queueWelcome } from './services/platform/welcome.ts';
import { createPlatformAdmin, logAdminAction } from './services/platform-admins.ts';
import { deleteTenant, provisionTenant } from './services/provisioning.ts';
import { failedJobs, JOB_STATES, queueCounts, queueOfJob, retryFailedJob } from './services/queue-admin.ts';

/** What the CLI talks to; tests pass their own. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Writes without a newline (progress bar); only used when `isTTY`. */
  progress(text: string): void;
  isTTY: boolean;
  ask(question: string, opts?: { hidden?: boolean }): Promise<string>;
}

export class UsageError extends Error {}

const HELP = `Usage: npm run cli -- <command> [options]

Commands:
  tenant:create --slug <slug> --name <name> --kind <church|company> --admin-email <email>
                [--admin-name <name>] [--admin-password <password>] [--domain <host>] [--plan <code>]
      Creates a tenant with its schema, primary domain, roles and first super admin.
      Without --admin-password it asks for one on a terminal (and refuses without one).
  admin:create --email <email> --name <name> [--password <password>]
      Creates a platform admin, who signs in at /admin on the root domain.
      Without --password it asks for one on a terminal (and refuses without one).
  tenant:list
      Lists tenants with their status, plan and primary domain.
  tenant:delete <slug> [--yes]
      Drops the tenant's schema and rows. Asks you to type the slug unless --yes.
  tenant:suspend <slug>
      Closes the tenant's pages (they show the suspended page); every record is kept.
  tenant:reactivate <slug>
      Opens a suspended tenant again (back on its trial if that has not ended).
  migrate
      Migrates the public schema, then every tenant schema.
  seed
      Runs the seeders in seeders/ not run before: the plan catalogue (adds missing plans only),
      and outside production the demo tenants.
  demo
      Runs the demo seeder if it has not run: the demo church "grace" and company "acme" with one
      user per permission level, each filled with a year of people, groups, attendance and money.
      Prints their accounts. Never in production.
  job:run <name> [--date YYYY-MM-DD]
      Runs a scheduled job now (${JOBS.map((j) => j.name).join(', ')}), under its lock like the clock.
      --date runs it for that billing day instead of today.
  job:list
      Lists the scheduled jobs with their schedule and last run.
  queue:list
      Lists the job queues with their jobs counted by state, and the latest failed jobs.
  queue:retry <job id>
      Queues a failed job again (with one more try).

Options:
  -h, --help    Show this help.`;

const FLAG_OF: Record<string, string> = {
  slug: '--slug',
  name: '--name',
  kind: '--kind',
  domain: '--domain',
  adminEmail: '--admin-email',
  adminName: '--admin-name',
  adminPassword: '--admin-password',
  plan: '--plan',
  email: '--email',
  password: '--password',
};

function describe(err: ValidationError): string {
  return Object.entries(err.fields)
    .map(([field, msg]) => `${FLAG_OF[field] ?? field}: ${msg}`)
    .join('; ');
}

type Command = (args: string[], io: CliIo) => Promise<number>;

async function tenantCreate(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      slug: { type: 'string' },
      name: { type: 'string' },
      kind: { type: 'string' },
      domain: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-name': { type: 'string' },
      'admin-password': { type: 'string' },
      plan: { type: 'string' },
    },
    strict: true,
  });
  let password = values['admin-password'];
  if (password === undefined) {
    if (!io.isTTY) throw new UsageError('--admin-password: is required when not running on a terminal');
    password = await io.ask('Password for the first admin: ', { hidden: true });
    if ((await io.ask('Repeat the password: ', { hidden: true })) !== password) {
      throw new UsageError('--admin-password: the two passwords differ');
    }
  }
  const { tenant, admin, domain } = await provisionTenant(
    {
      slug: values.slug ?? '',
      name: values.name ?? '',
      kind: (values.kind ?? '') as 'church',
      domain: values.domain,
      adminEmail: values['admin-email'] ?? '',
      adminName: values['admin-name'],
      adminPassword: password,
      plan: values.plan,
    },
    { extraSteps: queueWelcome },
  );
  io.out(
    `Created ${tenant.name} (${tenant.slug}, schema ${tenant.schemaName}) at ${domain}; admin ${admin.email}`,
  );
  return 0;
}

/** Asks twice for a password on a terminal; without one, the flag is required. */
async function askPassword(io: CliIo, flag: string, question: string): Promise<string> {
  if (!io.isTTY) throw new UsageError(`${flag}: is required when not running on a terminal`);
  const password = await io.ask(question, { hidden: true });
  if ((await io.ask('Repeat the password: ', { hidden: true })) !== password) {
    throw new UsageError(`${flag}: the two passwords differ`);
  }
  return password;
}

async function adminCreate(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { email: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
    strict: true,
  });
  const password =
    values.password ?? (await askPassword(io, '--password', 'Password for the platform admin: '));
  const admin = await createPlatformAdmin({ email: values.email ?? '', name: values.name ?? '', password });
  io.out(
    `Created platform admin ${admin.email} (${admin.name}); sign in at /admin/login on the root domain.`,
  );
  return 0;
}

async function tenantList(_args: string[], io: CliIo): Promise<number> {
  const tenants = await Tenant.findAll({
    order: [['slug', 'ASC']],
    include: [{ model: Domain, as: 'domains' }],
  });
  if (!tenants.length) {
    io.out('No tenants yet. Create one with tenant:create, or run demo.');
    return 0;
  }
  const rows = tenants.map((t) => {
    const domains = (t as Tenant & { domains?: Domain[] }).domains ?? [];
    const primary = domains.find((d) => d.isPrimary)?.domain ?? domains[0]?.domain ?? '';
    return [t.slug, t.kind, t.status, t.plan, primary, t.name];
  });
  const head = ['SLUG', 'KIND', 'STATUS', 'PLAN', 'DOMAIN', 'NAME'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows])
    io.out(
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  return 0;
}

/** The tenant a command names by its slug; a usage error when none is given or none matches. */
async function tenantNamed(slug: string | undefined, verb: string): Promise<Tenant> {
  if (!slug) throw new UsageError(`slug: give the slug of the tenant to ${verb}`);
  const tenant = await Tenant.findOne({ where: { slug } });
  if (!tenant) throw new UsageError(`slug: no tenant "${slug}"`);
  return tenant;
}

async function tenantDelete(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { yes: { type: 'boolean' } },
    allowPositionals: true,
  });
  const { slug } = await tenantNamed(positionals[0], 'delete');
  if (!values.yes) {
    if (!io.isTTY) throw new UsageError('--yes: is required when not running on a terminal');
    const typed = await io.ask(`This deletes every record of "${slug}". Type the slug to confirm: `);
    if (typed.trim() !== slug) {
      io.err('Not deleted: the slug did not match.');
      return 1;
    }
  }
  await deleteTenant(slug);
  io.out(`Deleted ${slug}.`);
  return 0;
}

async function tenantBySlug(args: string[], verb: string): Promise<Tenant> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  return tenantNamed(positionals[0], verb);
}

async function tenantSuspend(args: string[], io: CliIo): Promise<number> {
  const tenant = await tenantBySlug(args, 'suspend');
  if (tenant.status === 'suspended') {
    io.out(`${tenant.slug} is already suspended.`);
    return 0;
  }
  const from = tenant.status;
  await tenant.suspend();
  logAdminAction(null, 'tenant.suspend', tenant, { from, via: 'cli' });
  io.out(`Suspended ${tenant.slug} (was ${from}). Its data is kept.`);
  return 0;
}

async function tenantReactivate(args: string[], io: CliIo): Promise<number> {
  const tenant = await tenantBySlug(args, 'reactivate');
  if (tenant.status !== 'suspended') {
    io.out(`${tenant.slug} is not suspended (${tenant.status}).`);
    return 0;
  }
  await tenant.reactivate();
  logAdminAction(null, 'tenant.reactivate', tenant, { to: tenant.status, via: 'cli' });
  io.out(`Reactivated ${tenant.slug} (${tenant.status}).`);
  return 0;
}

function bar(done: number, total: number): string {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} tenants`;
}

async function migrate(_args: string[], io: CliIo): Promise<number> {
  const started = Date.now();
  const result = await migrateAll({
    onProgress: io.isTTY
      ? (done: number, total: number, _last: TenantMigrationResult) => io.progress(bar(done, total))
      : undefined,
  });
  if (io.isTTY && result.tenants.length) io.progress('\n');
  const changed = result.tenants.filter((t) => t.applied.length);
  io.out(
    `public: ${result.publicApplied.length ? `applied ${result.publicApplied.join(', ')}` : 'up to date'}`,
  );
  for (const t of changed) io.out(`${t.schema}: applied ${t.applied.join(', ')}`);
  io.out(
    `${result.tenants.length} tenant schemas: ${changed.length} migrated, ` +
      `${result.tenants.length - changed.length - result.failed.length} up to date, ${result.failed.length} failed ` +
      `(${Date.now() - started} ms)`,
  );
  if (result.failed.length) {
    for (const f of result.failed) io.err(`${f.schema}: FAILED: ${f.error}`);
    io.err(
      `Failed schemas: ${result.failed.map((f) => f.schema).join(', ')} (the others are migrated; rerun to resume)`,
    );
    return 1;
  }
  return 0;
}

async function seed(_args: string[], io: CliIo): Promise<number> {
  const { applied } = await runSeeders();
  io.out(applied.length ? `seeded: ${applied.join(', ')}` : 'seeders: up to date');
  return 0;
}

async function demo(_args: string[], io: CliIo): Promise<number> {
  await runSeeders({ demo: true });
  printDemo(await demoAccounts(), io.out);
  return 0;
}

export function printDemo(accounts: DemoAccount[], out: (l: string) => void): void {
  let current = '';
  for (const a of accounts) {
    if (a.tenant !== current) {
      current = a.tenant;
      out(`\n${a.tenant}: ${a.url}`);
    }
    out(`  level ${a.level}  ${a.email.padEnd(24)} ${a.role}`);
  }
}

async function queueList(_args: string[], io: CliIo): Promise<number> {
  const head = ['QUEUE', ...JOB_STATES.map((s) => s.toUpperCase()), 'DEAD'];
  const rows = (await queueCounts()).map((q) => [
    q.name,
    ...JOB_STATES.map((s) => String(q.counts[s])),
    String(q.dead),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows])
    io.out(
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  const failed = await failedJobs(50);
  io.out(failed.length ? `\nFailed jobs (latest ${failed.length}):` : '\nNo failed jobs.');
  for (const j of failed)
    io.out(
      `${j.id}  ${j.queue}  ${j.tenantSlug ?? (j.tenantId ? `tenant ${j.tenantId}` : 'platform')}  ` +
        `tries ${j.tries}  ${j.failedAt?.toISOString() ?? ''}  ${j.error}`,
    );
  return 0;
}

async function queueRetry(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true });
  const id = positionals[0]?.toLowerCase();
  if (!id) throw new UsageError('id: give the id of the failed job to retry (see queue:list)');
  const queue = await queueOfJob(id);
  if (!queue) throw new UsageError(`id: no job "${id}"`);
  if (!(await retryFailedJob(queue, id))) {
    io.err(`Job ${id} (${queue}) is not failed: nothing to retry.`);
    return 1;
  }
  rootLogger.info(
    { admin: null, action: 'queue.job.retry', queue, jobId: id, via: 'cli' },
    'platform admin: queue.job.retry',
  );
  io.out(`Job ${id} (${queue}) is queued again.`);
  return 0;
}

const COMMANDS: Record<string, Command> = {
  'admin:create': adminCreate,
  'tenant:create': tenantCreate,
  'tenant:list': tenantList,
  'tenant:delete': tenantDelete,
  'tenant:suspend': tenantSuspend,
  'tenant:reactivate': tenantReactivate,
  migrate,
  seed,
  demo,
  'job:run': jobRun,
  'job:list': jobList,
  'queue:list': queueList,
  'queue:retry': queueRetry,
};

/** Runs one CLI command and returns its exit code. `booted` lets tests reuse their database. */
export async function runCli(
  argv: string[],
  io: CliIo,
  booted?: Pick<Booted, 'shutdown'> | null,
): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`error: unknown command "${name}" (see --help)`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(HELP);
    return 0;
  }
  let session: Pick<Booted, 'shutdown'> | null = booted ?? null;
  try {
    if (booted === undefined) session = await boot({ poolMax: 8 });
    return await command(args, io);
  } catch (err) {
    if (err instanceof ValidationError) io.err(`error: ${describe(err)}`);
    else if (err instanceof UsageError || err instanceof HttpError) io.err(`error: ${err.message}`);
    else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      io.err(`error: ${(err as Error).message}`);
    else if (err instanceof BaseError || isDriverError(err))
      io.err(`error: ${describeDatabaseError(err as BaseError)}`);
    else throw err;
    return err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  } finally {
    if (booted === undefined) await session?.shutdown().catch(() => {});
  }
}

/** An error of the PostgreSQL driver itself (the job queue connects without Sequelize). */
function isDriverError(err: unknown): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && 'severity' in err;
}

/**
 * A database failure in words: Sequelize puts its own class name where the message was, so the
 * message, detail, hint and SQLSTATE come from the driver's error it wraps.
 */
export function describeDatabaseError(err: BaseError): string {
  // A driver error (the job queue's) is its own cause.
  const cause = ((err as { original?: unknown }).original ?? (err as { parent?: unknown }).parent ?? err) as
    | { message?: string; detail?: string; hint?: string; code?: string }
    | undefined;
  const message = cause?.message || err.message || err.name;
  const parts = [message];
  if (cause?.detail) parts.push(`detail: ${cause.detail}`);
  if (cause?.hint) parts.push(`hint: ${cause.hint}`);
  if (cause?.code) parts.push(`code: ${cause.code}`);
  return parts.join('\n  ');
}

function terminalIo(): CliIo {
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    progress: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    ask(question, opts = {}) {
      let muted = false;
      const output = new Writable({
        write(chunk, _enc, cb) {
          if (!muted) process.stdout.write(chunk);
          cb();
        },
      });
      const rl = createInterface({ input: process.stdin, output, terminal: true });
      return new Promise((resolve) => {
        rl.question(question, (answer) => {
          rl.close();
          if (opts.hidden) process.stdout.write('\n');
          resolve(answer);
        });
        muted = Boolean(opts.hidden);
      });
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runCli(process.argv.slice(2), terminalIo()).then(
    (code) => process.exit(code),
    (err) => {
      const text =
        err instanceof BaseError || isDriverError(err)
          ? describeDatabaseError(err as BaseError)
          : err instanceof Error
            ? (err.stack ?? err.message)
            : String(err);
      process.stderr.write(`error: ${text}\n`);
      process.exit(1);
    },
  );
}
