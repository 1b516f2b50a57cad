import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';

/** The project root, so a build in dist/ still finds views/, public/ and migrations/. */
export const ROOT = path
  .resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  .replace(/[/\\]dist$/, '');

/** True for a time zone name the runtime knows (Intl throws a RangeError for others). */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(`${p}:`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  BIND_HOST: z.string().default('0.0.0.0'),
  BASE_DOMAIN: z
    .string()
    .trim()
    .toLowerCase()
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
      'must be a host name such as localhost or steward.example',
    )
    .default('localhost'),
  PUBLIC_SCHEME: z.enum(['http', 'https']).default('http'),
  /**
   * The port in the URLs people are given (e-mails, printed pages), never the request's. Unset: the
   * listening PORT outside production over http, else none (the scheme's own port, behind a proxy).
   */
  PUBLIC_PORT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(65535).optional(),
  ),
  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  REDIS_URL: optionalUrl(['redis', 'rediss']),
  /** Prefix of every Redis key (sessions, rate limits, caches), so several apps can share a server. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,40}$/, 'must be letters, digits, colons, dashes or underscores')
    .default('steward:'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DB_LOG_SQL: bool.default(false),
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  MIGRATE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  TENANT_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Express `trust proxy`: false, true, a hop count, or a list such as "loopback, 10.0.0.0/8". */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string =>
      v === 'false' ? false : v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v,
    ),
  /** Signs session cookies. Required in production; elsewhere a random one is kept in DATA_DIR. */
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_MAX_AGE_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 14),
  /** smtp://user:pass@host:587 or smtps://...; when unset, e-mails are written to DATA_DIR/outbox. */
  SMTP_URL: optionalUrl(['smtp', 'smtps']),
  MAIL_FROM: z.string().default('Steward <no-reply@steward.local>'),
  /** Uploaded files; one folder per tenant schema below it. Defaults to DATA_DIR/storage. */
  STORAGE_DIR: z.string().optional(),
  UPLOAD_MAX_MB: z.coerce.number().min(0.1).max(200).default(10),
  /** Requests per minute per API token (per client address before a token is known). */
  API_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  RATE_LIMIT_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15 * 60_000),
  DEMO_PASSWORD: z.string().min(10).default('steward-demo-2026'),
  /** The time zone of the billing day and of the job schedules (an IANA name such as Europe/London). */
  BILLING_TIMEZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone such as UTC or America/New_York')
    .default('UTC'),
  /** When the daily credit charge runs (a cron expression, in BILLING_TIMEZONE). */
  BILLING_CRON: z
    .string()
    .refine((v) => validateCron(v), 'must be a cron expression such as "0 0 * * *"')
    .default('0 0 * * *'),
  /** Days a tenant may stay past due before it is suspended. */
  PAST_DUE_GRACE_DAYS: z.coerce.number().int().min(0).max(365).default(7),
  /** How many days before its trial ends a tenant's super admins are warned. */
  TRIAL_WARNING_DAYS: z.coerce.number().int().min(0).max(60).default(3),
  /** Tenants charged per statement by the daily charge. */
  BILLING_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(2000),
  /** Run the scheduler inside the web process (as `npm start` does); a separate clock process makes it unneeded. */
  CLOCK_IN_WEB: bool.optional(),
  /** Run the queue's workers inside the web process (as `npm start` does); a worker process makes it unneeded. */
  WORKER_IN_WEB: bool.optional(),
  /** How often an idle worker looks for new jobs, in seconds (jobs queued in this process wake it at once). */
  QUEUE_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
  /** Jobs a worker process runs at once, per queue. */
  QUEUE_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(4),
  /** The tenant data cache (dashboard figures); false turns it off, e.g. to measure without it. */
  CACHE_ENABLED: bool.default(true),
  /** Done tasks completed longer ago than this are archived by the weekly cleanup (never deleted). */
  TASK_ARCHIVE_DAYS: z.coerce.number().int().min(1).max(36_500).default(180),
});

/** Every variable the configuration reads (README.md and .env.example list each one). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export type Config = Omit<z.infer<typeof schema>, 'CLOCK_IN_WEB' | 'WORKER_IN_WEB'> & {
  /** Defaults to true except in production, where the Procfile's clock process runs the jobs. */
  CLOCK_IN_WEB: boolean;
  /** Defaults to true except in production, where the Procfile's worker process runs the queue. */
  WORKER_IN_WEB: boolean;
  root: string;
  dataDir: string;
  storageDir: string;
  /** Port in the URLs printed for people; null for the scheme's own port (see PUBLIC_PORT). */
  publicPort: number | null;
};

export class ConfigError extends Error {}

/** What an env file gave: its path and the variables it set (those the environment did not have). */
export interface EnvFileRead {
  file: string;
  names: readonly string[];
}

/**
 * Reads `KEY=value` lines of `file` into process.env with Node's own parser. A variable the
 * environment already has is kept (the environment wins over the file); a missing file is no error.
 */
export function readEnvFile(file: string): EnvFileRead {
  const before = new Set(Object.keys(process.env));
  try {
    process.loadEnvFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, names: [] };
    throw new ConfigError(`Could not read ${file}: ${(err as Error).message}`);
  }
  return { file, names: Object.keys(process.env).filter((k) => !before.has(k)) };
}

/** Without PUBLIC_PORT: people reach a development or test server on its own port over http. */
function defaultPublicPort(c: z.infer<typeof schema>): number | null {
  return c.NODE_ENV !== 'production' && c.PUBLIC_SCHEME === 'http' && c.PORT !== 0 ? c.PORT : null;
}

/**
 * Reads and validates the environment once; a bad value stops the app with a message naming it
 * (and the env file it came from, when it came from one).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  fromFile: EnvFileRead | null = null,
): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const name = i.path.join('.');
      const where = fromFile?.names.includes(name) ? ` (set in ${fromFile.file})` : '';
      return `  ${name}: ${i.message}${where}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  if (c.NODE_ENV === 'production' && !c.SESSION_SECRET) {
    throw new ConfigError(
      'Invalid configuration:\n  SESSION_SECRET: is required in production (32 characters or more)',
    );
  }
  return {
    ...c,
    root: ROOT,
    dataDir: path.resolve(ROOT, c.DATA_DIR),
    storageDir: path.resolve(ROOT, c.STORAGE_DIR ?? path.join(c.DATA_DIR, 'storage')),
    publicPort: c.PUBLIC_PORT ?? defaultPublicPort(c),
    CLOCK_IN_WEB: c.CLOCK_IN_WEB ?? c.NODE_ENV !== 'production',
    WORKER_IN_WEB: c.WORKER_IN_WEB ?? c.NODE_ENV !== 'production',
  };
}

/**
 * The `.env` of the directory Steward starts in (npm scripts start in the project root), as with
 * `node --env-file`. Not read under NODE_ENV=test: the tests set their whole environment themselves,
 * and a developer's `.env` (a REDIS_URL, say) must not change what they run against.
 */
export const ENV_FILE = '.env';

function loadOrExit(): Config {
  try {
    const fromFile = process.env.NODE_ENV === 'test' ? null : readEnvFile(path.resolve(ENV_FILE));
    return loadConfig(process.env, fromFile && { ...fromFile, file: ENV_FILE });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export const config: Config = loadOrExit();
