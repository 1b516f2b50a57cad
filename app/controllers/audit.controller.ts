import type { Request, Response } from 'express';
import { AuditLog } from '../models/audit-log.ts';
import { searchAudit } from '../services/audit.ts';
import { auditFilterSchema } from '../validators/audit.validator.ts';

const PER_PAGE = 50;

// GET /audit: newest first.
export async function index(req: Request, res: Response): Promise<void> {
  const filter = auditFilterSchema.parse(req.query);
  const { rows, count } = await searchAudit(filter, {
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
