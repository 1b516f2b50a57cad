import { QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';
import { tenantBundle } from '../db/ddl-bundle.ts';
import { MIGRATION_TABLE, migrationTableSql } from '../db/migrator.ts';
import { Conflict, NotFound, ValidationError } from '../errors.ts';
import { log } from '../logger.ts';
import { DEFAULT_FUNDS } from '../models/fund.ts';
import { Domain, Fund, Plan, Role, Setting, Tenant, User, UserRole } from '../models/index.ts';
import { DEFAULT_ROLES } from '../models/role.ts';
import { defaultSettings } from '../models/setting.ts';
import { withTenant } from '../tenancy/context.ts';
import { assertSchemaName, quoteIdent, schemaForSlug } from '../tenancy/schema-name.ts';
import {
  defaultDomainFor,
  parseOrThrow,
  type TenantCreateInput,
  tenantCreateSchema,
} from '../validators/tenant.validator.ts';
import { hashPassword } from './passwords.ts';

export interface Provisioned {
  tenant: Tenant;
  admin: User;
  domain: string;
}

export interface ProvisionOptions {
  /** A password hash computed beforehand (sign-up hashes while the user waits anyway). */
  adminPasswordHash?: string;
  /** More work inside the same transaction and tenant; a throw undoes the whole creation. */
  extraSteps?: (created: { tenant: Tenant; admin: User }) => Promise<void>;
}

const DAY_MS = 86_400_000;

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { parent?: { code?: string }; original?: { code?: string } }).parent?.code;
  return (
    code === '23505' ||
    code === '42P06' ||
    (err as { name?: string }).name === 'SequelizeUniqueConstraintError'
  );
}

/**
 * Creates a tenant, all or nothing: its schema with every current tenant table (from the compiled
 * DDL bundle, recorded as migrated), its row and primary domain, its default roles and texts, and
 * its first super admin.
 */
export async function provisionTenant(
  input: TenantCreateInput,
  opts: ProvisionOptions = {},
): Promise<Provisioned> {
  const data = parseOrThrow(tenantCreateSchema, input);
  const schema = schemaForSlug(data.slug);
  const domain = data.domain ?? defaultDomainFor(data.slug);
  if (!(await Plan.findOne({ where: { code: data.plan } })))
    throw new ValidationError({ plan: `unknown plan "${data.plan}"` });
  // The hash runs on the thread pool while the schema is built; it is awaited just before it is needed.
  const hashing = Promise.resolve(
    opts.adminPasswordHash ?? (data.adminPassword ? hashPassword(data.adminPassword) : null),
  );
  hashing.catch(() => {});
  const bundle = await tenantBundle();
  const sequelize = db();
  const ref = {
    id: '0',
    slug: data.slug,
    schema,
    name: data.name,
    kind: data.kind,
    status: 'trial',
  } as const;
  const started = Date.now();
  try {
    const result = await withTenant(ref, () =>
      sequelize.transaction(async () => {
        // Two creations of one slug queue here; the second then sees the first's rows.
        await sequelize.query('SELECT pg_advisory_xact_lock(hashtext($1))', {
          bind: [`steward:tenant:${data.slug}`],
        });
        await assertAvailable(data.slug, schema, domain);
        await sequelize.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
        await sequelize.query(`${bundle.sql}\n${migrationTableSql('tenant')};`);
        await sequelize.query(`INSERT INTO ${MIGRATION_TABLE.tenant} (name) SELECT unnest($1::text[])`, {
          bind: [bundle.migrations],
        });
        const tenant = await Tenant.create({
          name: data.name,
          slug: data.slug,
          schemaName: schema,
          kind: data.kind,
          plan: data.plan,
          status: 'trial',
          onTrial: true,
          trialEndsAt: new Date(Date.now() + data.trialDays * DAY_MS),
          paidUntil: null,
        });
        await Domain.create({ domain, tenantId: tenant.id, isPrimary: true });
        const roles = await Role.bulkCreate(DEFAULT_ROLES[data.kind]);
        const settings = defaultSettings(data.name, data.kind);
        await Setting.bulkCreate(Object.entries(settings).map(([key, value]) => ({ key, value })));
        await Fund.bulkCreate(DEFAULT_FUNDS[data.kind]);
        const passwordHash = await hashing;
        const admin = await User.create({
          email: data.adminEmail,
          name: data.adminName,
          passwordHash,
          department: null,
        });
        const superRole = roles.find((r) => r.permissionLevel === 0);
        if (superRole) await UserRole.create({ userId: admin.id, roleId: superRole.id });
        await opts.extraSteps?.({ tenant, admin });
        return { tenant, admin, domain };
      }),
    );
    log().info({ tenant: data.slug, ms: Date.now() - started }, 'tenant created');
    return result;
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`The address "${data.slug}" is already taken.`);
    throw err;
  }
}

async function assertAvailable(slug: string, schema: string, domain: string): Promise<void> {
  const [taken] = await db().query<{ slug: boolean; schema: boolean; domain: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM public.tenants WHERE slug = $1) AS slug,
            EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) AS schema,
            EXISTS (SELECT 1 FROM public.domains WHERE domain = $3) AS domain`,
    { bind: [slug, schema, domain], type: QueryTypes.SELECT },
  );
  if (taken?.slug || taken?.schema) throw new SlugTaken(slug);
  if (taken?.domain) throw new ValidationError({ domain: `"${domain}" is already in use` });
}

export class SlugTaken extends ValidationError {
  constructor(slug: string) {
    super({ slug: `"${slug}" is already taken` }, `The address "${slug}" is already taken.`);
  }
}

/** Drops a tenant's schema and its rows. Callers confirm with the person first. */
export async function deleteTenant(slug: string): Promise<void> {
  const tenant = await Tenant.findOne({ where: { slug } });
  if (!tenant) throw new NotFound(`No tenant "${slug}".`);
  const schema = assertSchemaName(tenant.schemaName);
  const sequelize = db();
  await sequelize.transaction(async () => {
    await sequelize.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    await tenant.destroy();
  });
  log().info({ tenant: slug }, 'tenant deleted');
}
