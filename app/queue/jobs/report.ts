/**
 * The project report job: builds one requested report (a `project_reports` row of the job's tenant),
 * stores it and, when asked, e-mails it. The page that queued it shows its progress.
 */
import { generateReport, reportTryFailed } from '../../services/project-report-runs.ts';
import { defineJob } from '../queue.ts';

const RETRY_LIMIT = 3;

export const reportJob = defineJob<{ reportId: string }>({
  name: 'project-report',
  description: 'Generates a project report (CSV) and e-mails it when asked.',
  retryLimit: RETRY_LIMIT,
  retryDelay: 5,
  async handler({ reportId }, ctx) {
    try {
      await generateReport(String(reportId));
    } catch (err) {
      await reportTryFailed(String(reportId), err, ctx.retryCount >= RETRY_LIMIT);
      throw err;
    }
  },
});
