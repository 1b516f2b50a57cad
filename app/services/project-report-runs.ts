import { QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';
import { inTransaction } from '../db/transaction-context.ts';
import { NotFound } from '../errors.ts';
import { Project } from '../models/project.ts';
import type { User } from '../models/user.ts';
import { sendMail } from './mailer.ts';
import { projectReport, reportCsv } from './project-report.ts';
import { fileStore } from './storage.ts';

/**
 * Project reports made by a job (app/queue/jobs/report.ts): a request is a `project_reports` row
 * the page shows the progress of; the worker builds the CSV, keeps it in the tenant's file store and,
 * when asked, e-mails it. Rows are read in the current tenant and always with their project.
 */

export type ReportStatus = 'queued' | 'running' | 'done' | 'failed';

export interface ReportRun {
  id: string;
  projectId: string;
  status: ReportStatus;
  mailTo: string | null;
  mailName: string | null;
  fileKey: string | null;
  fileName: string | null;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export const REPORT_STATUS_LABELS: Record<ReportStatus, string> = {
  queued: 'Queued',
  running: 'Being generated',
  done: 'Ready',
  failed: 'Failed',
};

const COLUMNS = `id::text AS id, project_id::text AS "projectId", status, mail_to AS "mailTo",
  mail_name AS "mailName", file_key AS "fileKey", file_name AS "fileName", error,
  created_at AS "createdAt", finished_at AS "finishedAt"`;

const ID_RE = /^[1-9][0-9]{0,17}$/;

/** Records a report request; the caller queues its job in the same transaction. */
export async function createReportRun(
  project: Project,
  user: User,
  mailTo: Pick<User, 'name' | 'email'> | null,
): Promise<ReportRun> {
  const [run] = await db().query<ReportRun>(
    `INSERT INTO project_reports (project_id, requested_by_id, mail_to, mail_name)
     VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    { bind: [project.id, user.id, mailTo?.email ?? null, mailTo?.name ?? null], type: QueryTypes.SELECT },
  );
  return run;
}

/** A report of `project` (already checked by the project policy), or 404. */
export async function loadReportRun(project: Project, rawId: unknown): Promise<ReportRun> {
  const id = String(rawId ?? '');
  if (!ID_RE.test(id)) throw new NotFound();
  const [run] = await db().query<ReportRun>(
    `SELECT ${COLUMNS} FROM project_reports WHERE id = $1 AND project_id = $2`,
    { bind: [id, project.id], type: QueryTypes.SELECT },
  );
  if (!run) throw new NotFound();
  return run;
}

/** The latest reports of a project, newest first. */
export function recentReportRuns(project: Project, limit = 5): Promise<ReportRun[]> {
  return db().query<ReportRun>(
    `SELECT ${COLUMNS} FROM project_reports WHERE project_id = $1 ORDER BY id DESC LIMIT $2`,
    { bind: [project.id, limit], type: QueryTypes.SELECT },
  );
}

async function runById(id: string): Promise<ReportRun | null> {
  if (!ID_RE.test(id)) return null;
  const [run] = await db().query<ReportRun>(`SELECT ${COLUMNS} FROM project_reports WHERE id = $1`, {
    bind: [id],
    type: QueryTypes.SELECT,
  });
  return run ?? null;
}

/**
 * Builds the report of run `id` (the worker calls this inside the run's tenant). A run already done
 * is left alone, so a retried job neither builds nor mails twice: the file, the `done` state and the
 * e-mail are committed together.
 */
export async function generateReport(id: string): Promise<void> {
  const run = await runById(id);
  if (!run || run.status === 'done') return;
  const project = await Project.findByPk(run.projectId);
  if (!project) return;
  await db().query(
    `UPDATE project_reports SET status = 'running', started_at = now(), finished_at = NULL WHERE id = $1`,
    {
      bind: [id],
    },
  );
  const report = await projectReport(project);
  const day = report.generatedAt.toISOString().slice(0, 10);
  const fileName = `${project.name} report ${day}.csv`.replace(/[^\p{L}\p{N} ._-]/gu, '_').slice(0, 200);
  const data = Buffer.from(reportCsv(report), 'utf8');
  const key = await fileStore.put('report', data);
  try {
    await inTransaction(db(), async () => {
      await db().query(
        `UPDATE project_reports SET status = 'done', file_key = $2, file_name = $3, error = NULL,
           finished_at = now() WHERE id = $1`,
        { bind: [id, key, fileName] },
      );
      if (run.mailTo)
        await sendMail(
          {
            to: run.mailTo,
            subject: `Report: ${project.name} (${day})`,
            template: 'project-report',
            locals: { name: run.mailName ?? '', report, day },
            attachments: [{ filename: fileName, content: data, contentType: 'text/csv; charset=utf-8' }],
          },
          { bulk: true },
        );
    });
  } catch (err) {
    await fileStore.remove(key);
    throw err;
  }
}

/** Marks run `id` as failed (its job's last try) or queued again (a retry follows). */
export async function reportTryFailed(id: string, err: unknown, final: boolean): Promise<void> {
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
  await db().query(
    `UPDATE project_reports SET status = $2, error = $3, finished_at = CASE WHEN $4 THEN now() END
      WHERE id = $1 AND status <> 'done'`,
    { bind: [id, final ? 'failed' : 'queued', message, final] },
  );
}
