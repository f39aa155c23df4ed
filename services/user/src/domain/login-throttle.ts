// Failed logins are counted per account and per client address (rate-limiter-flexible). Past the
// limit, logins for that account, or from that address, are refused without checking the password
// until the lockout ends; a successful login clears the account's count. A brute force over one
// account, or a sweep over many from one address, is slowed to a few tries per quarter hour.
//
// The counts live in this process: with several replicas each keeps its own, which multiplies the
// allowance by the replica count (rate-limiter-flexible's Redis or PostgreSQL stores would share them).
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { retryAfterSeconds, tooManyAttempts } from '../../../platform/src/errors';

export interface LoginThrottleSettings {
  maxFailuresPerAccount: number;
  maxFailuresPerAddress: number;
  lockoutSeconds: number;
}

export class LoginThrottle {
  private readonly accounts: RateLimiterMemory;
  private readonly addresses: RateLimiterMemory;

  constructor(private readonly settings: LoginThrottleSettings) {
    const limiter = (points: number) => new RateLimiterMemory({ points, duration: settings.lockoutSeconds, blockDuration: settings.lockoutSeconds });
    this.accounts = limiter(settings.maxFailuresPerAccount);
    this.addresses = limiter(settings.maxFailuresPerAddress);
  }

  /** Throws RESOURCE_EXHAUSTED, with when to retry, if this account or address is locked out. */
  async check(email: string, address: string | undefined): Promise<void> {
    const locked = [
      await this.lockedFor(this.accounts, email, this.settings.maxFailuresPerAccount),
      address ? await this.lockedFor(this.addresses, address, this.settings.maxFailuresPerAddress) : 0,
    ];
    const seconds = Math.max(...locked);
    if (seconds > 0) throw tooManyAttempts('too many failed logins', seconds);
  }

  async failed(email: string, address: string | undefined): Promise<void> {
    // consume() rejects once the limit is passed; the lockout then holds, which is what we want.
    await Promise.all([this.accounts.consume(email).catch(() => undefined), address && this.addresses.consume(address).catch(() => undefined)]);
  }

  async succeeded(email: string): Promise<void> {
    await this.accounts.delete(email);
  }

  private async lockedFor(limiter: RateLimiterMemory, key: string, points: number): Promise<number> {
    const state = await limiter.get(key);
    return state && state.consumedPoints >= points ? retryAfterSeconds(state.msBeforeNext) : 0;
  }
}
