// What the user service counts to slow down guessing and flooding: failed logins, sign-ups, mail,
// confirmation codes and identity checks. Every replica shares the counts (they are kept in the
// service's own database, store/attempt-counts.ts), and they survive a restart.
import { RateLimiterRes } from 'rate-limiter-flexible';
import { retryAfterSeconds, tooManyAttempts } from '../../../platform/src/errors';

/** One kind of count: a number of points per key within a window (rate-limiter-flexible's API). */
export interface AttemptCounter {
  /** Counts against `key`; rejects with a RateLimiterRes once past the allowance. */
  consume(key: string, points?: number): Promise<RateLimiterRes>;
  get(key: string): Promise<RateLimiterRes | null>;
  delete(key: string): Promise<boolean>;
}

export interface CounterSettings {
  /** Attempts allowed within the window. */
  points: number;
  windowSeconds: number;
  /** Once past the allowance, refuse for this long (default: until the window ends). */
  blockSeconds?: number;
}

/** Makes one kind of count, named (its keys never mix with another kind's). */
export type CounterFactory = (name: string, settings: CounterSettings) => AttemptCounter;

/**
 * Counts one attempt before the work it guards is done, so that a refused attempt counts too.
 * Past the allowance, throws RESOURCE_EXHAUSTED saying `what` and when to try again.
 */
export async function countAttempt(counter: AttemptCounter, key: string, what: string): Promise<void> {
  try {
    await counter.consume(key);
  } catch (refusal) {
    if (!(refusal instanceof RateLimiterRes)) throw refusal;
    throw tooManyAttempts(what, retryAfterSeconds(refusal.msBeforeNext));
  }
}
