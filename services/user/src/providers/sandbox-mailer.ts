// The built-in mail provider: a sandbox that delivers nothing. Each message is written as a file
// (RFC 5322, `.eml`, readable by its owner only) into a folder beside the service's data, where a
// developer opens it (`npm start`: .data/user-sandbox-mail/, beside the database's folder, never in it) and tests read it. Nothing of it goes
// to the database or to the log: the confirmation codes are in the mail, and the service keeps only
// their hashes. With NODE_ENV=production the service refuses to start on it (config.ts).
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../platform/src/logger';
import type { MailMessage, Mailer } from '../domain/mailer';

/**
 * nodemailer composes the message as it would for SMTP, into a buffer instead of a connection. It
 * is loaded at the first mail, not at every start of the service: the sandbox's first mail pays the
 * load, and a broken install shows there, not at start (the sandbox runs only outside production).
 */
const composer = () =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at the first mail
  (require('nodemailer') as typeof import('nodemailer')).createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

export class SandboxMailer implements Mailer {
  private composer?: ReturnType<typeof composer>;

  constructor(
    private readonly folder: string,
    private readonly from: string,
    private readonly logger: Logger,
  ) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  }

  async send(message: MailMessage): Promise<void> {
    this.composer ??= composer();
    const { message: raw } = await this.composer.sendMail({ from: this.from, ...message });
    // Named by time, so a folder listing shows the newest last; never by the address.
    const file = join(this.folder, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`);
    writeFileSync(file, raw as Buffer, { mode: 0o600 });
    this.logger.info({ file }, 'sandbox mail written to a file, not sent');
  }
}
