import { type InferCreationAttributes, QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';
import { tenantBundle } from '../db/ddl-bundle.ts';
import { MIGRATION_TABLE, migrationTableSql } from '../db/migrator.ts';
import { Conflict, NotFound, ValidationError } from '../errors.ts';
import { log } from '../logger.ts';
import { DEFAULT_FUNDS } from '../models/fund.ts';
import { Domain, Plan, Tenant, User } from '../models/index.ts';
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
  extraSteps?: (created: Provisioned) => Promise<void>;
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
        // The schema, its tables, their migration records and the tenant's starting rows go in one
        // round trip: a creation is mostly waiting on the database, so fewer trips is most of the cost.
        await sequelize.query(
          [
            `CREATE SCHEMA ${quoteIdent(schema)};`,
            bundle.sql,
            `${migrationTableSql('tenant')};`,
            startingRowsSql(data.kind, data.name, bundle.migrations),
          ].join('\n'),
        );
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
        const admin = await createFirstAdmin(data.adminEmail, data.adminName, await hashing);
        await opts.extraSteps?.({ tenant, admin, domain });
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

/**
 * The records of the applied migrations and the roles, texts and funds a new tenant starts with.
 * They travel with the DDL, where no bind parameters fit, so every value is an escaped literal.
 */
function startingRowsSql(kind: 'church' | 'company', name: string, migrations: string[]): string {
  const rows = (items: (string | number)[][]) =>
    items.map((values) => `(${values.map((v) => db().escape(v)).join(', ')})`).join(',\n  ');
  const settings = Object.entries(defaultSettings(name, kind));
  return [
    `INSERT INTO ${MIGRATION_TABLE.tenant} (name) VALUES\n  ${rows(migrations.map((m) => [m]))};`,
    `INSERT INTO roles (name, permission_level, description) VALUES\n  ${rows(
      DEFAULT_ROLES[kind].map((r) => [r.name, r.permissionLevel, r.description]),
    )};`,
    `INSERT INTO settings (key, value) VALUES\n  ${rows(settings)};`,
    `INSERT INTO funds (name, description) VALUES\n  ${rows(DEFAULT_FUNDS[kind].map((f) => [f.name, f.description]))};`,
  ].join('\n');
}

/** The first super admin, holding the tenant's first level-0 role, in one statement. */
async function createFirstAdmin(email: string, name: string, passwordHash: string | null): Promise<User> {
  const [row] = await db().query<InferCreationAttributes<User>>(
    `WITH admin AS (
       INSERT INTO users (email, name, password_hash, department) VALUES ($1, $2, $3, NULL)
       RETURNING id, email, name, password_hash, active, department, last_login_at, created_at, updated_at
     ), super_role AS (
       SELECT id FROM roles WHERE permission_level = 0 ORDER BY id LIMIT 1
     ), holding AS (
       INSERT INTO user_roles (user_id, role_id) SELECT admin.id, super_role.id FROM admin, super_role
     )
     SELECT id, email, name, password_hash AS "passwordHash", active, department,
            last_login_at AS "lastLoginAt", created_at AS "createdAt", updated_at AS "updatedAt"
       FROM admin`,
    { bind: [User.normalizeEmail(email), name, passwordHash], type: QueryTypes.SELECT },
  );
  if (!row) throw new Error('The first admin was not created');
  return User.build(row, { isNewRecord: false, raw: true });
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
