import { z } from 'zod';
import { ID_RE, lineField } from './common.ts';
import { formText, idListField, timeField } from './group.validator.ts';
import { blankIfMissing } from './user.validator.ts';

export const EVENT_KINDS = ['service', 'group_meeting'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** "YYYY-MM-DD" of a day that exists on the calendar. */
export const dateField = z
  .string({ message: 'must be a date' })
  .trim()
  .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'must be a date such as 2026-12-06')
  .refine((v) => {
    const [y, m, d] = v.split('-').map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    return y >= 1900 && y <= 2200 && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
  }, 'must be a date such as 2026-12-06');

/** A head count; empty or missing is 0 (a number from a JSON client is read as its digits). */
const countField = formText(
  z
    .string()
    .trim()
    .transform((v) => v || '0')
    .refine((v) => /^[0-9]{1,6}$/.test(v), 'must be a whole number from 0 to 999999')
    .transform(Number),
  'must be a whole number',
);

/** The event form's fields, before the rules that tie them together (for partial updates). */
export const eventFields = z.object({
  title: blankIfMissing(lineField(160, 1)),
  kind: z.enum(EVENT_KINDS, { message: 'must be a service or a group meeting' }),
  groupId: formText(
    z
      .string()
      .trim()
      .refine((v) => v === '' || ID_RE.test(v), 'choose a group')
      .transform((v) => v || null),
    'choose a group',
  ).meta({ description: "The group's id for a group meeting; null or empty for a service." }),
  date: blankIfMissing(dateField).meta({ description: "YYYY-MM-DD on the tenant's clock." }),
  time: blankIfMissing(timeField).meta({ description: "HH:MM on the tenant's clock." }),
  visitorCount: countField,
});

export const eventSchema = eventFields
  .superRefine((v, ctx) => {
    if (v.kind === 'group_meeting' && !v.groupId)
      ctx.addIssue({ code: 'custom', path: ['groupId'], message: 'is required for a group meeting' });
  })
  // A service belongs to everyone, not to one group.
  .transform((v) => ({ ...v, groupId: v.kind === 'service' ? null : v.groupId }));

export type EventInput = z.output<typeof eventSchema>;

/** The event form as typed, to show again. */
export function eventFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    title: text(b.title),
    kind: text(b.kind),
    groupId: text(b.groupId),
    date: text(b.date),
    time: text(b.time),
    visitorCount: text(b.visitorCount),
  };
}

export const EVENT_WHEN = ['upcoming', 'past'] as const;

/** The event list's query string; nonsense falls back to the default. */
export const eventFilterSchema = z.object({
  when: z.enum(EVENT_WHEN).catch('upcoming'),
  group: z.string().regex(ID_RE).catch(''),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export type EventFilter = z.output<typeof eventFilterSchema>;

/**
 * POST /events/:id/attendance: who is ticked among the people the form showed. Without `shown`
 * the ticked people replace everyone recorded so far.
 */
export const attendanceSchema = z.object({
  present: idListField(5000, 'contains someone who is not on the list'),
  shown: idListField(5000, 'contains someone who is not on the list').optional(),
  visitorCount: countField,
});

export type AttendanceInput = z.output<typeof attendanceSchema>;

const memberIds = z
  .array(z.string().regex(ID_RE, 'contains someone who is not on the list'), {
    message: 'must be a list of member ids',
  })
  .max(5000, 'has more than 5000 entries')
  .transform((ids) => [...new Set(ids)]);

/**
 * PUT /api/v1/events/:id/attendance: the form's fields, but `present` must be sent and a missing
 * visitor count keeps the current one. A form leaves `present` out when nothing is ticked and always
 * sends the count; a JSON client that leaves either out has said nothing about it, and reading that
 * as "nobody" or "0" would wipe what was recorded.
 */
export const attendanceApiSchema = attendanceSchema.extend({
  present: memberIds.meta({ description: 'Ids of the people present.' }),
  shown: memberIds.optional().meta({ description: 'Ids of the people the checklist showed.' }),
  visitorCount: countField.optional().meta({ description: 'Left out: unchanged.' }),
});
