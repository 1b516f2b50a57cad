import { QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';
import { log } from '../logger.ts';
import { Member } from '../models/index.ts';
import { Setting } from '../models/setting.ts';
import { currentTenant } from '../tenancy/context.ts';
import * as audit from './audit.ts';
import { sendMail } from './mailer.ts';
import { formatCents } from './money.ts';

/**
 * Giving statements: what each member gave in a calendar year, straight from the ledger (reversals
 * included, so a statement always equals the sum of that member's entries of the year).
 */

export interface Giver {
  memberId: string;
  firstName: string;
  lastName: string;
  email: string | null;
  totalCents: string;
  gifts: number;
  /** When this year's statement last went out by e-mail, and to which address. */
  sentAt: Date | null;
  sentTo: string | null;
  /** A send is under way right now (claimed, not finished). */
  sending: boolean;
}

export interface StatementLine {
  id: string;
  receivedOn: string;
  fundName: string;
  method: string;
  reference: string | null;
  amountCents: string;
}

export interface Organisation {
  name: string;
  address: string;
  phone: string;
  email: string;
}

export interface Statement {
  member: Member;
  year: number;
  lines: StatementLine[];
  byFund: { name: string; totalCents: string }[];
  totalCents: string;
  organisation: Organisation;
}

function yearBounds(year: number): [string, string] {
  return [`${year}-01-01`, `${year}-12-31`];
}

const hasEmail = (email: string | null): email is string => Boolean(email?.trim());

/**
 * A claim older than this counts as abandoned (the process died mid-send): the statement may be
 * claimed again. One send takes seconds; nodemailer gives up on a server long before this.
 */
const CLAIM_TTL = "interval '15 minutes'";

/** Members with entries in `year` and their totals: those without an e-mail address first, then by name. */
export async function giversOf(year: number): Promise<Giver[]> {
  const rows = await db().query<{
    id: string;
    first_name: string;
    last_name: string;
    email: string | null;
    total: string;
    gifts: string;
    sent_at: Date | null;
    sent_to: string | null;
    sending: boolean;
  }>(
    `SELECT m.id, m.first_name, m.last_name, m.email,
            SUM(c.amount_cents)::bigint AS total, COUNT(*) AS gifts,
            s.sent_at, s.email AS sent_to,
            COALESCE(s.claimed_at > now() - ${CLAIM_TTL}, false) AS sending
       FROM contributions c JOIN members m ON m.id = c.member_id
       LEFT JOIN statement_sendings s ON s.member_id = m.id AND s.year = $3
      WHERE c.received_on BETWEEN $1::date AND $2::date
      GROUP BY m.id, s.id
      ORDER BY (COALESCE(btrim(m.email), '') = '') DESC, lower(m.last_name), lower(m.first_name), m.id`,
    { bind: [...yearBounds(year), year], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    memberId: String(r.id),
    firstName: r.first_name,
    lastName: r.last_name,
    email: hasEmail(r.email) ? r.email : null,
    totalCents: String(r.total),
    gifts: Number(r.gifts),
    sentAt: r.sent_at,
    sentTo: r.sent_to,
    sending: r.sending,
  }));
}

/** The e-mailing of one member's statement of `year`, when there has been one. */
export async function sendingOf(
  memberId: string,
  year: number,
): Promise<{ sentAt: Date | null; sentTo: string | null; sending: boolean } | null> {
  const [row] = await db().query<{ sent_at: Date | null; email: string | null; sending: boolean }>(
    `SELECT sent_at, email, COALESCE(claimed_at > now() - ${CLAIM_TTL}, false) AS sending
       FROM statement_sendings WHERE member_id = $1 AND year = $2`,
    { bind: [memberId, year], type: QueryTypes.SELECT },
  );
  return row ? { sentAt: row.sent_at, sentTo: row.email, sending: row.sending } : null;
}

/** The tenant's name and contact details, for the statement's letterhead. */
export async function organisation(): Promise<Organisation> {
  const settings = await Setting.all();
  return {
    name: currentTenant()?.name ?? '',
    address: settings.address ?? '',
    phone: settings.phone ?? '',
    email: settings.contact_email ?? '',
  };
}

/** The statement of one member for one year; null when the tenant has no such member. */
export async function statementFor(memberId: string, year: number): Promise<Statement | null> {
  const member = await Member.findByPk(memberId);
  if (!member) return null;
  const bind = [memberId, ...yearBounds(year)];
  const [lines, byFund, [sum], org] = await Promise.all([
    db().query<{
      id: string;
      received_on: string;
      fund_name: string;
      method: string;
      reference: string | null;
      amount_cents: string;
    }>(
      `SELECT c.id, to_char(c.received_on, 'YYYY-MM-DD') AS received_on, f.name AS fund_name, c.method,
              c.reference, c.amount_cents
         FROM contributions c JOIN funds f ON f.id = c.fund_id
        WHERE c.member_id = $1 AND c.received_on BETWEEN $2::date AND $3::date
        ORDER BY c.received_on, c.id`,
      { bind, type: QueryTypes.SELECT },
    ),
    db().query<{ name: string; total: string }>(
      `SELECT f.name, SUM(c.amount_cents)::bigint AS total
         FROM contributions c JOIN funds f ON f.id = c.fund_id
        WHERE c.member_id = $1 AND c.received_on BETWEEN $2::date AND $3::date
        GROUP BY f.id, f.name ORDER BY lower(f.name), f.id`,
      { bind, type: QueryTypes.SELECT },
    ),
    db().query<{ total: string }>(
      `SELECT COALESCE(SUM(amount_cents), 0)::bigint AS total FROM contributions
        WHERE member_id = $1 AND received_on BETWEEN $2::date AND $3::date`,
      { bind, type: QueryTypes.SELECT },
    ),
    organisation(),
  ]);
  return {
    member,
    year,
    lines: lines.map((l) => ({
      id: String(l.id),
      receivedOn: l.received_on,
      fundName: l.fund_name,
      method: l.method,
      reference: l.reference,
      amountCents: String(l.amount_cents),
    })),
    byFund: byFund.map((f) => ({ name: f.name, totalCents: String(f.total) })),
    totalCents: String(sum?.total ?? '0'),
    organisation: org,
  };
}

export function statementSubject(s: Statement): string {
  return `Your ${s.year} giving statement from ${s.organisation.name}`;
}

/** The message itself. The caller checks that there is an address. */
async function mailStatement(s: Statement): Promise<void> {
  await sendMail({
    to: s.member.email?.trim() ?? '',
    subject: statementSubject(s),
    template: 'statement',
    locals: { statement: s, formatCents },
  });
}

/**
 * Claims the sending of one member's statement of `year`, in one statement, so that of two
 * requests racing for it exactly one wins (the loser waits on the row, then finds it claimed).
 * A claim is taken when nobody else holds a live one, the member has an address and gifts that
 * year, and the statement was never sent or last sent no later than `sentUpTo` (a resend names the
 * send it saw, so a second click of the same resend finds a newer send and stops).
 */
async function claim(memberId: string, year: number, sentUpTo: Date | null): Promise<boolean> {
  const rows = await db().query<{ member_id: string }>(
    `INSERT INTO statement_sendings (member_id, year, claimed_at)
     SELECT m.id, $2, now() FROM members m
      WHERE m.id = $1 AND COALESCE(btrim(m.email), '') <> ''
        AND EXISTS (SELECT 1 FROM contributions c
                     WHERE c.member_id = m.id AND c.received_on BETWEEN $3::date AND $4::date)
     ON CONFLICT (member_id, year) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
      WHERE (statement_sendings.claimed_at IS NULL
             OR statement_sendings.claimed_at <= now() - ${CLAIM_TTL})
        AND (statement_sendings.sent_at IS NULL OR statement_sendings.sent_at <= $5::timestamptz)
     RETURNING member_id`,
    { bind: [memberId, year, ...yearBounds(year), sentUpTo], type: QueryTypes.SELECT },
  );
  return rows.length > 0;
}

/** Gives a claim up after a failed send: the statement counts as not sent (again) for a later run. */
async function release(memberId: string, year: number): Promise<void> {
  await db().query('UPDATE statement_sendings SET claimed_at = NULL WHERE member_id = $1 AND year = $2', {
    bind: [memberId, year],
  });
}

/** Records a send that went out, with its audit entry, in one transaction. */
async function recordSent(s: Statement, userId: string | null): Promise<void> {
  const to = s.member.email?.trim() ?? '';
  await db().transaction(async () => {
    // Whole milliseconds, so the time a page shows (and hands back on a resend) is exactly this.
    await db().query(
      `UPDATE statement_sendings
          SET sent_at = date_trunc('milliseconds', now()), email = $3, sent_by_user_id = $4,
              sends = sends + 1, claimed_at = NULL
        WHERE member_id = $1 AND year = $2`,
      { bind: [s.member.id, s.year, to, userId] },
    );
    await audit.record({
      action: 'statement.emailed',
      recordType: 'member',
      recordId: String(s.member.id),
      recordLabel: `${s.member.firstName} ${s.member.lastName}`,
      changes: {
        year: { from: null, to: s.year },
        to: { from: null, to },
        totalCents: { from: null, to: s.totalCents },
      },
    });
  });
}

export type SendOutcome = 'sent' | 'failed' | 'taken';

/**
 * E-mails one member's statement of `year` unless it was sent already (after `sentUpTo`, or at
 * all when that is null) or is being sent right now ('taken'). No transaction is held while the
 * message goes out.
 */
export async function sendStatement(
  memberId: string,
  year: number,
  opts: { sentUpTo: Date | null; userId: string | null },
): Promise<SendOutcome> {
  if (!(await claim(memberId, year, opts.sentUpTo))) return 'taken';
  let statement: Statement | null = null;
  try {
    statement = await statementFor(memberId, year);
    if (!statement) throw new Error('the member is gone');
    await mailStatement(statement);
  } catch (err) {
    log().error({ err, memberId, year }, 'giving statement e-mail failed');
    await release(memberId, year).catch((releaseErr: unknown) =>
      log().error({ err: releaseErr, memberId, year }, 'could not release a statement claim'),
    );
    return 'failed';
  }
  // The message went out. Should the record fail, the claim is left to expire rather than released,
  // so nothing sends it again before CLAIM_TTL has passed.
  await recordSent(statement, opts.userId).catch((err: unknown) =>
    log().error({ err, memberId, year }, 'a sent giving statement could not be recorded'),
  );
  return 'sent';
}

export interface MailingResult {
  sent: number;
  /** Sent before (or being sent by another request), so not sent again. */
  alreadySent: number;
  /** Givers without an e-mail address. */
  skipped: number;
  failed: number;
}

/** What a mailing of `year` would do now, for its confirmation. */
export interface MailingPlan {
  toSend: number;
  alreadySent: number;
  sending: number;
  withoutEmail: number;
  /** The latest send of the year: a resend of all covers the sends up to this one. */
  lastSentAt: Date | null;
}

export function mailingPlan(givers: Giver[]): MailingPlan {
  const withEmail = givers.filter((g) => g.email);
  const sentTimes = withEmail.flatMap((g) => (g.sentAt ? [g.sentAt.getTime()] : []));
  return {
    toSend: withEmail.filter((g) => !g.sentAt && !g.sending).length,
    alreadySent: withEmail.filter((g) => g.sentAt).length,
    sending: withEmail.filter((g) => !g.sentAt && g.sending).length,
    withoutEmail: givers.length - withEmail.length,
    lastSentAt: sentTimes.length ? new Date(Math.max(...sentTimes)) : null,
  };
}

/**
 * E-mails every giver of `year` who has an address and was not sent their statement yet, or, with
 * `sentUpTo`, also those last sent no later than it (a resend of all). Each person is claimed just
 * before their message, so a second click or a concurrent run sends nobody twice; one failure
 * does not stop the others.
 */
export async function emailAllStatements(
  year: number,
  opts: { sentUpTo?: Date | null; userId: string | null },
): Promise<MailingResult> {
  const sentUpTo = opts.sentUpTo ?? null;
  const result: MailingResult = { sent: 0, alreadySent: 0, skipped: 0, failed: 0 };
  for (const giver of await giversOf(year)) {
    if (!giver.email) {
      result.skipped += 1;
      continue;
    }
    const outcome = await sendStatement(giver.memberId, year, { sentUpTo, userId: opts.userId });
    if (outcome === 'sent') result.sent += 1;
    else if (outcome === 'failed') result.failed += 1;
    else result.alreadySent += 1;
  }
  return result;
}

/** When a statement went out by e-mail, as the API shows it. */
function presentSending(s: { sentAt: Date | null; sentTo: string | null; sending: boolean } | null) {
  return {
    sentAt: s?.sentAt ? s.sentAt.toISOString() : null,
    sentTo: s?.sentTo ?? null,
    sending: s?.sending ?? false,
  };
}

/** One giver of the year as the API lists them: amounts in integer cents. */
export function presentGiver(g: Giver) {
  return {
    memberId: g.memberId,
    firstName: g.firstName,
    lastName: g.lastName,
    email: g.email,
    totalCents: Number(g.totalCents),
    gifts: g.gifts,
    emailed: presentSending(g),
  };
}

/** One person's statement of the year as the API shows it, with when it was last e-mailed. */
export function presentStatement(
  s: Statement,
  sending: { sentAt: Date | null; sentTo: string | null; sending: boolean } | null,
) {
  return {
    member: {
      id: String(s.member.id),
      firstName: s.member.firstName,
      lastName: s.member.lastName,
      email: s.member.email?.trim() || null,
      address: s.member.address ?? null,
    },
    year: s.year,
    lines: s.lines.map((l) => ({ ...l, amountCents: Number(l.amountCents) })),
    byFund: s.byFund.map((f) => ({ name: f.name, totalCents: Number(f.totalCents) })),
    totalCents: Number(s.totalCents),
    organisation: s.organisation,
    emailed: presentSending(sending),
  };
}
