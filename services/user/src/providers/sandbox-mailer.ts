// The built-in mail provider: a sandbox that delivers nothing. Each message goes to the
// sandbox_mailbox table (where tests and the demo read it) and to the log, so a developer running
// `npm start` can copy a confirmation code from the output.
import type { Logger } from '../../../platform/src/logger';
import type { MailMessage, Mailer } from '../domain/mailer';

export interface SandboxMailbox {
  deliver(message: MailMessage): Promise<void>;
  mailTo(address: string): Promise<MailMessage[]>;
}

export class SandboxMailer implements Mailer {
  constructor(
    private readonly mailbox: SandboxMailbox,
    private readonly logger: Logger,
  ) {}

  async send(message: MailMessage): Promise<void> {
    await this.mailbox.deliver(message);
    this.logger.info({ to: message.to, subject: message.subject, text: message.text }, 'sandbox mail (not sent; kept in sandbox_mailbox)');
  }
}
