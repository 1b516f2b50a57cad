import type { Request, Response } from 'express';
import { Op, type WhereOptions } from 'sequelize';
import { z } from 'zod';
import { AuditLog } from '../models/audit-log.ts';

const PER_PAGE = 50;
const DAY_MS = 86_400_000;

/** A calendar day as YYYY-MM-DD (a UTC day); anything else means "no limit". */
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine(
    (v) =>
      !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v),
  )
  .catch('');

/**
 * The audit page's query string. It lives here, beside its only reader; a value that makes no
 * sense falls back to "any" rather than failing the page.
 */
const auditFilterSchema = z.object({
  action: z
    .string()
    .trim()
    .regex(/^[\w.:-]{0,40}$/)
    .catch(''),
  recordType: z
    .string()
    .trim()
    .regex(/^[\w.:-]{0,40}$/)
    .catch(''),
  actor: z
    .string()
    .regex(/^(system|[1-9][0-9]{0,17})?$/)
    .catch(''),
  from: day,
  to: day,
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

type AuditFilter = z.output<typeof auditFilterSchema>;

// GET /audit: newest first.
export async function index(req: Request, res: Response): Promise<void> {
  const filter = auditFilterSchema.parse(req.query);
  const { rows, count } = await AuditLog.findAndCountAll({
    where: whereOf(filter),
    order: [
      ['createdAt', 'DESC'],
      ['id', 'DESC'],
    ],
    limit: PER_PAGE,
    offset: (filter.page - 1) * PER_PAGE,
  });
  const { page: _page, ...kept } = filter;
  const pageUrl = (page: number) => `/audit?${new URLSearchParams({ ...kept, page: String(page) })}`;
  const pages = Math.max(1, Math.ceil(count / PER_PAGE));
  res.render('audit/index', {
    title: 'Audit log',
    entries: rows,
    total: count,
    pages,
    pageUrl,
    values: filter,
    choices: await choices(),
  });
}

function whereOf(f: AuditFilter): WhereOptions<AuditLog> {
  const conditions: WhereOptions<AuditLog>[] = [];
  if (f.action) conditions.push({ action: f.action });
  if (f.recordType) conditions.push({ recordType: f.recordType });
  if (f.actor) conditions.push({ actorId: f.actor === 'system' ? null : f.actor });
  if (f.from) conditions.push({ createdAt: { [Op.gte]: new Date(`${f.from}T00:00:00Z`) } });
  if (f.to) conditions.push({ createdAt: { [Op.lt]: new Date(Date.parse(`${f.to}T00:00:00Z`) + DAY_MS) } });
  return conditions.length ? { [Op.and]: conditions } : {};
}

type Choice = { value: string; label: string };

/** What the filters can choose from: the actions, record types and people found in the log. */
async function choices(): Promise<{ actions: Choice[]; recordTypes: Choice[]; actors: Choice[] }> {
  const any = { value: '', label: 'Any' };
  const [actions, types, actors] = await Promise.all([
    AuditLog.findAll({ attributes: ['action'], group: ['action'], order: [['action', 'ASC']] }),
    AuditLog.findAll({ attributes: ['recordType'], group: ['recordType'], order: [['recordType', 'ASC']] }),
    AuditLog.findAll({ attributes: ['actorId', 'actorName'], group: ['actorId', 'actorName'] }),
  ]);
  // One entry per person, under the latest name seen; actions without a signed-in person are "system".
  const people = new Map(
    actors.map((a) => [a.actorId ?? 'system', a.actorId ? (a.actorName ?? '') : 'System']),
  );
  return {
    actions: [any, ...actions.map((a) => ({ value: a.action, label: a.action }))],
    recordTypes: [any, ...types.map((t) => ({ value: t.recordType, label: t.recordType }))],
    actors: [
      any,
      ...[...people]
        .map(([value, label]) => ({ value: String(value), label }))
        .sort((a, b) => a.label.localeCompare(b.label)),
    ],
  };
}
