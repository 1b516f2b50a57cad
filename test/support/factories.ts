import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { createApp } from '../../app/app.ts';
import type { Tenant } from '../../app/models/tenant.ts';
import { hashPassword } from '../../app/services/passwords.ts';
import { type ProvisionOptions, provisionTenant } from '../../app/services/provisioning.ts';
import type { TenantCreateInput } from '../../app/validators/tenant.validator.ts';

export const TEST_PASSWORD = 'correct horse battery';
let counter = 0;

/** A slug no other test uses. */
export function uniqueSlug(prefix = 'org'): string {
  counter += 1;
  return `${prefix}${counter}x${randomBytes(3).toString('hex')}`;
}

/** A hash of "correct horse battery" made once, so factories skip argon2's cost. */
let sharedHash: Promise<string> | null = null;
export function testPasswordHash(): Promise<string> {
  sharedHash ??= hashPassword(TEST_PASSWORD);
  return sharedHash;
}

export async function createTenant(
  overrides: Partial<TenantCreateInput> = {},
  opts: ProvisionOptions = {},
): Promise<Tenant> {
  const slug = overrides.slug ?? uniqueSlug();
  const { tenant } = await provisionTenant(
    { slug, name: `Org ${slug}`, kind: 'company', adminEmail: `admin@${slug}.test`, ...overrides },
    { adminPasswordHash: await testPasswordHash(), ...opts },
  );
  return tenant;
}

let app: ReturnType<typeof createApp> | null = null;

/** A supertest agent on the app; pass `host` to speak to a tenant. */
export function http(): supertest.Agent {
  app ??= createApp();
  return supertest.agent(app);
}

/** The e-mail of the super admin createTenant provisions. */
export function adminEmail(tenant: Tenant): string {
  return `admin@${tenant.slug}.test`;
}

export function hostOf(tenant: Tenant): string {
  return `${tenant.slug}.localhost`;
}
