/**
 * Every job type, imported so that `defineJob` has run before the queue starts: a process that
 * starts the queue imports this module first. Add a job by adding its module here.
 */
import './jobs/mail.ts';
import './jobs/notice-delivery.ts';
import './jobs/statement-email.ts';
import './jobs/report.ts';
import './jobs/scheduled-run.ts';
