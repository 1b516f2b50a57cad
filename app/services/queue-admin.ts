/**
 * What operators see of the job queue (the admin area and the CLI): each queue with its jobs counted
 * by state, the latest failed jobs with their error and tenant, and retrying or discarding one.
 * Everything goes through pg-boss's own connection and schema; tenants are only named (by slug).
 */
import { DEAD_SUFFIX, QUEUE_SCHEMA, queueBoss } from '../queue/queue.ts';

export const JOB_STATES = ['created', 'retry', 'active', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface QueueCounts {
  name: string;
  counts: Record<JobState, number>;
  /** Jobs waiting in `<name>__dead`: those that failed their last try. */
  dead: number;
}

export interface FailedJob {
  id: string;
  queue: string;
  error: string;
  tenantSlug: string | null;
  tenantId: string | null;
  /** Tries made, the first included. */
  tries: number;
  failedAt: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isJobId(id: string): boolean {
  return UUID.test(id);
}

function sql<T>(text: string, values: unknown[] = []): Promise<T[]> {
  return queueBoss()
    .getDb()
    .executeSql(text, values)
    .then((r) => r.rows as T[]);
}

/** Every queue but the dead-letter ones, each with its counts and the size of its dead-letter queue. */
export async function queueCounts(): Promise<QueueCounts[]> {
  const rows = await sql<{ name: string; state: JobState | null; n: string }>(
    `SELECT q.name, j.state::text AS state, count(j.id) AS n
       FROM ${QUEUE_SCHEMA}.queue q LEFT JOIN ${QUEUE_SCHEMA}.job j ON j.name = q.name
      GROUP BY q.name, j.state ORDER BY q.name`,
  );
  const byName = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const counts = byName.get(r.name) ?? {};
    if (r.state) counts[r.state] = Number(r.n);
    byName.set(r.name, counts);
  }
  const total = (c: Record<string, number> | undefined) => Object.values(c ?? {}).reduce((a, b) => a + b, 0);
  return [...byName.keys()]
    .filter((name) => !name.endsWith(DEAD_SUFFIX))
    .map((name) => {
      const c = byName.get(name) ?? {};
      const counts = Object.fromEntries(JOB_STATES.map((s) => [s, c[s] ?? 0])) as Record<JobState, number>;
      const dead = byName.get(`${name}${DEAD_SUFFIX}`);
      // A dead-letter queue's jobs are not worked: every one still there is waiting for an operator.
      return { name, counts, dead: dead ? total(dead) - (dead.completed ?? 0) : 0 };
    });
}

/** The latest failed jobs (after their last try), newest first. */
export async function failedJobs(limit = 50): Promise<FailedJob[]> {
  const rows = await sql<{
    id: string;
    name: string;
    output: unknown;
    tenant_id: string | null;
    slug: string | null;
    retry_count: number;
    completed_on: Date | null;
  }>(
    `SELECT j.id, j.name, j.output, j.data->>'tenantId' AS tenant_id, t.slug, j.retry_count, j.completed_on
       FROM ${QUEUE_SCHEMA}.job j
       LEFT JOIN public.tenants t ON t.id::text = j.data->>'tenantId'
      WHERE j.state = 'failed'
      ORDER BY j.completed_on DESC NULLS LAST, j.id
      LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    queue: r.name,
    error: errorText(r.output),
    tenantId: r.tenant_id,
    tenantSlug: r.slug,
    tries: Number(r.retry_count) + 1,
    failedAt: r.completed_on,
  }));
}

/** A failed job's error as one line: pg-boss keeps the thrown error (or its `value`) as JSON. */
function errorText(output: unknown): string {
  const o = output as { message?: unknown; value?: { message?: unknown } | unknown } | null;
  if (o && typeof o.message === 'string') return o.message;
  const v = o?.value as { message?: unknown } | string | undefined;
  if (v && typeof v === 'object' && typeof v.message === 'string') return v.message;
  if (typeof v === 'string') return v;
  return output === null || output === undefined ? '' : JSON.stringify(output).slice(0, 500);
}

/** The queue a job is in, looked up by its id (among queued and failed jobs). */
export async function queueOfJob(id: string): Promise<string | null> {
  if (!isJobId(id)) return null;
  const [row] = await sql<{ name: string }>(`SELECT name FROM ${QUEUE_SCHEMA}.job WHERE id = $1`, [id]);
  return row?.name ?? null;
}

/** Retries a failed job (it runs again, with one more try allowed). False when it is not failed. */
export async function retryFailedJob(queue: string, id: string): Promise<boolean> {
  return affected(await queueBoss().retry(queue, id));
}

/** Deletes a failed job for good. False when there is no failed job with that id. */
export async function discardFailedJob(queue: string, id: string): Promise<boolean> {
  const [failed] = await sql<{ id: string }>(
    `SELECT id FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND id = $2 AND state = 'failed'`,
    [queue, id],
  );
  if (!failed) return false;
  return affected(await queueBoss().deleteJob(queue, id));
}

/** pg-boss answers its commands with `{ affected }` (its type declarations say `void`). */
function affected(res: unknown): boolean {
  return Number((res as { affected?: number } | undefined)?.affected ?? 0) > 0;
}
