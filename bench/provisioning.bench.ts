/**
 * Provisioning time: creations timed one at a time with `existing` tenants already present.
 * Variant (a) passes a precomputed hash (the schema and rows work alone); variant (b) passes a plain
 * password, so argon2id hashing is part of each creation, as on sign-up.
 */
import { hashPassword } from '../app/services/passwords.ts';
import { deleteTenant, provisionTenant } from '../app/services/provisioning.ts';
import {
  line,
  ms,
  note,
  type Summary,
  seconds,
  section,
  summarize,
  summaryLine,
  type TargetCheck,
  target,
  timed,
} from './support/stats.ts';
import { BENCH_PASSWORD, benchPasswordHash, ensureTenants } from './support/tenants.ts';

export interface ProvisioningResult {
  existingTenants: number;
  fillMs: number;
  withHash: Summary;
  withPassword: Summary;
  argon2idAlone: Summary;
  targets: TargetCheck[];
}

const TARGET_MEDIAN_MS = 100;

async function createOne(slug: string, kind: 'church' | 'company', hash: string | null): Promise<number> {
  const input = {
    slug,
    name: `Timed ${slug}`,
    kind,
    adminEmail: `admin@${slug}.test`,
    ...(hash ? {} : { adminPassword: BENCH_PASSWORD }),
  };
  const run = await timed(() => provisionTenant(input, hash ? { adminPasswordHash: hash } : {}));
  return run.ms;
}

export async function provisioningBench(
  opts: { existing?: number; timed?: number } = {},
): Promise<ProvisioningResult> {
  const existing = opts.existing ?? 200;
  const count = opts.timed ?? 50;
  section(`Provisioning: ${count} creations a variant with ${existing} tenants already existing`);

  const fill = await timed(() => ensureTenants(existing));
  line('existing tenants', String(fill.value.length));
  line('filling time (set-up, 4 at a time)', seconds(fill.ms));

  const hash = await benchPasswordHash();
  const a: number[] = [];
  const b: number[] = [];
  // The variants alternate so that load drifting on a shared machine hits both alike, and each
  // pair is deleted (untimed) so every timed creation sees exactly `existing` tenants.
  for (let i = 1; i <= count; i++) {
    const n = String(i).padStart(3, '0');
    const kind = i % 2 === 0 ? 'company' : 'church';
    a.push(await createOne(`prov-a-${n}`, kind, hash));
    b.push(await createOne(`prov-b-${n}`, kind, null));
    await deleteTenant(`prov-a-${n}`);
    await deleteTenant(`prov-b-${n}`);
  }
  const withHash = summarize(a);
  const withPassword = summarize(b);
  const hashes: number[] = [];
  for (let i = 0; i < 10; i++) hashes.push((await timed(() => hashPassword(BENCH_PASSWORD))).ms);
  const argon2idAlone = summarize(hashes);

  line('(a) precomputed password hash', summaryLine(withHash));
  line('(b) plain password (argon2id included)', summaryLine(withPassword));
  line('argon2id hash alone (hashPassword)', summaryLine(argon2idAlone));
  note('creations run one at a time, (a) and (b) alternating; church and company alternate too');

  const targets = [
    target(
      'provisioning median, hash precomputed',
      `<= ${TARGET_MEDIAN_MS} ms`,
      ms(withHash.median),
      withHash.median <= TARGET_MEDIAN_MS,
    ),
    target(
      'provisioning median, with argon2id',
      `<= ${TARGET_MEDIAN_MS} ms`,
      ms(withPassword.median),
      withPassword.median <= TARGET_MEDIAN_MS,
    ),
  ];
  return {
    existingTenants: fill.value.length,
    fillMs: fill.ms,
    withHash,
    withPassword,
    argon2idAlone,
    targets,
  };
}
