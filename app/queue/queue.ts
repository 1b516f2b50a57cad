/**
 * The durable job queue: pg-boss in its own schema (`pgboss`) of the app's database, so it needs no
 * other server and works on the embedded PostgreSQL too.
 *
 * - A job is declared once with `defineJob` (name, handler, retries). Its payload is wrapped with
 *   the id of the tenant it was queued in; the worker loads that tenant and runs the handler inside
 *   `withTenant`, so a job never takes a schema name from its payload.
 * - `enqueue` inside a transaction writes the job through that transaction's connection: a rollback
 *   queues nothing, a commit never loses it. Outside a transaction it is written at once.
 * - Failed jobs are retried with exponential backoff; after the last try they are kept as `failed`
 *   and a copy goes to the job's dead-letter queue (`<name>__dead`), where nothing works them: the
 *   admin area lists them and can retry them.
 * - `singletonKey` queues the same logical work once while it waits; `priority` lets a password
 *   reset pass a bulk mailing.
 */
import PgBoss from 'pg-boss';
import { QueryTypes } from 'sequelize';
import { config } from '../../config/index.ts';
import { db } from '../db/database.ts';
import { withAdvisoryLock } from '../db/locks.ts';
import { currentTransaction, inTransaction } from '../db/transaction-context.ts';
import { rootLogger } from '../logger.ts';
import { Tenant } from '../models/tenant.ts';
import { currentTenant, type TenantRef, withoutTenant, withTenant } from '../tenancy/context.ts';

export const QUEUE_SCHEMA = 'pgboss';
export const DEAD_SUFFIX = '__dead';

/** Priorities: higher runs first. */
export const PRIORITY = { urgent: 20, normal: 10, bulk: 0 } as const;

export interface JobContext {
  id: string;
  /** Tries before this one. */
  retryCount: number;
  tenant: TenantRef | null;
}

export interface JobDef<P> {
  name: string;
  description: string;
  handler: (payload: P, ctx: JobContext) => Promise<void>;
  /** Tries after the first (default 5), first delay in seconds (default 10), doubling each time. */
  retryLimit?: number;
  retryDelay?: number;
  /** A running job not finished by then is failed (and retried): default 15 minutes. */
  expireInSeconds?: number;
  priority?: number;
}

/** What a job row carries. */
export interface Envelope<P> {
  tenantId: string | null;
  payload: P;
}

const defs = new Map<string, JobDef<unknown>>();

/** Declares a job type; the worker runs every declared type. */
export function defineJob<P>(def: JobDef<P>): JobDef<P> {
  if (defs.has(def.name)) throw new Error(`job ${def.name} is declared twice`);
  defs.set(def.name, def as JobDef<unknown>);
  return def;
}

export function jobDefs(): JobDef<unknown>[] {
  return [...defs.values()];
}

let boss: PgBoss | null = null;
let working = false;
const workerIds = new Map<string, string[]>();

function requireBoss(): PgBoss {
  if (!boss) throw new Error('the queue is not started (startQueue)');
  return boss;
}

export function queueStarted(): boolean {
  return boss !== null;
}

/** The running pg-boss (for the admin area and the CLI). */
export function queueBoss(): PgBoss {
  return requireBoss();
}

export interface StartQueueOptions {
  databaseUrl: string;
  /** Run the declared jobs in this process (a worker), not only queue them. */
  work?: boolean;
}

/**
 * Starts pg-boss on the app's database (creating or migrating its schema) and makes every declared
 * queue and its dead-letter queue. With `work`, this process also runs the jobs and the queue's
 * upkeep (expiring stuck jobs, archiving old ones).
 */
export async function startQueue(opts: StartQueueOptions): Promise<void> {
  if (boss) return;
  const instance = new PgBoss({
    connectionString: opts.databaseUrl,
    schema: QUEUE_SCHEMA,
    application_name: 'steward-queue',
    max: opts.work ? 4 : 2,
    supervise: Boolean(opts.work),
    // Upkeep (failing the expired try of a worker that died, so another retries it) every 30 s.
    maintenanceIntervalSeconds: 30,
    schedule: false,
    migrate: true,
  });
  instance.on('error', (err) => rootLogger.warn({ err: String(err) }, 'job queue'));
  await instance.start();
  boss = instance;
  // Processes starting at once would deadlock making the same queues (pg-boss creates a partition
  // per queue): one makes them while the others wait, then finds them made.
  await withAdvisoryLock('steward:job-queues', async () => {
    for (const def of defs.values()) await ensureQueue(def);
  });
  if (opts.work) await startWorking();
}

async function ensureQueue(def: JobDef<unknown>): Promise<void> {
  const b = requireBoss();
  const dead = `${def.name}${DEAD_SUFFIX}`;
  if (!(await b.getQueue(dead))) await create(dead, { name: dead, retentionDays: 30 });
  const options = {
    name: def.name,
    retryLimit: def.retryLimit ?? 5,
    retryDelay: def.retryDelay ?? 10,
    retryBackoff: true,
    expireInSeconds: def.expireInSeconds ?? 15 * 60,
    deadLetter: dead,
  };
  if (await b.getQueue(def.name)) await b.updateQueue(def.name, options);
  else await create(def.name, options);
}

/** Creates a queue; another process starting at the same moment may have made it first. */
async function create(name: string, options: PgBoss.Queue): Promise<void> {
  try {
    await requireBoss().createQueue(name, options);
  } catch (err) {
    if (!(await requireBoss().getQueue(name))) throw err;
  }
}

async function startWorking(): Promise<void> {
  const b = requireBoss();
  working = true;
  for (const def of defs.values()) {
    const ids: string[] = [];
    for (let i = 0; i < config.QUEUE_CONCURRENCY; i++) {
      let id = '';
      id = await b.work<Envelope<unknown>>(
        def.name,
        { batchSize: 1, pollingIntervalSeconds: config.QUEUE_POLL_SECONDS, includeMetadata: true },
        async ([job]) => {
          try {
            await runJob(def, job);
          } finally {
            // pg-boss waits out its polling interval after each job; a busy queue should not.
            b.notifyWorker(id);
          }
        },
      );
      ids.push(id);
    }
    workerIds.set(def.name, ids);
  }
}

async function runJob(def: JobDef<unknown>, job: PgBoss.JobWithMetadata<Envelope<unknown>>): Promise<void> {
  const { tenantId, payload } = job.data ?? { tenantId: null, payload: undefined };
  const log = rootLogger.child({ job: def.name, jobId: job.id, try: job.retryCount + 1 });
  const started = Date.now();
  const work = async (tenant: TenantRef | null) => {
    await def.handler(payload, { id: job.id, retryCount: job.retryCount, tenant });
    log.info({ tenant: tenant?.slug, ms: Date.now() - started }, 'job done');
  };
  try {
    if (tenantId === null || tenantId === undefined) return await withoutTenant(() => work(null));
    const tenant = /^[1-9][0-9]{0,17}$/.test(String(tenantId))
      ? await Tenant.findByPk(String(tenantId))
      : null;
    // A tenant deleted since the job was queued: nothing left to do for it.
    if (!tenant) {
      log.warn({ tenantId }, 'job for a tenant that no longer exists: dropped');
      return;
    }
    const ref = tenant.toRef();
    await withTenant(ref, () => work(ref));
  } catch (err) {
    log.warn({ err, tenantId }, 'job failed; it will be retried or dead-lettered');
    throw err;
  }
}

export interface EnqueueOptions {
  priority?: number;
  /** The same key is queued once while a job with it waits or runs (null is returned for the others). */
  singletonKey?: string;
  startAfter?: Date | number;
}

/** A pg client as Sequelize keeps it on a transaction (the `connection` property is not typed). */
type TransactionConnection = {
  connection?: { query(text: string, values: unknown[]): Promise<{ rows: unknown[] }> };
};

/**
 * Queues `def` with `payload` for the current tenant (or none, outside a tenant). Inside a
 * transaction the job is written by that transaction, so it exists exactly when the transaction
 * commits. Returns the job id, or null when a waiting job has the same singleton key.
 */
export async function enqueue<P>(
  def: JobDef<P>,
  payload: P,
  opts: EnqueueOptions = {},
): Promise<string | null> {
  // pg-boss's standard queues ignore singleton keys: a key is kept once here, under a lock held to
  // the end of the transaction, so of two processes queuing the same key at once one queues it.
  if (opts.singletonKey && !currentTransaction())
    return inTransaction(db(), () => enqueue(def, payload, opts));
  if (opts.singletonKey) {
    await db().query('SELECT pg_advisory_xact_lock(hashtext($1))', {
      bind: [`job:${def.name}:${opts.singletonKey}`],
    });
    const [waiting] = await db().query(
      `SELECT 1 FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND singleton_key = $2 AND state IN ('created', 'retry', 'active') LIMIT 1`,
      { bind: [def.name, opts.singletonKey], type: QueryTypes.SELECT },
    );
    if (waiting) return null;
  }
  const b = requireBoss();
  const tenant = currentTenant();
  const envelope: Envelope<P> = { tenantId: tenant ? String(tenant.id) : null, payload };
  const trx = currentTransaction() as unknown as TransactionConnection | undefined;
  const viaTransaction = trx?.connection
    ? {
        executeSql: (text: string, values: unknown[]) =>
          (trx.connection as NonNullable<TransactionConnection['connection']>).query(
            text,
            values,
          ) as Promise<{
            rows: { id: string }[];
          }>,
      }
    : undefined;
  const id = await b.send(def.name, envelope as object, {
    priority: opts.priority ?? def.priority ?? PRIORITY.normal,
    ...(opts.singletonKey ? { singletonKey: opts.singletonKey } : {}),
    ...(opts.startAfter !== undefined ? { startAfter: opts.startAfter } : {}),
    ...(viaTransaction ? { db: viaTransaction } : {}),
  });
  if (id && working) {
    // A worker in this process looks at once rather than at its next poll (after the commit, when
    // the job is visible).
    const wake = () => {
      for (const wid of workerIds.get(def.name) ?? []) b.notifyWorker(wid);
    };
    const t = currentTransaction();
    if (t) t.afterCommit(wake);
    else wake();
  }
  return id;
}

/** Stops taking jobs, lets running ones finish (up to `timeoutMs`), and closes the queue's pool. */
export async function stopQueue(timeoutMs = 10_000): Promise<void> {
  const b = boss;
  if (!b) return;
  boss = null;
  working = false;
  workerIds.clear();
  await b.stop({ graceful: true, wait: true, timeout: timeoutMs });
}
