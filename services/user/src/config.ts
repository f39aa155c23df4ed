// The user service's configuration, from the environment (see the README's table).
import { z } from 'zod';
import { DEFAULT_PORTS, readServiceConfig } from '../../platform/src/config';

export function readUserConfig(env: NodeJS.ProcessEnv = process.env) {
  const { basics, own } = readServiceConfig(
    'user',
    DEFAULT_PORTS.user,
    {
      // PKCS#8 PEM of an Ed25519 key. Unset: a key is made at first start and kept in the database.
      USER_TOKEN_PRIVATE_KEY: z.string().includes('PRIVATE KEY', { message: 'must be a PKCS#8 PEM private key' }).optional(),
      USER_TOKEN_ISSUER: z.string().min(1).default('ecowheels-user'),
      USER_TOKEN_AUDIENCE: z.string().min(1).default('ecowheels-api'),
      USER_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(3600),
      // Failed logins allowed per account and per client address before a lockout of this long.
      USER_LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
      USER_LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
      USER_LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(900),
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
    loginThrottle: {
      maxFailuresPerAccount: own.USER_LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerAddress: own.USER_LOGIN_MAX_FAILURES_PER_ADDRESS,
      lockoutSeconds: own.USER_LOGIN_LOCKOUT_SECONDS,
    },
  };
}
