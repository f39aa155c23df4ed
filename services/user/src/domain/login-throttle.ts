// Failed logins are counted three ways, in counts every replica shares:
// - per account and client address together: past the limit, that address may not try that account
//   again until the lockout ends. Someone guessing from elsewhere never locks the owner out.
// - per client address: past the limit, that address may not log in at all for the lockout (a
//   sweep over many accounts from one place).
// - per account, from everywhere: past the limit, each attempt on the account waits a little longer
//   before the password is checked (a quarter second, doubling up to two), instead of being refused.
//   Guessing from many addresses at once is slowed; the owner still gets in.
// A successful login clears its own pair's count.
import { tooManyAttempts, retryAfterSeconds } from '../../../platform/src/errors';
import type { AttemptCounter, CounterFactory } from './attempt-counters';

export interface LoginThrottleSettings {
  maxFailuresPerAccountAndAddress: number;
  maxFailuresPerAddress: number;
  /** Failures on one account, from anywhere, before its logins are slowed down. */
  slowDownAfterFailuresPerAccount: number;
  lockoutSeconds: number;
}

const FIRST_DELAY_MS = 250;
/** Under the gateway's default subgraph timeout (3 s), so a slowed login still answers. */
const MAX_DELAY_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LoginThrottle {
  private readonly pairs: AttemptCounter;
  private readonly addresses: AttemptCounter;
  private readonly accounts: AttemptCounter;

  constructor(
    counters: CounterFactory,
    private readonly settings: LoginThrottleSettings,
  ) {
    const { lockoutSeconds } = settings;
    this.pairs = counters('login-account-address', { points: settings.maxFailuresPerAccountAndAddress, windowSeconds: lockoutSeconds, blockSeconds: lockoutSeconds });
    this.addresses = counters('login-address', { points: settings.maxFailuresPerAddress, windowSeconds: lockoutSeconds, blockSeconds: lockoutSeconds });
    // Never refuses: only its count is read, to slow the account down.
    this.accounts = counters('login-account', { points: Number.MAX_SAFE_INTEGER, windowSeconds: lockoutSeconds });
  }

  /**
   * Throws RESOURCE_EXHAUSTED, with when to retry, if this address is locked out of this account or
   * of logins; otherwise waits as long as the account's failures ask for.
   */
  async check(account: string, address: string | undefined): Promise<void> {
    const [pair, fromAddress, onAccount] = await Promise.all([
      this.pairs.get(pairKey(account, address)),
      address ? this.addresses.get(address) : null,
      this.accounts.get(account),
    ]);
    const locked = Math.max(
      lockedFor(pair, this.settings.maxFailuresPerAccountAndAddress),
      lockedFor(fromAddress, this.settings.maxFailuresPerAddress),
    );
    if (locked > 0) throw tooManyAttempts('too many failed logins', locked);
    const beyond = (onAccount?.consumedPoints ?? 0) - this.settings.slowDownAfterFailuresPerAccount;
    if (beyond >= 0) await sleep(Math.min(FIRST_DELAY_MS * 2 ** beyond, MAX_DELAY_MS));
  }

  async failed(account: string, address: string | undefined): Promise<void> {
    // consume() rejects once the limit is passed; the lockout then holds, which is what we want.
    const count = (counter: AttemptCounter, key: string) => counter.consume(key).catch(() => undefined);
    await Promise.all([count(this.pairs, pairKey(account, address)), address && count(this.addresses, address), count(this.accounts, account)]);
  }

  async succeeded(account: string, address: string | undefined): Promise<void> {
    await this.pairs.delete(pairKey(account, address));
  }
}

/** Logins without an address (back-office gRPC) are one pair per account. */
const pairKey = (account: string, address: string | undefined) => `${account}\n${address ?? 'no-address'}`;

function lockedFor(state: { consumedPoints: number; msBeforeNext: number } | null, points: number): number {
  return state && state.consumedPoints >= points ? retryAfterSeconds(state.msBeforeNext) : 0;
}
