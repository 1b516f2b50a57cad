import { z } from 'zod';
import { ID_RE, isCleanText, lineField, textField } from './common.ts';
import { blankIfMissing, idList } from './user.validator.ts';

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export const GROUP_ROLES = ['leader', 'member'] as const;
export type GroupRole = (typeof GROUP_ROLES)[number];

const TIME_RE = /^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$/;

/** "HH:MM" (the seconds a browser may add are dropped). */
export const timeField = z
  .string({ message: 'must be a time' })
  .trim()
  .regex(TIME_RE, 'must be a time such as 19:30')
  .transform((v) => v.slice(0, 5));

/**
 * A form field that JSON clients may also send as a number or as null: 3 reads as the form's "3",
 * null (or leaving it out) as the form's empty ''. The form's own rule then decides, so a page and
 * the API accept the same values and give the same messages.
 */
export function formText<S extends z.ZodType<unknown, string>>(
  field: S,
  message = 'must be text',
  numbers = true,
) {
  const json = numbers ? [z.string(), z.number(), z.null()] : [z.string(), z.null()];
  return z
    .union(json, { message })
    .optional()
    .transform((v) => (v === null || v === undefined ? '' : String(v)))
    .pipe(field);
}

export const groupSchema = z.object({
  name: blankIfMissing(lineField(120, 1)),
  description: formText(
    textField(2000).transform((v) => v || null),
    'must be text',
    false,
  ),
  meetingDay: formText(
    z
      .string()
      .trim()
      .refine((v) => v === '' || /^[0-6]$/.test(v), 'must be a day of the week')
      .transform((v) => (v === '' ? null : Number(v))),
    'must be a day of the week',
  ).meta({ description: '0 Sunday to 6 Saturday; null or empty for no regular day.' }),
  meetingTime: formText(
    z.union([z.literal('').transform(() => null), timeField], { message: 'must be a time such as 19:30' }),
    'must be a time such as 19:30',
    false,
  ).meta({ description: 'HH:MM; null or empty for none.' }),
});

export type GroupInput = z.output<typeof groupSchema>;

/** The group form as typed, to show again. */
export function groupFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    name: text(b.name),
    description: text(b.description),
    meetingDay: text(b.meetingDay),
    meetingTime: text(b.meetingTime),
  };
}

const searchText = z
  .string()
  .trim()
  .max(100)
  .refine((v) => isCleanText(v))
  .catch('');

/** The group list's query string; nonsense falls back to the default. */
export const groupFilterSchema = z.object({
  q: searchText,
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export type GroupFilter = z.output<typeof groupFilterSchema>;

/** The member picker's query string on a group's page. */
export const rosterSearchSchema = z.object({ q: searchText });

export const roleField = z.enum(GROUP_ROLES, { message: 'must be leader or member' });

/** POST /groups/:id/members */
export const rosterAddSchema = z.object({
  memberId: z.string({ message: 'choose a person' }).regex(ID_RE, 'choose a person'),
  role: z.preprocess((v) => v || 'member', roleField),
});

export type RosterAddInput = z.output<typeof rosterAddSchema>;

/** POST /groups/:id/members/:memberId/role */
export const rosterRoleSchema = z.object({ role: roleField });

/** Ids ticked in a list, each a possible record id. */
export const idListField = (max: number, message: string) =>
  z.preprocess(
    idList,
    z
      .array(z.string().regex(ID_RE, message))
      .max(max, `has more than ${max} entries`)
      .transform((ids) => [...new Set(ids)]),
  );
