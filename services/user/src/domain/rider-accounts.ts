// The rules for riders: registration, identity confirmation, suspension, login and the check the
// ride flow makes before a ride starts. Storage is behind RiderStore.
import { randomUUID } from 'node:crypto';
import { alreadyExists, failedPrecondition, notFound, unauthenticated } from '../../../platform/src/errors';
import type { AccessTokenIssuer, IssuedToken } from './access-tokens';
import { assertMayRide, normaliseEmail, type Rider, type RiderStatus } from './rider';
import type { LoginThrottle } from './login-throttle';
import { hashPassword, verifyPassword } from './secrets';

export interface RiderStore {
  /** Inserts a rider; returns false when the email is taken. */
  insertRider(rider: Rider, passwordHash: string): Promise<boolean>;
  findRider(id: string): Promise<Rider | undefined>;
  findRiders(ids: readonly string[]): Promise<Rider[]>;
  findCredentials(email: string): Promise<{ rider: Rider; passwordHash: string } | undefined>;
  updateRider(id: string, change: { status?: RiderStatus; verified?: boolean; reason?: string }): Promise<Rider | undefined>;
}

// Compared against when the email is unknown, so a login takes as long whether or not it exists.
const UNKNOWN_RIDER_HASH = 'scrypt$00000000000000000000000000000000$' + '0'.repeat(64);

export class RiderAccounts {
  constructor(
    private readonly store: RiderStore,
    private readonly tokens: AccessTokenIssuer,
    private readonly throttle: LoginThrottle,
  ) {}

  async register(input: { email: string; displayName: string; password: string }): Promise<Rider> {
    const now = new Date();
    const rider: Rider = {
      id: randomUUID(),
      email: normaliseEmail(input.email),
      emailConfirmed: true, // an operator's rider: the operator vouches for the address
      displayName: input.displayName.trim(),
      status: 'ACTIVE',
      verified: false,
      createdAt: now,
      updatedAt: now,
    };
    const inserted = await this.store.insertRider(rider, await hashPassword(input.password));
    if (!inserted) throw alreadyExists(`a rider with email ${rider.email} already exists`);
    return rider;
  }

  async get(id: string): Promise<Rider> {
    const rider = await this.store.findRider(id);
    if (!rider) throw notFound(`rider ${id} does not exist`);
    return rider;
  }

  getMany(ids: readonly string[]): Promise<Rider[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.store.findRiders([...new Set(ids)]);
  }

  /** Returns the rider when they may start a ride now; throws saying why not otherwise. */
  async verifyMayRide(id: string): Promise<Rider> {
    const rider = await this.get(id);
    assertMayRide(rider);
    return rider;
  }

  confirmIdentity(id: string): Promise<Rider> {
    return this.update(id, { verified: true });
  }

  setStatus(id: string, status: RiderStatus, reason: string): Promise<Rider> {
    return this.update(id, { status, reason });
  }

  /** `clientAddress`: where the attempt comes from (the app's address, as the gateway saw it), when known. */
  async login(email: string, password: string, clientAddress?: string): Promise<{ rider: Rider; token: IssuedToken }> {
    const account = normaliseEmail(email);
    await this.throttle.check(account, clientAddress);
    const credentials = await this.store.findCredentials(account);
    const matches = await verifyPassword(password, credentials?.passwordHash ?? UNKNOWN_RIDER_HASH);
    if (!credentials || !matches) {
      await this.throttle.failed(account, clientAddress);
      throw unauthenticated('email or password is wrong');
    }
    await this.throttle.succeeded(account, clientAddress);
    if (credentials.rider.status === 'SUSPENDED') {
      throw failedPrecondition('this rider is suspended; contact support to be reinstated');
    }
    return { rider: credentials.rider, token: await this.tokens.issue(credentials.rider.id) };
  }

  private async update(id: string, change: Parameters<RiderStore['updateRider']>[1]): Promise<Rider> {
    const rider = await this.store.updateRider(id, change);
    if (!rider) throw notFound(`rider ${id} does not exist`);
    return rider;
  }
}
