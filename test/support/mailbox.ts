import { type ParsedMail, simpleParser } from 'mailparser';
import { QueryTypes } from 'sequelize';
import { SMTPServer } from 'smtp-server';
import { db } from '../../app/db/database.ts';

/**
 * A real SMTP server for the tests: the app sends through nodemailer to it (SMTP_URL is set by
 * env.mjs), and tests read what arrived.
 */
class Mailbox {
  readonly messages: ParsedMail[] = [];
  private server: SMTPServer | null = null;

  async start(port: number): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.messages.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  clear(): void {
    this.messages.length = 0;
  }

  /** Messages sent to `address` (case-insensitive). */
  to(address: string): ParsedMail[] {
    const want = address.toLowerCase();
    return this.messages.filter((m) => {
      const list = Array.isArray(m.to) ? m.to : m.to ? [m.to] : [];
      return list.some((t) => t.value.some((v) => v.address?.toLowerCase() === want));
    });
  }

  /**
   * Waits until the job queue holds no mail waiting or being sent (e-mails go out through the
   * queue, a moment after the request that queued them), up to `ms`; then the messages are here.
   */
  async settled(ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const [row] = await db().query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'mail' AND state IN ('created', 'retry', 'active')",
        { type: QueryTypes.SELECT },
      );
      if (!row?.n) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`mail was still queued after ${ms} ms`);
  }

  /** Waits for a message to `address`, up to `ms`. */
  async waitFor(address: string, ms = 10_000): Promise<ParsedMail> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const found = this.to(address).at(-1);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`No e-mail to ${address} within ${ms} ms`);
  }
}

export const mailbox = new Mailbox();

/** The first link in a message's text whose path starts with `prefix`, as a path. */
export function linkIn(mail: ParsedMail, prefix: string): string {
  const urls = (mail.text ?? '').match(/https?:\/\/[^\s<>"]+/g) ?? [];
  const found = urls.map((u) => new URL(u)).find((u) => u.pathname.startsWith(prefix));
  if (!found) throw new Error(`No link starting with ${prefix} in: ${mail.text}`);
  return found.pathname + found.search;
}
