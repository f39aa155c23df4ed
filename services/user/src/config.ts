// The user service's configuration, from the environment (see the README's table).
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, DEFAULT_PORTS, readServiceConfig, refuseSandboxesInProduction, type SandboxInUse } from '../../platform/src/config';
import { IDENTITY_PROVIDER_NAMES, MAILER_NAMES, SANDBOX_RISKS } from './providers/providers';

const perHour = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

export function readUserConfig(env: NodeJS.ProcessEnv = process.env) {
  const { basics, own } = readServiceConfig(
    'user',
    DEFAULT_PORTS.user,
    {
      // PKCS#8 PEM of an Ed25519 key. Unset: a key is made at first start and kept in the database.
      USER_TOKEN_PRIVATE_KEY: z.string().includes('PRIVATE KEY', { error: 'must be a PKCS#8 PEM private key' }).optional(),
      USER_TOKEN_ISSUER: z.string().min(1).default('ecowheels-user'),
      USER_TOKEN_AUDIENCE: z.string().min(1).default('ecowheels-api'),
      USER_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(3600),
      // Failed logins allowed per account from one client address, and per client address, before
      // a lockout of this long; failures on an account from anywhere before it is slowed down.
      USER_LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: z.coerce.number().int().min(1).default(5),
      USER_LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
      USER_LOGIN_SLOW_DOWN_AFTER_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
      USER_LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(900),
      // Sign-ups allowed from one client address per hour (a campus or office shares one: not too few).
      USER_SIGNUPS_PER_ADDRESS_PER_HOUR: perHour(10),
      // Mail to one address per hour (each sign-up with it sends one), codes and identity checks per rider.
      USER_MAILS_PER_ADDRESS_PER_HOUR: perHour(3),
      USER_EMAIL_CODES_PER_RIDER_PER_HOUR: perHour(10),
      USER_IDENTITY_CHECKS_PER_RIDER_PER_HOUR: perHour(5),
      // How long the code mailed at sign-up confirms the address.
      USER_EMAIL_CODE_TTL_HOURS: z.coerce.number().positive().max(24 * 14).default(48),
      // Who checks identities and who sends mail; the sandboxes are refused with NODE_ENV=production.
      USER_IDENTITY_PROVIDER: z.enum(IDENTITY_PROVIDER_NAMES).default('sandbox'),
      USER_MAIL_PROVIDER: z.enum(MAILER_NAMES).default('sandbox'),
      USER_SMTP_URL: z.string().regex(/^smtps?:\/\/[^/\s]+/, 'must be an smtp:// or smtps:// URL, as smtps://user:password@host:465').optional(),
      USER_MAIL_FROM: z.string().min(3).default('EcoWheels <no-reply@ecowheels.example>'),
    },
    env,
  );
  if (own.USER_MAIL_PROVIDER === 'smtp' && !own.USER_SMTP_URL) {
    throw new ConfigError('invalid configuration:\n  USER_SMTP_URL: is required with USER_MAIL_PROVIDER=smtp (smtps://user:password@host:465)');
  }
  const sandboxes: SandboxInUse[] = [];
  if (own.USER_IDENTITY_PROVIDER === 'sandbox') sandboxes.push({ setting: 'USER_IDENTITY_PROVIDER=sandbox', risk: SANDBOX_RISKS.identity });
  if (own.USER_MAIL_PROVIDER === 'sandbox') sandboxes.push({ setting: 'USER_MAIL_PROVIDER=sandbox', risk: SANDBOX_RISKS.mail });
  return {
    ...basics,
    sandboxWarning: refuseSandboxesInProduction(sandboxes, env),
    token: {
      privateKeyPem: own.USER_TOKEN_PRIVATE_KEY,
      issuer: own.USER_TOKEN_ISSUER,
      audience: own.USER_TOKEN_AUDIENCE,
      ttlSeconds: own.USER_TOKEN_TTL_SECONDS,
    },
    signUp: {
      perAddressPerHour: own.USER_SIGNUPS_PER_ADDRESS_PER_HOUR,
      mailsPerAddressPerHour: own.USER_MAILS_PER_ADDRESS_PER_HOUR,
      codesPerRiderPerHour: own.USER_EMAIL_CODES_PER_RIDER_PER_HOUR,
      codeTtlMs: own.USER_EMAIL_CODE_TTL_HOURS * 3_600_000,
    },
    identityChecksPerRiderPerHour: own.USER_IDENTITY_CHECKS_PER_RIDER_PER_HOUR,
    identityProvider: own.USER_IDENTITY_PROVIDER,
    mailProvider: own.USER_MAIL_PROVIDER,
    mail: { from: own.USER_MAIL_FROM, smtpUrl: own.USER_SMTP_URL, sandboxFolder: join(dirname(basics.database.dataDir), 'user-sandbox-mail') },
    loginThrottle: {
      maxFailuresPerAccountAndAddress: own.USER_LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
      maxFailuresPerAddress: own.USER_LOGIN_MAX_FAILURES_PER_ADDRESS,
      slowDownAfterFailuresPerAccount: own.USER_LOGIN_SLOW_DOWN_AFTER_FAILURES_PER_ACCOUNT,
      lockoutSeconds: own.USER_LOGIN_LOCKOUT_SECONDS,
    },
  };
}
