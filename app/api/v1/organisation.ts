/** The organisation's own settings and its audit log, as on the Settings and Audit log pages. */
import { z } from 'zod';
import type { AuditLog } from '../../models/audit-log.ts';
import { searchAudit } from '../../services/audit.ts';
import { editableSettings, updateSettings } from '../../services/settings.ts';
import { auditFilterSchema } from '../../validators/audit.validator.ts';
import { settingsSchema } from '../../validators/setting.validator.ts';
import { apiRoutes } from '../kit.ts';
import { listResult, offsetOf } from '../pagination.ts';
import { idString, iso, listQuery, pageOf, timestamp } from '../schemas.ts';

const settingsOut = z
  .object({
    welcome_text: z.string(),
    about: z.string(),
    service_times: z.string(),
    address: z.string(),
    phone: z.string(),
    contact_email: z.string().meta({ example: 'office@example.org' }),
    time_zone: z.string().meta({ example: 'Europe/London' }),
    api_cors_origins: z.string().meta({
      description: 'Origins whose pages may call this API, one per line.',
      example: 'https://app.example.org',
    }),
  })
  .meta({ id: 'Settings' });

const change = z.object({ from: z.unknown(), to: z.unknown() });

const auditEntryOut = z
  .object({
    id: idString,
    action: z.string().meta({ example: 'member.updated' }),
    recordType: z.string().meta({ example: 'member' }),
    recordId: z.string().nullable(),
    recordLabel: z.string().nullable().meta({ example: 'Grace Hopper' }),
    actorId: z
      .string()
      .nullable()
      .meta({ description: 'The staff account; null for the system or a platform admin.' }),
    actorName: z.string().nullable(),
    changes: z
      .record(z.string(), change)
      .meta({ example: { phone: { from: null, to: '+44 20 7946 0000' } } }),
    projectId: z.string().nullable(),
    ip: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'AuditEntry' });

function presentEntry(e: AuditLog): z.infer<typeof auditEntryOut> {
  return {
    id: String(e.id),
    action: e.action,
    recordType: e.recordType,
    recordId: e.recordId,
    recordLabel: e.recordLabel,
    actorId: e.actorId === null ? null : String(e.actorId),
    actorName: e.actorName,
    changes: (e.changes ?? {}) as Record<string, { from: unknown; to: unknown }>,
    projectId: e.projectId === null || e.projectId === undefined ? null : String(e.projectId),
    ip: e.ip,
    createdAt: iso(e.createdAt) as string,
  };
}

const auditQuery = auditFilterSchema.omit({ page: true }).extend(listQuery.shape);

export default apiRoutes(
  { tag: 'Organisation', host: 'tenant', description: "The organisation's settings and audit log." },
  (r) => {
    r.get(
      '/settings',
      {
        summary: "The organisation's settings",
        capability: 'settings.edit',
        responses: { 200: settingsOut },
      },
      async () => ({ body: await editableSettings() }),
    );

    r.patch(
      '/settings',
      {
        summary: 'Change settings',
        description: 'Only the keys sent change. One audit entry records what changed.',
        capability: 'settings.edit',
        body: settingsSchema,
        responses: { 200: settingsOut },
        errors: [412],
      },
      async (ctx) => {
        ctx.ifMatch(await editableSettings());
        return { body: await updateSettings(ctx.body) };
      },
    );

    r.get(
      '/audit',
      {
        summary: 'The audit log',
        description: 'Newest first, filtered as on the Audit log page (`actor` is a user id or `system`).',
        capability: 'audit.view',
        query: auditQuery,
        responses: { 200: pageOf(auditEntryOut) },
      },
      async (ctx) => {
        const { limit, cursor, ...filter } = ctx.query;
        const offset = offsetOf(cursor);
        const { rows, count } = await searchAudit(filter, { limit, offset });
        return listResult(ctx, rows.map(presentEntry), { limit, offset, total: count });
      },
    );
  },
);
