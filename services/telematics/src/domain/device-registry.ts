// Device credentials: each bike's IoT unit gets its own secret when it is provisioned; only its
// hash is stored. On the production bus (NATS in operator mode) the registry also mints the bike's
// NATS user through a port (DeviceBusIssuer), and revoking a bike, or rotating its credential, puts
// the old NATS user on the account's revocation list, which the issuer pushes to every server.
//
// Checks are cached, since a bike sends many readings per connection and the HTTPS door checks the
// key on every batch. Known bikes and unknown ids live in two bounded LRU caches: a spray of
// made-up ids fills only the short-lived negative one, so it can neither evict a real bike's entry
// nor cost more than one query per id per negative window.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { alreadyExists, DomainError, notFound } from '../../../platform/src/errors';
import type { Logger } from '../../../platform/src/logger';

/** A bike's user on the bus: its public key, and when its JWT runs out. */
export interface BusUser {
  key: string;
  expiresAt: Date;
}

/** What a bike needs to publish on the bus: its user's JWT and where and how to connect. */
export interface BusCredential extends BusUser {
  /** The user JWT: the MQTT password on NATS's listener; a bearer secret. */
  jwt: string;
  /** The MQTT topic it may publish to, and no other. */
  topic: string;
  /** The MQTT client id it should use. */
  clientId: string;
  /** Where bikes connect (mqtts://...), when the deployment says. */
  url?: string;
}

/** The port to the bus's authority (NATS operator mode): mints bikes' users, publishes revocations. */
export interface DeviceBusIssuer {
  mint(bikeId: string): Promise<BusCredential>;
  /** Makes this the account's whole revocation list on every server (no reload). */
  publishRevocations(revoked: readonly BusUser[]): Promise<void>;
}

export interface DeviceStore {
  /** Stores a credential; with `replace`, over an existing one, whose bus user is then recorded as revoked. */
  saveDevice(
    device: { bikeId: string; secretHash: string; busUser?: BusUser },
    replace: boolean,
  ): Promise<{ saved: boolean; createdAt: Date; replaced?: BusUser }>;
  /** The secret hashes of these bikes, leaving out revoked ones. */
  deviceSecretHashes(bikeIds: readonly string[]): Promise<Map<string, string>>;
  /** Marks the bike revoked and records its bus user as revoked; undefined when it has no credential. */
  revokeDevice(bikeId: string): Promise<{ revokedAt: Date; busUser?: BusUser } | undefined>;
  /** Runs fn with the bus users revoked and not yet expired, one caller at a time across replicas. */
  withBusRevocations<T>(fn: (revoked: BusUser[]) => Promise<T>): Promise<T>;
}

export interface DeviceMetrics {
  provisioned(rotate: boolean): void;
  revoked(): void;
}

export interface DeviceCacheSettings {
  /** Known bikes kept (about the fleet's size), and how long one is trusted before it is read again. */
  knownMax: number;
  knownMs: number;
  /** Unknown ids kept, and how long: the window in which a made-up id costs one query. */
  unknownMax: number;
  unknownMs: number;
}

const SECRET_PREFIX = 'ewd_';
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class DeviceRegistry {
  private readonly known: LRUCache<string, string>;
  private readonly unknown: LRUCache<string, true>;

  constructor(
    private readonly store: DeviceStore,
    cache: DeviceCacheSettings,
    private readonly options: { issuer?: DeviceBusIssuer; metrics?: DeviceMetrics; logger?: Logger } = {},
  ) {
    this.known = new LRUCache({ max: cache.knownMax, ttl: cache.knownMs });
    this.unknown = new LRUCache({ max: cache.unknownMax, ttl: cache.unknownMs });
  }

  /** True when bikes get a bus credential too (the production bus in operator mode). */
  get mintsBusUsers(): boolean {
    return this.options.issuer !== undefined;
  }

  /**
   * Issues a bike's credential; the secret (and the bus user's JWT) is returned only here. A
   * rotation revokes the bus user it replaces.
   */
  async provision(bikeId: string, rotate: boolean): Promise<{ secret: string; createdAt: Date; bus?: BusCredential }> {
    const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const bus = await this.options.issuer?.mint(bikeId);
    const { saved, createdAt, replaced } = await this.store.saveDevice({ bikeId, secretHash: hashSecret(secret), busUser: bus && { key: bus.key, expiresAt: bus.expiresAt } }, rotate);
    if (!saved) throw alreadyExists(`bike ${bikeId} already has a device credential; set rotate to replace it`);
    this.forget(bikeId);
    this.options.metrics?.provisioned(rotate);
    if (replaced) {
      this.options.logger?.info({ bikeId, busUser: replaced.key }, 'device credential rotated; the old bus user is revoked');
      await this.pushOrRefuse(bikeId);
    }
    return { secret, createdAt, bus };
  }

  /**
   * Cuts a bike off: its secret stops working on every door, and its bus user is revoked on every
   * NATS server within the push. Safe to repeat (a repeat pushes the list again).
   */
  async revoke(bikeId: string): Promise<{ revokedAt: Date; busUser?: string }> {
    const revoked = await this.store.revokeDevice(bikeId);
    if (!revoked) throw notFound(`bike ${bikeId} has no device credential`);
    this.forget(bikeId);
    this.options.metrics?.revoked();
    this.options.logger?.warn({ bikeId, busUser: revoked.busUser?.key }, 'device credential revoked');
    await this.pushOrRefuse(bikeId);
    return { revokedAt: revoked.revokedAt, busUser: revoked.busUser?.key };
  }

  /** Pushes the whole revocation list to the bus (after a change, and at start, to heal a failed push). */
  async publishRevocations(): Promise<void> {
    const issuer = this.options.issuer;
    if (!issuer) return;
    await this.store.withBusRevocations((revoked) => issuer.publishRevocations(revoked));
  }

  /** The change is stored (the service's doors refuse the old credential): a failed push is the caller's to retry. */
  private async pushOrRefuse(bikeId: string): Promise<void> {
    try {
      await this.publishRevocations();
    } catch (error) {
      this.options.logger?.error({ err: error, bikeId }, 'the bus did not take the device revocation list');
      const message = `bike ${bikeId}'s old credential is refused by the service's doors, but the bus did not take the revocation list; retry the call`;
      throw new DomainError('UNAVAILABLE', message, { cause: error });
    }
  }

  /** True when the secret is the bike's current one. */
  async verify(bikeId: string, secret: string): Promise<boolean> {
    if (!UUID.test(bikeId) || !secret) return false;
    const id = bikeId.toLowerCase();
    const stored = (await this.hashes([id])).get(id);
    if (!stored) return false;
    return timingSafeEqual(Buffer.from(hashSecret(secret), 'hex'), Buffer.from(stored, 'hex'));
  }

  /** Which of these bikes have a credential: readings from any other bike are refused. */
  async provisioned(bikeIds: readonly string[]): Promise<Set<string>> {
    const hashes = await this.hashes(bikeIds);
    return new Set(bikeIds.filter((id) => hashes.has(id)));
  }

  private forget(bikeId: string): void {
    this.known.delete(bikeId);
    this.unknown.delete(bikeId);
  }

  private async hashes(bikeIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const missing: string[] = [];
    for (const id of new Set(bikeIds)) {
      const hash = this.known.get(id);
      if (hash) found.set(id, hash);
      else if (!this.unknown.has(id)) missing.push(id);
    }
    if (missing.length === 0) return found;
    const loaded = await this.store.deviceSecretHashes(missing);
    for (const id of missing) {
      const hash = loaded.get(id);
      if (hash) {
        this.known.set(id, hash);
        found.set(id, hash);
      } else {
        this.unknown.set(id, true);
      }
    }
    return found;
  }
}
