import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';
import { config } from '../../config/index.ts';
import { announceChange, onChange, type Transactional } from '../tenancy/changes.ts';
import { currentTenant, requireTenant } from '../tenancy/context.ts';

/** Settings per tenant schema: the key always carries the schema. */
const cache = new Map<string, { values: Record<string, string>; at: number }>();

onChange((change) => {
  if (change === null || change.kind === 'all-tenants') cache.clear();
  else if (change.schema) cache.delete(change.schema);
});

/** Announces a write to the current tenant's settings (this process, then the others at commit). */
async function announceWrite(...args: unknown[]): Promise<void> {
  const tenant = currentTenant();
  if (!tenant) return;
  const options = args.find((a) => a && typeof a === 'object' && 'transaction' in a) as
    | Transactional
    | undefined;
  await announceChange({ kind: 'settings', schema: tenant.schema }, options);
}

/** A tenant's editable text, by key (tenant table). */
export class Setting extends Model<InferAttributes<Setting>, InferCreationAttributes<Setting>> {
  declare key: string;
  declare value: string;
  declare updatedAt: CreationOptional<Date>;

  /**
   * All settings of the current tenant as a plain object. Read on every page of a tenant, so kept
   * in-process per schema for a short while, and dropped in every process when a setting is written.
   */
  static async all(): Promise<Record<string, string>> {
    const schema = requireTenant().schema;
    const hit = cache.get(schema);
    if (hit && Date.now() - hit.at < config.TENANT_CACHE_TTL_MS) return { ...hit.values };
    const rows = await Setting.findAll({ attributes: ['key', 'value'] });
    const values = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    cache.set(schema, { values, at: Date.now() });
    return { ...values };
  }

  static initModel(sequelize: Sequelize): void {
    Setting.init(
      {
        key: { type: DataTypes.STRING(80), primaryKey: true },
        value: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'settings', underscored: true, createdAt: false },
    );
    for (const hook of [
      'afterSave',
      'afterDestroy',
      'afterUpsert',
      'afterBulkCreate',
      'afterBulkUpdate',
      'afterBulkDestroy',
    ] as const) {
      Setting.addHook(hook, 'settingsCache', announceWrite);
    }
  }
}

/** The texts a new tenant starts with. */
export function defaultSettings(name: string, kind: 'church' | 'company'): Record<string, string> {
  return {
    welcome_text:
      kind === 'church'
        ? `Welcome to ${name}. Staff can sign in to manage members, groups and giving.`
        : `Welcome to ${name}. Staff can sign in to manage projects and tasks.`,
    about: '',
    contact_email: '',
  };
}
