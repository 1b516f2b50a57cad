import type { Request, Response } from 'express';
import { ValidationError } from '../../errors.ts';
import type { Event } from '../../models/event.ts';
import { checklistFor, eventGroup, recordAttendance } from '../../services/attendance.ts';
import { memberName } from '../../services/groups.ts';
import { formatDateTime, tenantTimeZone } from '../../services/local-time.ts';
import { fieldErrors } from '../../validators/common.ts';
import { attendanceSchema } from '../../validators/event.validator.ts';
import { rosterSearchSchema } from '../../validators/group.validator.ts';
import { idList } from '../../validators/user.validator.ts';
import { kindLabels, loadManagedEvent } from '../events.controller.ts';
import { wordsOf } from '../groups.controller.ts';
import { signedInUser } from '../signed-in.ts';

/** Taking attendance: a checklist of the people who could be there, saved as one change. */

// GET /events/:id/attendance (?q= narrows the list)
export async function edit(req: Request, res: Response): Promise<void> {
  const event = await loadManagedEvent(req);
  await renderChecklist(req, res, event, 200, {});
}

// POST /events/:id/attendance
export async function update(req: Request, res: Response): Promise<void> {
  const event = await loadManagedEvent(req);
  const parsed = attendanceSchema.safeParse(req.body ?? {});
  if (!parsed.success) return renderChecklist(req, res, event, 422, messages(fieldErrors(parsed.error)));
  const change = await recordAttendance(signedInUser(req), event, parsed.data).catch(refusal);
  if ('fields' in change) return renderChecklist(req, res, event, 422, change.fields);
  req.flash('success', `Attendance saved: ${change.added} added, ${change.removed} removed.`);
  res.redirect(`/events/${event.id}`);
}

async function renderChecklist(
  req: Request,
  res: Response,
  event: Event,
  status: number,
  errors: Record<string, string>,
): Promise<void> {
  const posted = req.method === 'POST';
  const q = rosterSearchSchema.parse({ q: posted ? req.body?.q : req.query.q }).q;
  const [checklist, timeZone] = await Promise.all([checklistFor(event, q), tenantTimeZone()]);
  // A form shown again keeps what was ticked and typed.
  const ticked = posted ? new Set(idList(req.body?.present)) : checklist.present;
  const visitorCount =
    posted && typeof req.body?.visitorCount === 'string' ? req.body.visitorCount : String(event.visitorCount);
  res.status(status).render('events/attendance/edit', {
    title: `Attendance: ${event.title}`,
    event,
    group: eventGroup(event),
    ...checklist,
    ticked,
    visitorCount,
    q,
    errors,
    memberName,
    kindLabels: kindLabels(wordsOf(res), req),
    when: (d: Date) => formatDateTime(d, timeZone),
  });
}

/** List errors come keyed by position ("present.3"); the form shows one message per list. */
function messages(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([key, text]) => [key.split('.')[0], text]));
}

function refusal(err: unknown): ValidationError {
  if (err instanceof ValidationError) return err;
  throw err;
}
