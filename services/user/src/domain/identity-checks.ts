// The identity check that verifies a rider: the app submits the document the rider uploaded to the
// provider, the provider decides, and an approval makes the rider verified (able to ride). A
// rejection or a review leaves them as they were; support can still confirm by hand
// (ConfirmRiderIdentity). Only a rider with a confirmed address may be checked, so an account made
// with somebody else's address can never ride. Checks are counted per rider before the provider is
// asked (each costs money, and a sandbox must not be a free oracle), in counts every replica shares.
import { failedPrecondition } from '../../../platform/src/errors';
import { countAttempt, type AttemptCounter, type CounterFactory } from './attempt-counters';
import type { IdentityOutcome, IdentityProvider } from './identity-provider';
import type { Rider } from './rider';

export interface IdentityCheckStore {
  /** Keeps the outcome and, when approved, marks the rider verified; answers the rider. */
  recordIdentityCheck(riderId: string, outcome: IdentityOutcome): Promise<Rider | undefined>;
}

export class IdentityChecks {
  private readonly checksOf: AttemptCounter;

  constructor(
    private readonly store: IdentityCheckStore,
    private readonly provider: IdentityProvider,
    private readonly riders: { get(id: string): Promise<Rider> },
    counters: CounterFactory,
    private readonly perRiderPerHour: number,
  ) {
    this.checksOf = counters('identity-check-rider', { points: perRiderPerHour, windowSeconds: 3600 });
  }

  async check(riderId: string, document: string): Promise<{ outcome: IdentityOutcome; rider: Rider }> {
    await countAttempt(this.checksOf, riderId, `at most ${this.perRiderPerHour} identity checks an hour`);
    const rider = await this.riders.get(riderId);
    if (!rider.emailConfirmed) throw failedPrecondition('confirm your email address first (the code in the mail sent at sign-up)');
    if (rider.verified) return { outcome: { status: 'APPROVED', reference: 'already-verified' }, rider };
    const outcome = await this.provider.check({ riderId, document: document.trim() });
    const updated = await this.store.recordIdentityCheck(riderId, outcome);
    return { outcome, rider: updated ?? rider };
  }
}
