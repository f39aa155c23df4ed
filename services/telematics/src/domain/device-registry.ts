// Device credentials: each bike's IoT unit gets its own secret when it is provisioned; only its
// hash is stored. Checks are cached briefly, since a bike sends many readings per connection and
// the HTTPS door checks the key on every batch.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { alreadyExists } from '../../../platform/src/errors';

export interface DeviceStore {
  saveDevice(bikeId: string, secretHash: string, replace: boolean): Promise<{ saved: boolean; createdAt: Date }>;
  deviceSecretHashes(bikeIds: readonly string[]): Promise<Map<string, string>>;
}

const SECRET_PREFIX = 'ewd_';
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class DeviceRegistry {
  private readonly cache = new Map<string, { hash?: string; until: number }>();

  constructor(
    private readonly store: DeviceStore,
    /** How long a looked-up credential is trusted before it is read again (a rotation elsewhere). */
    private readonly cacheMs: number,
  ) {}

  /** Issues a bike's credential; the secret is returned only here. */
  async provision(bikeId: string, rotate: boolean): Promise<{ secret: string; createdAt: Date }> {
    const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const { saved, createdAt } = await this.store.saveDevice(bikeId, hashSecret(secret), rotate);
    if (!saved) throw alreadyExists(`bike ${bikeId} already has a device credential; set rotate to replace it`);
    this.cache.delete(bikeId);
    return { secret, createdAt };
  }

  /** True when the secret is the bike's current one. */
  async verify(bikeId: string, secret: string): Promise<boolean> {
    if (!UUID.test(bikeId) || !secret) return false;
    const stored = (await this.hashes([bikeId.toLowerCase()])).get(bikeId.toLowerCase());
    if (!stored) return false;
    return timingSafeEqual(Buffer.from(hashSecret(secret), 'hex'), Buffer.from(stored, 'hex'));
  }

  /** Which of these bikes have a credential: readings from any other bike are refused. */
  async provisioned(bikeIds: readonly string[]): Promise<Set<string>> {
    const hashes = await this.hashes(bikeIds);
    return new Set(bikeIds.filter((id) => hashes.has(id)));
  }

  private async hashes(bikeIds: readonly string[]): Promise<Map<string, string>> {
    const now = Date.now();
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(bikeIds)) {
      const cached = this.cache.get(id);
      if (cached && cached.until > now) {
        if (cached.hash) found.set(id, cached.hash);
      } else {
        missing.push(id);
      }
    }
    if (missing.length > 0) {
      const loaded = await this.store.deviceSecretHashes(missing);
      if (this.cache.size > 100_000) this.cache.clear(); // made-up ids must not grow memory for ever
      for (const id of missing) {
        const hash = loaded.get(id);
        // An unknown bike is remembered briefly, so a flood of made-up ids costs few queries.
        this.cache.set(id, { hash, until: now + (hash ? this.cacheMs : Math.min(this.cacheMs, 2000)) });
        if (hash) found.set(id, hash);
      }
    }
    return found;
  }
}
