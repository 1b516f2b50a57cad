import { z } from 'zod';
import { PROJECT_STATUSES, type ProjectStatus } from '../models/project.ts';
import { PROJECT_ROLES, type ProjectRole } from '../models/project-member.ts';
import { ID_RE, lineField, textField } from './common.ts';
import { blankIfMissing } from './user.validator.ts';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const PROJECT_STATUS_LABELS: Record<ProjectStatus, string> = {
  planning: 'Planning',
  active: 'Active',
  on_hold: 'On hold',
  completed: 'Completed',
  archived: 'Archived',
};

export const PROJECT_ROLE_LABELS: Record<ProjectRole, string> = {
  member: 'Member (works on tasks)',
  viewer: 'Viewer (reads only)',
};

/** True for a real calendar day written "YYYY-MM-DD" (no 31 February). */
export function isCalendarDate(v: string): boolean {
  const m = DATE_RE.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.toISOString().slice(0, 10) === v && Number(m[1]) >= 1900;
}

/** An optional "YYYY-MM-DD"; empty is stored as NULL. */
export const optionalDate = blankIfMissing(
  z
    .string({ message: 'must be a date' })
    .trim()
    .refine((v) => v === '' || isCalendarDate(v), 'must be a date such as 2026-12-31')
    .transform((v) => v || null),
);

/** A required record id chosen in a select. */
export const idChoice = (message: string) =>
  blankIfMissing(z.string({ message }).trim().regex(ID_RE, message));

/** The project's fields, each checked alone (the API documents a partial change from it). */
export const projectFields = z.object({
  name: blankIfMissing(lineField(160, 1)),
  description: blankIfMissing(textField(5000).transform((v) => v || null)),
  status: z.enum(PROJECT_STATUSES, { message: 'must be one of the listed statuses' }),
  startsOn: optionalDate,
  endsOn: optionalDate,
  ownerId: idChoice('choose the owner'),
});

export const projectSchema = projectFields.superRefine((p, ctx) => {
  if (p.startsOn && p.endsOn && p.endsOn < p.startsOn)
    ctx.addIssue({ code: 'custom', path: ['endsOn'], message: 'must be on or after the start date' });
});

export type ProjectInput = z.output<typeof projectSchema>;

/** The project form as typed, to show again. */
export function projectFormValues(body: unknown): Record<string, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    name: text(b.name),
    description: text(b.description),
    status: text(b.status),
    startsOn: text(b.startsOn),
    endsOn: text(b.endsOn),
    ownerId: text(b.ownerId),
  };
}

export const projectRoleField = z.enum(PROJECT_ROLES, { message: 'must be member or viewer' });

/** POST /projects/:id/members */
export const memberAddSchema = z.object({
  userId: idChoice('choose a person'),
  role: projectRoleField,
});

/** POST /projects/:id/members/:userId/role */
export const memberRoleSchema = z.object({ role: projectRoleField });

/** The project list's query string; nonsense falls back to the default. */
export const projectFilterSchema = z.object({
  status: z.enum(['', ...PROJECT_STATUSES]).catch(''),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export type ProjectFilter = z.output<typeof projectFilterSchema>;
