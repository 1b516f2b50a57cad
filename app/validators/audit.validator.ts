import { z } from 'zod';

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
 * The audit page's query string. A value that makes no
 * sense falls back to "any" rather than failing the page.
 */
export const auditFilterSchema = z.object({
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

export type AuditFilter = z.output<typeof auditFilterSchema>;
