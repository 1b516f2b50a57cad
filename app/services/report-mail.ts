import { db } from '../db/database.ts';
import { inTransaction } from '../db/transaction-context.ts';
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
