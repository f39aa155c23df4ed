// What the user service needs from an email provider: one message, sent. A real provider (SES,
// Postmark, SMTP) plugs in here; the built-in one is the sandbox (providers/sandbox-mailer.ts),
// which keeps every message in a mailbox table instead of sending it.
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** Resolves once the provider has accepted the message; rejects with UNAVAILABLE to retry later. */
  send(message: MailMessage): Promise<void>;
}
