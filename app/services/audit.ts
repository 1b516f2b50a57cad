import { Op, type WhereOptions } from 'sequelize';
import { AuditLog, type FieldChanges } from '../models/audit-log.ts';
import { currentContext } from '../tenancy/context.ts';
import type { AuditFilter } from '../validators/audit.validator.ts';

/** Fields never written to the log, whatever the record. */
const SECRET = new Set(['passwordHash', 'password_hash', 'password', 'tokenHash', 'token_hash']);
const NOISE = new Set(['updatedAt', 'createdAt', 'updated_at', 'created_at']);

function comparable(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}

/** The fields that differ between two snapshots, secrets and timestamps left out. */
export function diff(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): FieldChanges {
  const changes: FieldChanges = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const key of keys) {
    if (SECRET.has(key) || NOISE.has(key)) continue;
    const from = comparable(before?.[key]);
    const to = comparable(after?.[key]);
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = { from, to };
  }
  return changes;
}

export interface AuditEntry {
  action: string;
  recordType: string;
  recordId?: string | null;
  recordLabel?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  /** Extra facts that are not field changes (e.g. roles granted). */
  changes?: FieldChanges;
  /** The project the record belongs to, so the entry shows in that project's activity feed. */
  projectId?: string | null;
}

/**
 * The audit log, used by every module: records the current actor (from the request or job
 * context), the action, the record and its changed fields, in the current tenant's schema.
 */
export async function record(entry: AuditEntry): Promise<AuditLog> {
  const ctx = currentContext();
  return AuditLog.create({
    actorId: ctx?.actor?.id ?? null,
    actorName: ctx?.actor?.name ?? 'system',
    action: entry.action,
    recordType: entry.recordType,
    recordId: entry.recordId ?? null,
    recordLabel: entry.recordLabel?.slice(0, 200) ?? null,
    changes: { ...diff(entry.before ?? null, entry.after ?? null), ...entry.changes },
    ip: ctx?.ip ?? null,
    projectId: entry.projectId ?? null,
  });
}

const DAY_MS = 86_400_000;

function whereOf(f: Omit<AuditFilter, 'page'>): WhereOptions<AuditLog> {
  const conditions: WhereOptions<AuditLog>[] = [];
  if (f.action) conditions.push({ action: f.action });
  if (f.recordType) conditions.push({ recordType: f.recordType });
  if (f.actor) conditions.push({ actorId: f.actor === 'system' ? null : f.actor });
  if (f.from) conditions.push({ createdAt: { [Op.gte]: new Date(`${f.from}T00:00:00Z`) } });
  if (f.to) conditions.push({ createdAt: { [Op.lt]: new Date(Date.parse(`${f.to}T00:00:00Z`) + DAY_MS) } });
  return conditions.length ? { [Op.and]: conditions } : {};
}

/** Audit entries matching the filter, newest first, with the total count. */
export function searchAudit(
  filter: Omit<AuditFilter, 'page'>,
  page: { limit: number; offset: number },
): Promise<{ rows: AuditLog[]; count: number }> {
  return AuditLog.findAndCountAll({
    where: whereOf(filter),
    order: [
      ['createdAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit: page.limit,
    offset: page.offset,
  });
}
