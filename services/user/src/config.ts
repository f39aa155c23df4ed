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
  };
}
