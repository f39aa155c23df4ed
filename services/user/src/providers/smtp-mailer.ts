// Mail through an SMTP server (a relay, or a provider's SMTP endpoint: SES, Postmark, Mailgun...),
// with nodemailer, over a small pool of kept-open connections. `smtps://` is TLS from the start;
// `smtp://` must upgrade with STARTTLS unless the server is on this machine (a local relay), so a
// password and the codes never cross a network in the clear.
import { createTransport } from 'nodemailer';
import { DomainError } from '../../../platform/src/errors';
import type { Logger } from '../../../platform/src/logger';
import type { MailMessage, Mailer } from '../domain/mailer';

export interface SmtpSettings {
  /** smtp://user:password@host:port or smtps://… (URL-encode the password's special characters). */
  url: string;
  /** The sender, as `EcoWheels <no-reply@example.com>`. */
  from: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export class SmtpMailer implements Mailer {
  private readonly transport;

  constructor(
    private readonly settings: SmtpSettings,
    private readonly logger: Logger,
  ) {
    const { protocol, hostname } = new URL(settings.url);
    this.transport = createTransport({
      url: settings.url,
      pool: true,
      maxConnections: 2,
      requireTLS: protocol === 'smtp:' && !LOOPBACK.has(hostname),
      // A sign-up waits for the server's answer: a server that does not answer fails it in seconds.
      connectionTimeout: 5000,
      greetingTimeout: 5000,
      socketTimeout: 10_000,
    });
  }

  async send(message: MailMessage): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.settings.from, ...message });
    } catch (error) {
      // The cause (the server's answer) is for the operator; the rider hears only to try again.
      this.logger.warn({ err: error }, 'the SMTP server did not take a message');
      throw new DomainError('UNAVAILABLE', 'the mail could not be sent just now; try again in a few minutes', { cause: error });
    }
  }

  close(): void {
    this.transport.close();
  }
}
