// Hashing of the secrets the user service keeps: rider passwords (scrypt, salted, slow on purpose),
// and the random ones, API keys and the codes that confirm an address (SHA-256: 128 random bits or
// more need no slow hash).
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const KEY_LENGTH = 32;

/** "scrypt$<salt hex>$<hash hex>" */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, saltHex, hashHex] = stored.split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex) return false;
  const hash = await scrypt(password, Buffer.from(saltHex, 'hex'), KEY_LENGTH);
  return timingSafeEqual(hash, Buffer.from(hashHex, 'hex'));
}

const API_KEY_PREFIX = 'ewk_';

export interface NewApiKey {
  key: string;
  /** Enough of the key to recognise it in logs and lists. */
  prefix: string;
  hash: string;
}

export function generateApiKey(): NewApiKey {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, API_KEY_PREFIX.length + 6), hash: hashRandomSecret(key) };
}

/** A code to confirm an address (128 random bits, URL-safe), and the hash that is kept of it. */
export function generateEmailCode(): { code: string; hash: string } {
  const code = randomBytes(16).toString('base64url');
  return { code, hash: hashRandomSecret(code) };
}

/** For a secret too random to guess (an API key, a code): a fast hash is enough. */
export const hashRandomSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
