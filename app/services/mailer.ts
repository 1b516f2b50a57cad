import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ejs from 'ejs';
import nodemailer, { type Transporter } from 'nodemailer';
import { config } from '../../config/index.ts';
import { log } from '../logger.ts';
import { queueMail } from '../queue/jobs/mail.ts';
import { currentTenant } from '../tenancy/context.ts';

export interface Mail {
  to: string;
  subject: string;
  /** A template under views/emails/: `<template>.html.ejs` and `<template>.text.ejs`. */
  template: string;
  locals?: Record<string, unknown>;
  /** Files sent with the message, e.g. a report as CSV. */
  attachments?: { filename: string; content: string | Buffer; contentType?: string }[];
  /** A Message-ID of the caller's, kept the same when a message is sent again. */
  messageId?: string;
}

export interface MailOptions {
  /** Part of a mass mailing (statements, reports): runs after one-to-one mail such as resets. */
  bulk?: boolean;
}

/**
 * Queues an e-mail (see app/queue/jobs/mail.ts): inside a transaction it is queued by that
 * transaction, so a rolled-back change sends nothing. The worker sends it, retrying a failing mail
 * server with backoff.
 */
export async function sendMail(mail: Mail, opts: MailOptions = {}): Promise<void> {
  await queueMail(mail, opts);
}

let transport: Transporter | null = null;

function getTransport(): Transporter {
  transport ??= config.SMTP_URL
    ? nodemailer.createTransport(config.SMTP_URL)
    : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return transport;
}

async function render(
  template: string,
  locals: Record<string, unknown>,
): Promise<{ html: string; text: string }> {
  const dir = path.join(config.root, 'views', 'emails');
  const [html, text] = await Promise.all([
    ejs.renderFile(path.join(dir, `${template}.html.ejs`), locals, { async: true }),
    ejs.renderFile(path.join(dir, `${template}.text.ejs`), locals, { async: true }),
  ]);
  return { html, text };
}

/**
 * Sends an e-mail from a template now, marked with its tenant. With SMTP_URL unset, the message is
 * written to DATA_DIR/outbox/<tenant schema or "platform">/ and logged, so nothing is lost. Called
 * by the mail job (app/queue/jobs/mail.ts); everything else queues mail with `sendMail`.
 */
export async function deliverMail(mail: Mail): Promise<void> {
  const tenant = currentTenant();
  const { html, text } = await render(mail.template, { appName: 'Steward', tenant, ...mail.locals });
  const message = {
    from: config.MAIL_FROM,
    to: mail.to,
    subject: mail.subject,
    html,
    text,
    headers: { 'X-Steward-Tenant': tenant?.slug ?? 'platform' },
    ...(mail.attachments ? { attachments: mail.attachments } : {}),
    ...(mail.messageId ? { messageId: mail.messageId } : {}),
  };
  const info = await getTransport().sendMail(message);
  if (!config.SMTP_URL) {
    const dir = path.join(config.dataDir, 'outbox', tenant?.schema ?? 'platform');
    await mkdir(dir, { recursive: true });
    const file = path.join(
      dir,
      `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.eml`,
    );
    await writeFile(file, info.message as Buffer);
    log().info({ to: mail.to, subject: mail.subject, file }, 'e-mail written to the outbox');
    return;
  }
  log().info({ to: mail.to, subject: mail.subject, messageId: info.messageId }, 'e-mail sent');
}
