// The identity and mail providers the user service can use, by the names USER_IDENTITY_PROVIDER and
// USER_MAIL_PROVIDER give, and what each sandbox would do if it ran in production (config.ts refuses
// them there). A real provider adds its adapter here.
import type { Logger } from '../../../platform/src/logger';
import type { IdentityProvider } from '../domain/identity-provider';
import type { Mailer } from '../domain/mailer';
import { ManualIdentityReview } from './manual-identity-provider';
import { SandboxIdentityProvider } from './sandbox-identity-provider';
import { SandboxMailer } from './sandbox-mailer';

export interface MailSettings {
  from: string;
  /** Where the sandbox writes its mail. */
  sandboxFolder: string;
  /** Required for the smtp provider (config.ts checks). */
  smtpUrl?: string;
}

export const IDENTITY_PROVIDERS = {
  sandbox: (): IdentityProvider => new SandboxIdentityProvider(),
  manual: (): IdentityProvider => new ManualIdentityReview(),
} as const;

// The SMTP adapter (and nodemailer with it) is loaded only when it is the one chosen.
export const MAILERS = {
  sandbox: (settings: MailSettings, logger: Logger): Mailer => new SandboxMailer(settings.sandboxFolder, settings.from, logger),
  smtp: (settings: MailSettings, logger: Logger): Mailer =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when this provider is chosen
    new (require('./smtp-mailer') as typeof import('./smtp-mailer')).SmtpMailer({ url: settings.smtpUrl!, from: settings.from }, logger),
} as const;

/** Why each sandbox must not run in production, for the refusal at start. */
export const SANDBOX_RISKS = {
  identity: 'the sandbox identity provider approves anyone who sends its public test document (sandbox-passport-approved); choose USER_IDENTITY_PROVIDER=manual',
  mail: 'the sandbox mailer sends no mail (riders never get their codes); choose USER_MAIL_PROVIDER=smtp with USER_SMTP_URL',
};

export const IDENTITY_PROVIDER_NAMES = Object.keys(IDENTITY_PROVIDERS) as [keyof typeof IDENTITY_PROVIDERS, ...(keyof typeof IDENTITY_PROVIDERS)[]];
export const MAILER_NAMES = Object.keys(MAILERS) as [keyof typeof MAILERS, ...(keyof typeof MAILERS)[]];
