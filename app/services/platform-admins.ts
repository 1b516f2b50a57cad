import { ValidationError } from '../errors.ts';
import { log } from '../logger.ts';
import { Plan } from '../models/plan.ts';
import { PlatformAdmin } from '../models/platform-admin.ts';
import type { Tenant } from '../models/tenant.ts';
import { type PlatformAdminInput, platformAdminSchema } from '../validators/admin.validator.ts';
import { parseOrThrow } from '../validators/tenant.validator.ts';
import { hashPassword } from './passwords.ts';

/**
 * Creates a platform admin. The e-mail is checked first so the person gets a field message; the
 * unique index stays the last guard against two creations at once.
 */
export async function createPlatformAdmin(input: PlatformAdminInput): Promise<PlatformAdmin> {
  const data = parseOrThrow(platformAdminSchema, input);
  if (await PlatformAdmin.count({ where: { email: data.email } }))
    throw new ValidationError({ email: `"${data.email}" is already a platform admin` });
  const passwordHash = await hashPassword(data.password);
  try {
    const admin = await PlatformAdmin.create({
      email: data.email,
      name: data.name,
      passwordHash,
      lastLoginAt: null,
    });
    log().info({ admin: admin.email }, 'platform admin created');
    return admin;
  } catch (err) {
    if ((err as Error).name === 'SequelizeUniqueConstraintError')
      throw new ValidationError({ email: `"${data.email}" is already a platform admin` });
    throw err;
  }
}

/** Records what a platform admin did to a tenant or a plan, at info level, so each change can be traced. */
export function logAdminAction(
  admin: PlatformAdmin | null,
  action: string,
  target: Tenant | Plan,
  details: Record<string, unknown> = {},
): void {
  const subject =
    target instanceof Plan
      ? { planId: String(target.id), planCode: target.code }
      : { tenantId: String(target.id), tenantSlug: target.slug };
  log().info({ admin: admin?.email ?? null, action, ...subject, ...details }, `platform admin: ${action}`);
}
