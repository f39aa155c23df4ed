// The user service's configuration, from the environment (see the README's table).
import { z } from 'zod';
import { DEFAULT_PORTS, readServiceConfig } from '../../platform/src/config';
import { IDENTITY_PROVIDER_NAMES, MAILER_NAMES } from './providers/providers';

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
      // Failed logins allowed per account and per client address before a lockout of this long.
      USER_LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
      USER_LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
      USER_LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(900),
      // Sign-ups allowed from one client address per hour (a campus or office shares one: not too few).
      USER_SIGNUPS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(10),
      // How long the code mailed at sign-up confirms the address.
      USER_EMAIL_CODE_TTL_HOURS: z.coerce.number().positive().max(24 * 14).default(48),
      // Who checks identities and who sends mail: the built-in sandboxes, until a real provider is added.
      USER_IDENTITY_PROVIDER: z.enum(IDENTITY_PROVIDER_NAMES).default('sandbox'),
      USER_MAIL_PROVIDER: z.enum(MAILER_NAMES).default('sandbox'),
    },
    env,
  );
  return {
    ...basics,
    token: {
      privateKeyPem: own.USER_TOKEN_PRIVATE_KEY,
      issuer: own.USER_TOKEN_ISSUER,
      audience: own.USER_TOKEN_AUDIENCE,
      ttlSeconds: own.USER_TOKEN_TTL_SECONDS,
    },
    signUp: { perAddressPerHour: own.USER_SIGNUPS_PER_ADDRESS_PER_HOUR, codeTtlMs: own.USER_EMAIL_CODE_TTL_HOURS * 3_600_000 },
    identityProvider: own.USER_IDENTITY_PROVIDER,
    mailProvider: own.USER_MAIL_PROVIDER,
    loginThrottle: {
      maxFailuresPerAccount: own.USER_LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerAddress: own.USER_LOGIN_MAX_FAILURES_PER_ADDRESS,
      lockoutSeconds: own.USER_LOGIN_LOCKOUT_SECONDS,
    },
  };
}
