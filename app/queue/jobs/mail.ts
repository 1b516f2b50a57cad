/**
 * The mail job: one e-mail, sent by a worker. Each job's message is recorded in
 * `public.mail_deliveries` once the mail server accepted it, so a retry of a job whose worker died
 * after sending does not send it twice; its Message-ID is derived from the job, so even a message
 * sent in the instant before a crash carries the same id both times.
 */
import { QueryTypes } from 'sequelize';
import { db } from '../../db/database.ts';
import { deliverMail, type Mail, type MailOptions } from '../../services/mailer.ts';
import { defineJob, enqueue, PRIORITY } from '../queue.ts';

/** A Mail as a job carries it: attachments as base64 text (job payloads are JSON). */
interface QueuedMail extends Omit<Mail, 'attachments'> {
  attachments?: { filename: string; content: string; encoding?: 'base64'; contentType?: string }[];
}

export const mailJob = defineJob<QueuedMail>({
  name: 'mail',
  description: 'Sends one e-mail (invitations, resets, notices, statements, reports).',
  retryLimit: 8,
  retryDelay: 15,
  async handler(mail, ctx) {
    const [done] = await db().query('SELECT 1 FROM public.mail_deliveries WHERE job_id = $1', {
      bind: [ctx.id],
      type: QueryTypes.SELECT,
    });
    if (done) return;
    await deliverMail({
      ...mail,
      attachments: mail.attachments?.map((a) => ({
        filename: a.filename,
        content: a.encoding === 'base64' ? Buffer.from(a.content, 'base64') : a.content,
        ...(a.contentType ? { contentType: a.contentType } : {}),
      })),
      messageId: mail.messageId ?? `<${ctx.id}@steward.mail>`,
    });
    await db().query(
      `INSERT INTO public.mail_deliveries (job_id, tenant_id, recipient, subject, sent_at)
       VALUES ($1, $2, $3, $4, now()) ON CONFLICT (job_id) DO NOTHING`,
      { bind: [ctx.id, ctx.tenant?.id ?? null, mail.to.slice(0, 320), mail.subject.slice(0, 300)] },
    );
  },
});

export async function queueMail(mail: Mail, opts: MailOptions = {}): Promise<void> {
  const queued: QueuedMail = {
    ...mail,
    attachments: mail.attachments?.map((a) =>
      Buffer.isBuffer(a.content)
        ? {
            filename: a.filename,
            content: a.content.toString('base64'),
            encoding: 'base64' as const,
            contentType: a.contentType,
          }
        : { filename: a.filename, content: a.content, contentType: a.contentType },
    ),
  };
  await enqueue(mailJob, queued, { priority: opts.bulk ? PRIORITY.bulk : PRIORITY.normal });
}
