// The identity and mail providers the user service can use, by the names USER_IDENTITY_PROVIDER and
// USER_MAIL_PROVIDER give. A real provider adds its adapter here, beside the sandbox.
import type { Logger } from '../../../platform/src/logger';
import type { IdentityProvider } from '../domain/identity-provider';
import type { Mailer } from '../domain/mailer';
import { SandboxIdentityProvider } from './sandbox-identity-provider';
import { SandboxMailer, type SandboxMailbox } from './sandbox-mailer';

export const IDENTITY_PROVIDERS = {
  sandbox: (): IdentityProvider => new SandboxIdentityProvider(),
} as const;

export const MAILERS = {
  sandbox: (mailbox: SandboxMailbox, logger: Logger): Mailer => new SandboxMailer(mailbox, logger),
} as const;

export const IDENTITY_PROVIDER_NAMES = Object.keys(IDENTITY_PROVIDERS) as [keyof typeof IDENTITY_PROVIDERS, ...(keyof typeof IDENTITY_PROVIDERS)[]];
export const MAILER_NAMES = Object.keys(MAILERS) as [keyof typeof MAILERS, ...(keyof typeof MAILERS)[]];
