/** Tenants for the benchmarks, created through the real provisioning path. */
import { Tenant } from '../../app/models/index.ts';
import { hashPassword } from '../../app/services/passwords.ts';
import { provisionTenant } from '../../app/services/provisioning.ts';
import type { TenantRef } from '../../app/tenancy/context.ts';
import { config } from '../../config/index.ts';

export const BENCH_PASSWORD = 'bench-password-2026';

/** The Host header of a tenant's pages. */
export function hostOf(slug: string): string {
  return `${slug}.${config.BASE_DOMAIN}`;
}

let sharedHash: Promise<string> | null = null;

/** One argon2 hash for every filler tenant, so hashing does not dominate the fill. */
export function benchPasswordHash(): Promise<string> {
  sharedHash ??= hashPassword(BENCH_PASSWORD);
  return sharedHash;
}

export function fillerSlug(i: number): string {
  return `bench-${String(i).padStart(4, '0')}`;
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

export async function allTenants(): Promise<TenantRef[]> {
  return (await Tenant.findAll({ order: [['id', 'ASC']] })).map((t) => t.toRef());
}

/**
 * Makes sure at least `count` tenants exist (creating `bench-NNNN` ones as needed) and returns
 * every tenant. Filling runs a few creations at once: it is set-up, not what is measured.
 */
export async function ensureTenants(count: number, concurrency = 4): Promise<TenantRef[]> {
  const existing = await allTenants();
  const taken = new Set(existing.map((t) => t.slug));
  const missing: string[] = [];
  for (let i = 1; existing.length + missing.length < count; i++) {
    const slug = fillerSlug(i);
    if (!taken.has(slug)) missing.push(slug);
  }
  if (missing.length === 0) return existing;
  const hash = await benchPasswordHash();
  await inParallel(missing, concurrency, async (slug) => {
    await provisionTenant(
      {
        slug,
        name: `Bench ${slug}`,
        // Both kinds, since they start with different default roles.
        kind: Number(slug.slice(-1)) % 2 === 0 ? 'company' : 'church',
        adminEmail: `admin@${slug}.test`,
      },
      { adminPasswordHash: hash },
    );
  });
  return allTenants();
}
