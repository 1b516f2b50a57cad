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

/** Members with entries in `year` and their totals: those without an e-mail address first, then by name. */
export async function giversOf(year: number): Promise<Giver[]> {
  const rows = await db().query<{
    id: string;
    first_name: string;
    last_name: string;
    email: string | null;
    total: string;
    gifts: string;
  }>(
    `SELECT m.id, m.first_name, m.last_name, m.email,
            SUM(c.amount_cents)::bigint AS total, COUNT(*) AS gifts
       FROM contributions c JOIN members m ON m.id = c.member_id
      WHERE c.received_on BETWEEN $1::date AND $2::date
      GROUP BY m.id
      ORDER BY (COALESCE(btrim(m.email), '') = '') DESC, lower(m.last_name), lower(m.first_name), m.id`,
    { bind: yearBounds(year), type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    memberId: String(r.id),
    firstName: r.first_name,
    lastName: r.last_name,
    email: hasEmail(r.email) ? r.email : null,
    totalCents: String(r.total),
    gifts: Number(r.gifts),
  }));
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

/** E-mails the statement to the member and audits it. The caller checks that there is an address. */
export async function emailStatement(s: Statement): Promise<void> {
  const to = s.member.email?.trim() ?? '';
  await sendMail({
    to,
    subject: statementSubject(s),
    template: 'statement',
    locals: { statement: s, formatCents },
  });
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
}

export interface MailingResult {
  sent: number;
  /** Givers without an e-mail address. */
  skipped: number;
  failed: number;
}

/** E-mails every giver of `year` who has an address; one failure does not stop the others. */
export async function emailAllStatements(year: number): Promise<MailingResult> {
  const result: MailingResult = { sent: 0, skipped: 0, failed: 0 };
  for (const giver of await giversOf(year)) {
    if (!giver.email) {
      result.skipped += 1;
      continue;
    }
    const statement = await statementFor(giver.memberId, year);
    if (!statement) continue;
    try {
      await emailStatement(statement);
      result.sent += 1;
    } catch (err) {
      log().error({ err, memberId: giver.memberId }, 'giving statement e-mail failed');
      result.failed += 1;
    }
  }
  return result;
}
