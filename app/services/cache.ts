import { config } from '../../config/index.ts';
import { redisClient, unlessRedisIsAway } from '../db/redis.ts';
import { log } from '../logger.ts';
import { requireTenant } from '../tenancy/context.ts';

/**
 * A small cache of computed figures, always scoped to the current tenant: every key is
 * `<REDIS_PREFIX>t:<schema>:<name>` with the schema taken from the tenant context, so a caller can
 * never read or write another tenant's entries. With REDIS_URL the entries live in Redis (shared by
 * every web instance); without it, in this process.
 *
 * Invalidation is by version, not by deleting keys: an entry remembers the version of its group
 * (e.g. "work") at the time it was computed, and `bump(group)` makes every entry of that group in
 * this tenant stale at once, without scanning keys.
 */

export type CacheBackend = 'auto' | 'memory' | 'off';

interface Store {
  /** The values of `keys`, null where missing or expired. */
  getMany(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  incr(key: string): Promise<void>;
}

const NAME_RE = /^[a-z][a-z0-9_-]*(:[a-z0-9_-]+)*$/i;
const MEMORY_MAX_ENTRIES = 10_000;
const VERSION_TTL_SECONDS = 86_400;
const MAX_GROUPED_TTL_SECONDS = 3600;

/** Entries of this process, for when there is no Redis (and for tests of that case). */
class MemoryStore implements Store {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  // Versions are never evicted: losing one could make an old entry look current again.
  private readonly versions = new Map<string, number>();

  async getMany(keys: string[]): Promise<(string | null)[]> {
    const now = Date.now();
    return keys.map((key) => {
      if (this.versions.has(key)) return String(this.versions.get(key));
      const hit = this.entries.get(key);
      if (!hit) return null;
      if (hit.expiresAt <= now) {
        this.entries.delete(key);
        return null;
      }
      return hit.value;
    });
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (this.entries.size > MEMORY_MAX_ENTRIES) this.evict();
  }

  async incr(key: string): Promise<void> {
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
  }

  clear(): void {
    this.entries.clear();
    this.versions.clear();
  }

  /** Drops expired entries, then the oldest ones, until the map is back to three quarters of its size. */
  private evict(): void {
    const now = Date.now();
    for (const [key, hit] of this.entries) if (hit.expiresAt <= now) this.entries.delete(key);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= MEMORY_MAX_ENTRIES * 0.75) break;
      this.entries.delete(key);
    }
  }
}

const memory = new MemoryStore();

// Every command is bounded like the other Redis calls of a request: a Redis that hangs while still
// connected costs a page at most REDIS_COMMAND_TIMEOUT_MS, then the value is computed.
const redisStore: Store = {
  async getMany(keys) {
    const client = redisClient();
    if (!client) throw new Error('Redis is not connected');
    return unlessRedisIsAway(client.mGet(keys));
  },
  async set(key, value, ttlMs) {
    const client = redisClient();
    if (client) await unlessRedisIsAway(client.set(key, value, { PX: ttlMs }));
  },
  async incr(key) {
    // Grouped entries live an hour at most, so a version untouched for a day can go: none refers to it.
    const client = redisClient();
    if (client) await unlessRedisIsAway(client.multi().incr(key).expire(key, VERSION_TTL_SECONDS).exec());
  },
};

let backend: CacheBackend = config.CACHE_ENABLED ? 'auto' : 'off';

/**
 * Chooses where entries live: 'auto' (Redis when REDIS_URL is set, else this process), 'memory'
 * (this process) or 'off' (always compute). Tests and benchmarks switch it; the app keeps the default.
 */
export function useCacheBackend(next: CacheBackend): void {
  backend = next;
  memory.clear();
}

/** The store in use now, or null when caching is off or Redis is configured but not reachable. */
function store(): Store | null {
  if (backend === 'off') return null;
  if (backend === 'memory' || !config.REDIS_URL) return memory;
  // With several web instances, a private in-process copy would miss the others' invalidations.
  return redisClient()?.isReady ? redisStore : null;
}

/** The full key of `name` in the current tenant. The tenant always comes from the context. */
export function tenantKey(name: string): string {
  if (!NAME_RE.test(name)) throw new Error(`Bad cache key name: ${name}`);
  return `${config.REDIS_PREFIX}t:${requireTenant().schema}:${name}`;
}

function versionKey(group: string): string {
  return tenantKey(`${group}:version`);
}

interface Entry<T> {
  v: string;
  data: T;
}

/**
 * The cached value of `name` in the current tenant, or `compute()`'s result, kept for `ttlSeconds`.
 * With `group`, the entry is stale as soon as `bump(group)` runs in this tenant. A cache that fails
 * never fails the caller: the value is then computed.
 */
export async function remember<T>(
  name: string,
  opts: { ttlSeconds: number; group?: string },
  compute: () => Promise<T>,
): Promise<T> {
  if (opts.group && opts.ttlSeconds > MAX_GROUPED_TTL_SECONDS)
    throw new Error(`A grouped cache entry lives at most ${MAX_GROUPED_TTL_SECONDS} s`);
  const s = store();
  if (!s) return compute();
  const key = tenantKey(name);
  const keys = opts.group ? [key, versionKey(opts.group)] : [key];
  let version = '0';
  try {
    const [raw, current] = await s.getMany(keys);
    version = current ?? '0';
    if (raw) {
      const entry = JSON.parse(raw) as Entry<T>;
      if (entry.v === version) return entry.data;
    }
  } catch (err) {
    log().warn({ err, key }, 'cache read failed; computing');
    return compute();
  }
  // The version read before computing: a write during the computation makes this entry stale.
  const data = await compute();
  const entry: Entry<T> = { v: version, data };
  await s.set(key, JSON.stringify(entry), opts.ttlSeconds * 1000).catch((err: unknown) => {
    log().warn({ err, key }, 'cache write failed');
  });
  return data;
}

/**
 * Makes every entry of `group` in the current tenant stale. Bumps every store that can hold entries,
 * whatever the backend in use, so switching the backend never brings back an entry a write made stale.
 */
export async function bump(group: string): Promise<void> {
  const key = versionKey(group);
  await memory.incr(key);
  if (!config.REDIS_URL || !redisClient()?.isReady) return;
  await redisStore.incr(key).catch((err: unknown) => log().warn({ err, key }, 'cache invalidation failed'));
}

/** The current version of `group` in the current tenant ("0" before the first bump). */
export async function versionOf(group: string): Promise<string> {
  const s = store();
  if (!s) return '0';
  const [v] = await s.getMany([versionKey(group)]);
  return v ?? '0';
}
