import { log } from '../logger.ts';
import { Project } from '../models/project.ts';
import type { User } from '../models/user.ts';
import { type TenantRef, withTenant } from '../tenancy/context.ts';
import { sendMail } from './mailer.ts';
import { projectReport, reportCsv } from './project-report.ts';

/** Builds the project's report now and e-mails it to `to` as a CSV attachment (inside the tenant). */
export async function mailProjectReport(
  projectId: string,
  to: Pick<User, 'name' | 'email'>,
): Promise<boolean> {
  const project = await Project.findByPk(projectId);
  if (!project) return false;
  const report = await projectReport(project);
  const day = report.generatedAt.toISOString().slice(0, 10);
  await sendMail({
    to: to.email,
    subject: `Report: ${project.name} (${day})`,
    template: 'project-report',
    locals: { name: to.name, report, day },
    attachments: [
      {
        filename: `${project.name} report ${day}.csv`.replace(/[^\p{L}\p{N} ._-]/gu, '_'),
        content: reportCsv(report),
        contentType: 'text/csv; charset=utf-8',
      },
    ],
  });
  return true;
}

/**
 * Mails the report after the response has gone: building it reads every task of the project,
 * which a person should not wait for. A failure is logged; the person can ask again.
 */
export function mailProjectReportLater(tenant: TenantRef, projectId: string, to: User): void {
  const recipient = { name: to.name, email: to.email };
  setImmediate(() => {
    withTenant(tenant, () => mailProjectReport(projectId, recipient)).catch((err: unknown) =>
      log().error({ err, projectId }, 'the project report e-mail failed'),
    );
  });
}
