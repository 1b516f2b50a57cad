import { QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';
import { inTransaction } from '../db/transaction-context.ts';
import { ValidationError } from '../errors.ts';
import type { Project } from '../models/project.ts';
import type { User } from '../models/user.ts';
import { reportJob } from '../queue/jobs/report.ts';
import { enqueue } from '../queue/queue.ts';
import { createReportRun, type ReportRun } from './project-report-runs.ts';

/**
 * Asks for a project report: records the request and queues its job in one transaction, so a
 * request is never lost and a rolled-back one queues nothing. With `mailTo`, the worker e-mails the
 * generated file to that person.
 */
export function requestReport(
  project: Project,
  user: User,
  mailTo: Pick<User, 'name' | 'email'> | null = null,
): Promise<ReportRun> {
  return inTransaction(db(), async () => {
    const run = await createReportRun(project, user, mailTo);
    await enqueue(reportJob, { reportId: run.id });
    return run;
  });
}

export interface ReportRecipient {
  id: string;
  name: string;
  email: string;
}

/** Whom the report may be e-mailed to: the reader and the project's active people. */
export async function reportRecipients(project: Project, reader: User): Promise<ReportRecipient[]> {
  const members = await db().query<ReportRecipient>(
    `SELECT u.id::text AS id, u.name, u.email
       FROM project_members m JOIN users u ON u.id = m.user_id AND u.active
      WHERE m.project_id = $1 AND u.id <> $2
      ORDER BY u.name, u.id`,
    { bind: [project.id, reader.id], type: QueryTypes.SELECT },
  );
  return [{ id: String(reader.id), name: reader.name, email: reader.email }, ...members];
}

/** The chosen recipient (the reader when none is chosen); anyone outside the project is refused. */
export async function reportRecipient(
  project: Project,
  reader: User,
  userId: string | null,
): Promise<ReportRecipient> {
  const people = await reportRecipients(project, reader);
  const found = people.find((p) => p.id === (userId ?? String(reader.id)));
  if (!found) throw new ValidationError({ userId: 'is not a person of this project' });
  return found;
}
