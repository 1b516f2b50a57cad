import { QueryTypes } from 'sequelize';
import { db } from '../db/database.ts';
import { Member } from '../models/index.ts';
import { Setting } from '../models/setting.ts';
import { currentTenant } from '../tenancy/context.ts';
import * as audit from './audit.ts';
import { deliverMail } from './mailer.ts';
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
 * A claim older than this counts as abandoned: the statement may be claimed again. A claim is
 * taken when the statement is queued and held until its job has sent it or given up (retries
 * included), so it covers a long queue; a job whose claim was taken over since does nothing.
 */
const CLAIM_TTL = "interval '2 hours'";

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

/**
 * The message itself, sent now (by the statement job). The caller checks that there is an address.
 * Its Message-ID comes from the job, so a message sent again after a crash carries the same id.
 */
export async function mailStatement(s: Statement, messageId: string): Promise<void> {
  await deliverMail({
    to: s.member.email?.trim() ?? '',
    subject: statementSubject(s),
    template: 'statement',
    locals: { statement: s, formatCents },
    messageId,
  });
}

/** A claim as the statement job carries it: exact to the microsecond, so it can be compared. */
export interface Claim {
  memberId: string;
  claimedAt: string;
}

/**
 * Claims the sending of the statements of `year` of `memberIds`, in one statement, so that of two
 * requests racing for a person exactly one wins (the loser waits on the row, then finds it
 * claimed). A claim is taken when nobody else holds a live one, the member has an address and
 * gifts that year, and the statement was never sent or last sent no later than `sentUpTo` (a
 * resend names the send it saw, so a second click of the same resend finds a newer send and
 * stops). The claim is held until the statement job has sent the message (or given up), and its
 * time is the job's token: a job whose claim was since given up and taken again does nothing.
 */
export async function claim(memberIds: string[], year: number, sentUpTo: Date | null): Promise<Claim[]> {
  if (!memberIds.length) return [];
  // In id order, so two requests claiming the same people wait on each other instead of deadlocking.
  const ids = [...new Set(memberIds)].sort((a, b) =>
    BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0,
  );
  const rows = await db().query<{ member_id: string; claimed_at: string }>(
    `INSERT INTO statement_sendings (member_id, year, claimed_at)
     SELECT m.id, $2, now() FROM members m
      WHERE m.id = ANY($1::bigint[]) AND COALESCE(btrim(m.email), '') <> ''
        AND EXISTS (SELECT 1 FROM contributions c
                     WHERE c.member_id = m.id AND c.received_on BETWEEN $3::date AND $4::date)
      ORDER BY m.id
     ON CONFLICT (member_id, year) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
      WHERE (statement_sendings.claimed_at IS NULL
             OR statement_sendings.claimed_at <= now() - ${CLAIM_TTL})
        AND (statement_sendings.sent_at IS NULL OR statement_sendings.sent_at <= $5::timestamptz)
     RETURNING member_id, to_char(claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS claimed_at`,
    { bind: [ids, year, ...yearBounds(year), sentUpTo], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ memberId: String(r.member_id), claimedAt: r.claimed_at }));
}

/** Whether `claim` of `year` still holds (nobody gave it up or took it over since). */
export async function claimHolds(c: Claim, year: number): Promise<boolean> {
  const [row] = await db().query(
    'SELECT 1 FROM statement_sendings WHERE member_id = $1 AND year = $2 AND claimed_at = $3::timestamptz',
    { bind: [c.memberId, year, c.claimedAt], type: QueryTypes.SELECT },
  );
  return Boolean(row);
}

/** Gives a claim up (nothing to send, or the last try failed): the statement counts as not sent. */
export async function release(c: Claim, year: number): Promise<void> {
  await db().query(
    'UPDATE statement_sendings SET claimed_at = NULL WHERE member_id = $1 AND year = $2 AND claimed_at = $3::timestamptz',
    { bind: [c.memberId, year, c.claimedAt] },
  );
}

/**
 * Records a send that went out under `c`, with its audit entry, in one transaction; nothing when
 * the claim was recorded already (a job run again after a crash).
 */
export async function recordSent(s: Statement, c: Claim, userId: string | null): Promise<void> {
  const to = s.member.email?.trim() ?? '';
  await db().transaction(async () => {
    // Whole milliseconds, so the time a page shows (and hands back on a resend) is exactly this.
    const updated = await db().query<{ member_id: string }>(
      `UPDATE statement_sendings
          SET sent_at = date_trunc('milliseconds', now()), email = $3, sent_by_user_id = $4,
              sends = sends + 1, claimed_at = NULL
        WHERE member_id = $1 AND year = $2 AND claimed_at = $5::timestamptz
        RETURNING member_id`,
      { bind: [s.member.id, s.year, to, userId, c.claimedAt], type: QueryTypes.SELECT },
    );
    if (!updated.length) return;
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

export interface MailingResult {
  /** Queued now: the worker sends them in a moment. */
  queued: number;
  /** Sent before (or queued by another request), so not queued again. */
  alreadySent: number;
  /** Givers without an e-mail address. */
  skipped: number;
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

/** The queue's name of the statement job (app/queue/jobs/statement-email.ts). */
export const STATEMENT_JOB = 'statement-email';

/** Progress of the latest mailing of a year: how many of its people are in each state. */
export interface MailingProgress {
  mailing: string;
  startedAt: Date;
  total: number;
  /** Waiting for a worker (first try or a retry after a failure). */
  queued: number;
  sending: number;
  /** Done: sent, or found sent by another mailing. */
  done: number;
  failed: { memberId: string; firstName: string; lastName: string; error: string }[];
  /** Nothing left to wait for. */
  finished: boolean;
}

/**
 * The progress of the latest "E-mail all" of `year` in this tenant, from the queue's own record of
 * its jobs (one per person, tagged with this tenant's id and the mailing); null when there was none
 * the queue still remembers (completed jobs are archived after half a day).
 */
export async function mailingProgress(year: number): Promise<MailingProgress | null> {
  const tenant = currentTenant();
  if (!tenant) return null;
  const rows = await db().query<{
    mailing: string;
    state: string;
    member_id: string;
    started_at: Date;
    error: string | null;
  }>(
    `WITH mine AS (
       SELECT j.state, j.created_on, j.output, j.data->'payload' AS p
         FROM pgboss.job j
        WHERE j.name = $1 AND j.data->>'tenantId' = $2 AND j.data->'payload'->>'year' = $3
          AND j.data->'payload'->>'mailing' IS NOT NULL
     ), latest AS (SELECT max(p->>'mailing') AS mailing FROM mine)
     SELECT m.p->>'mailing' AS mailing, m.state, m.p->>'memberId' AS member_id,
            min(m.created_on) OVER () AS started_at, m.output->>'message' AS error
       FROM mine m, latest l WHERE m.p->>'mailing' = l.mailing`,
    { bind: [STATEMENT_JOB, String(tenant.id), String(year)], type: QueryTypes.SELECT },
  );
  if (!rows.length) return null;
  const count = (states: string[]) => rows.filter((r) => states.includes(r.state)).length;
  const failedRows = rows.filter((r) => r.state === 'failed');
  const names = failedRows.length
    ? await Member.findAll({ where: { id: failedRows.map((r) => r.member_id) } })
    : [];
  const byId = new Map(names.map((m) => [String(m.id), m]));
  const failed = failedRows.map((r) => {
    const m = byId.get(String(r.member_id));
    return {
      memberId: String(r.member_id),
      firstName: m?.firstName ?? '',
      lastName: m?.lastName ?? '(removed)',
      error: (r.error ?? 'the mail server refused it').slice(0, 300),
    };
  });
  failed.sort((a, b) => a.lastName.localeCompare(b.lastName) || a.firstName.localeCompare(b.firstName));
  const queued = count(['created', 'retry']);
  const sending = count(['active']);
  return {
    mailing: rows[0].mailing,
    startedAt: rows[0].started_at,
    total: rows.length,
    queued,
    sending,
    done: count(['completed']),
    failed,
    finished: queued + sending === 0,
  };
}

/** Statement jobs of this tenant waiting or running (any mailing or one-person send). */
export async function statementJobsPending(): Promise<number> {
  const tenant = currentTenant();
  if (!tenant) return 0;
  const [row] = await db().query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pgboss.job
      WHERE name = $1 AND data->>'tenantId' = $2 AND state IN ('created', 'retry', 'active')`,
    { bind: [STATEMENT_JOB, String(tenant.id)], type: QueryTypes.SELECT },
  );
  return row?.n ?? 0;
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
