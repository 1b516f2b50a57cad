/**
 * Giving statements by e-mail: one job per person. A request claims the people it mails
 * (statement_sendings, the record of what was sent) and queues their jobs in the same
 * transaction, so a double click or two requests at once queue each person once, and a rollback
 * queues nothing. The job sends the message itself (not through the mail job): "sent" is recorded
 * only once the mail server has accepted the message, in the same job, and the delivery is noted
 * by job id so that a job run again after a crash records the send instead of sending it twice.
 */
import { randomBytes } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { db } from '../../db/database.ts';
import { log } from '../../logger.ts';
import {
  type Claim,
  claim,
  claimHolds,
  giversOf,
  type MailingResult,
  mailStatement,
  recordSent,
  release,
  STATEMENT_JOB,
  statementFor,
} from '../../services/statements.ts';
import { defineJob, enqueue, PRIORITY } from '../queue.ts';

export interface StatementEmail extends Claim {
  year: number;
  /** The send a resend answered to (ISO time), or null for a first send. */
  sentUpTo: string | null;
  userId: string | null;
  /** The "E-mail all" this belongs to, whose progress the statements page shows; null for one person. */
  mailing: string | null;
}

const RETRY_LIMIT = 4;

export const statementEmailJob = defineJob<StatementEmail>({
  name: STATEMENT_JOB,
  description: "E-mails one person's giving statement of a year (one job per person of a mailing).",
  retryLimit: RETRY_LIMIT,
  retryDelay: 15,
  expireInSeconds: 5 * 60,
  priority: PRIORITY.bulk,
  async handler(job, ctx) {
    // Sent before, or the claim was given up and taken by another send since: nothing to do.
    if (!(await claimHolds(job, job.year))) return;
    const statement = await statementFor(job.memberId, job.year);
    if (!statement?.member.email?.trim() || !statement.lines.length) {
      // The member was removed, lost their address or their gifts of the year since it was queued.
      await release(job, job.year);
      return;
    }
    const [delivered] = await db().query('SELECT 1 FROM public.mail_deliveries WHERE job_id = $1', {
      bind: [ctx.id],
      type: QueryTypes.SELECT,
    });
    if (!delivered) {
      try {
        await mailStatement(statement, `<statement-${ctx.id}@steward.mail>`);
      } catch (err) {
        // After the last try the person counts as not sent: a later "E-mail all" queues them again.
        if (ctx.retryCount >= RETRY_LIMIT) await release(job, job.year);
        throw err;
      }
      await db().query(
        `INSERT INTO public.mail_deliveries (job_id, tenant_id, recipient, subject, sent_at)
         VALUES ($1, $2, $3, $4, now()) ON CONFLICT (job_id) DO NOTHING`,
        {
          bind: [
            ctx.id,
            ctx.tenant?.id ?? null,
            (statement.member.email ?? '').trim().slice(0, 320),
            `Giving statement ${job.year}`,
          ],
        },
      );
    }
    await recordSent(statement, job, job.userId);
  },
});

/** A new mailing's id: sortable by time, so the latest mailing of a year is the greatest. */
function newMailing(): string {
  return `${new Date().toISOString()}-${randomBytes(4).toString('hex')}`;
}

/**
 * Queues the statements of `year` of `memberIds` (each one job) for those who can be claimed now;
 * returns the claims queued. Runs in one transaction: the claims and the jobs exist together.
 */
export async function queueStatements(
  memberIds: string[],
  year: number,
  opts: { sentUpTo: Date | null; userId: string | null; mailing: string | null },
): Promise<Claim[]> {
  return db().transaction(async () => {
    const claims = await claim(memberIds, year, opts.sentUpTo);
    const round = opts.sentUpTo ? opts.sentUpTo.toISOString() : 'first';
    for (const c of claims)
      await enqueue<StatementEmail>(
        statementEmailJob,
        {
          ...c,
          year,
          sentUpTo: opts.sentUpTo?.toISOString() ?? null,
          userId: opts.userId,
          mailing: opts.mailing,
        },
        {
          // A one-person send goes before a mailing's bulk.
          priority: opts.mailing ? PRIORITY.bulk : PRIORITY.normal,
          singletonKey: `statement:${c.memberId}:${year}:${round}`,
        },
      );
    return claims;
  });
}

/**
 * "E-mail all" of `year`: queues every giver with an address who was not sent their statement yet
 * or, with `sentUpTo`, also those last sent no later than it (a resend of all). Returns at once;
 * the page follows the mailing's progress.
 */
export async function queueMailing(
  year: number,
  opts: { sentUpTo?: Date | null; userId: string | null },
): Promise<MailingResult> {
  const givers = await giversOf(year);
  const withEmail = givers.filter((g) => g.email).map((g) => g.memberId);
  const claims = await queueStatements(withEmail, year, {
    sentUpTo: opts.sentUpTo ?? null,
    userId: opts.userId,
    mailing: newMailing(),
  });
  log().info({ year, queued: claims.length }, 'giving statements queued');
  return {
    queued: claims.length,
    alreadySent: withEmail.length - claims.length,
    skipped: givers.length - withEmail.length,
  };
}
