// The ride flow, the heart of the east-west traffic.
//
//   start: verify rider + identify bike -> [STARTING] -> reserve bike -> hold payment -> unlock bike -> ACTIVE
//   end:   [ENDING, with the fare] -> capture payment -> release bike -> COMPLETED
//
// The ride row is written twice per flow, once before the first call that changes anything
// elsewhere (STARTING, ENDING) and once when the flow is done (ACTIVE, COMPLETED); the steps in
// between are not written down. Whoever picks a flow up after its worker is gone (a retry of the
// same request, or the recovery loop once the lease expires) takes it that any step may have
// happened, and that is safe because every call to another service is idempotent on the ride id
// (or the hold key derived from it), and its undo is too, even for a step that never happened:
// voiding a hold never authorized, or releasing a bike never reserved, leaves a record that refuses
// the original call should it still arrive. So a start cut short is undone whole, in reverse (void
// the hold, release the bike), and an end cut short is pushed forward, since the ride itself has
// happened. The README's "Ride flow recovery" has the whole argument. A lease on the row keeps two
// workers from driving one flow at once.
import { randomUUID } from 'node:crypto';
import {
  DomainError,
  isOurFault,
  failedPrecondition,
  invalidArgument,
  notFound,
  permissionDenied,
  unavailable,
} from '../../../platform/src/errors';
import type { Logger } from '../../../platform/src/logger';
import { inSpan } from '../../../platform/src/telemetry/tracing';
import { fare, holdAmount, type Pricing } from './pricing';
import { attempted, holdKeyOf, type Ride, type StartStep } from './ride';
import type { GeoPoint, RideDependencies } from './ride-dependencies';

export interface RideStore {
  /** Inserts a new ride holding the lease; says why not when the key or the rider is taken. */
  insert(ride: Ride, leaseUntil: Date): Promise<'inserted' | 'duplicate_key' | 'rider_busy'>;
  find(id: string): Promise<Ride | undefined>;
  findByKey(riderId: string, idempotencyKey: string): Promise<Ride | undefined>;
  findMany(ids: readonly string[]): Promise<Ride[]>;
  /** Newest first, after the given position. */
  listByRider(riderId: string, limit: number, after?: { createdAt: Date; id: string }): Promise<Ride[]>;
  /** Takes the flow lease when nobody holds it (or it has expired); false when someone does. */
  claim(rideId: string, now: Date, leaseUntil: Date): Promise<boolean>;
  /** Moves an ACTIVE ride to ENDING with its end data, holding the lease; false if it was not ACTIVE. */
  beginEnding(ride: Ride, leaseUntil: Date): Promise<boolean>;
  /** Saves the ride's progress; keeps the lease until leaseUntil, or drops it when undefined. */
  save(ride: Ride, leaseUntil: Date | undefined): Promise<void>;
  /** Claims up to `limit` unfinished rides whose lease has expired. */
  claimStale(now: Date, leaseUntil: Date, limit: number): Promise<Ride[]>;
}

export interface RideFlowSettings {
  pricing: Pricing;
  /** How long a worker may hold a flow without progress before another may take it over. */
  leaseMs: number;
  /** How long a repeated request waits for the worker already driving its flow to finish. */
  busyWaitMs: number;
  /** Told how each flow ends, for the ride-start SLO (ride-service.ts counts them). */
  outcomes?: (flow: 'start' | 'end', outcome: RideFlowOutcome) => void;
}

/**
 * How a flow ended: `done` (started, or completed); `refused` (a start undone for the rider's or
 * the fleet's reason: no funds, the bike taken); `failed` (a start undone, or an end delayed,
 * because a service of ours failed or was unavailable: the SLO counts these against us).
 */
export type RideFlowOutcome = 'done' | 'refused' | 'failed';


export interface EndRideInput {
  rideId: string;
  riderId: string;
  endLocation?: GeoPoint;
  batteryPercent?: number;
}

export class RideFlow {
  constructor(
    private readonly store: RideStore,
    private readonly services: RideDependencies,
    private readonly settings: RideFlowSettings,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `bikeId` is how the rider names the bike: the code printed on it, or the listing id they found. */
  async startRide(input: { riderId: string; bikeId: string; idempotencyKey: string }): Promise<Ride> {
    const existing = await this.store.findByKey(input.riderId, input.idempotencyKey);
    if (existing) return this.answerRepeatedStart(existing, input.bikeId);

    // Both only read, before the ride exists: a rider who may not ride, or a code that names no
    // bike, leaves nothing to undo.
    const asked = { 'ecowheels.ride.idempotency_key': input.idempotencyKey, 'ecowheels.bike.code': input.bikeId };
    const [bikeId] = await Promise.all([
      inSpan('ride.identify_bike', asked, () => this.services.identifyBike(input.bikeId)),
      inSpan('ride.verify_rider', asked, () => this.services.verifyRider(input.riderId)),
    ]).catch((error: unknown) => {
      this.settings.outcomes?.('start', isOurFault(error) ? 'failed' : 'refused');
      throw error;
    });
    const now = this.now();
    const id = randomUUID();
    const ride: Ride = {
      id,
      riderId: input.riderId,
      bikeId,
      bikeCode: input.bikeId,
      idempotencyKey: input.idempotencyKey,
      status: 'STARTING',
      // As stored: once the row exists, any step may have happened (a version that still writes
      // each step down reads it so too, during a rolling deploy).
      startStep: 'UNLOCKING',
      pricing: this.settings.pricing,
      holdKey: holdKeyOf(id),
      failureReason: '',
      createdAt: now,
      updatedAt: now,
    };
    const inserted = await this.store.insert(ride, this.leaseUntil());
    if (inserted === 'duplicate_key') return this.startRide(input); // a concurrent twin got there first
    if (inserted === 'rider_busy') {
      // The open ride may be this very request's twin, inserted a moment ago: answer as a repeat.
      if (await this.store.findByKey(input.riderId, input.idempotencyKey)) return this.startRide(input);
      throw failedPrecondition(`rider ${input.riderId} already has a ride in progress; end it before starting another`);
    }
    return this.runStart(ride, 'fresh');
  }

  async endRide(input: EndRideInput): Promise<Ride> {
    const ride = await this.store.find(input.rideId);
    if (!ride) throw notFound(`ride ${input.rideId} does not exist`);
    if (ride.riderId !== input.riderId) throw permissionDenied(`ride ${input.rideId} belongs to another rider`);
    switch (ride.status) {
      case 'COMPLETED':
        return ride;
      case 'STARTING':
        throw failedPrecondition(`ride ${ride.id} is still starting; end it once it is active`);
      case 'CANCELLING':
      case 'CANCELLED':
        throw failedPrecondition(`ride ${ride.id} never started (${ride.failureReason}); there is nothing to end`);
      case 'ENDING':
        if (!(await this.store.claim(ride.id, this.now(), this.leaseUntil()))) {
          await this.waitWhileBusy(ride);
          return this.endRide(input);
        }
        return this.runEnd(ride);
      case 'ACTIVE': {
        const endTime = this.now();
        const ending: Ride = {
          ...ride,
          status: 'ENDING',
          endTime,
          // Unset: the bike's own last report (telematics keeps inventory's position fresh) is
          // taken when the bike is released.
          endLocation: input.endLocation,
          endBatteryPercent: input.batteryPercent,
          fareMinor: fare(ride.pricing, ride.startTime ?? endTime, endTime).amountMinor,
          updatedAt: endTime,
        };
        // Only one of two concurrent EndRide calls moves the ride on; the other retries as a repeat.
        if (!(await this.store.beginEnding(ending, this.leaseUntil()))) return this.endRide(input);
        return this.runEnd(ending);
      }
    }
  }

  /** Finishes or undoes a flow that its worker left behind (it crashed, or a service was down). */
  async recover(ride: Ride): Promise<Ride> {
    switch (ride.status) {
      case 'STARTING':
        return this.undoStart(ride, unavailable('the ride start was interrupted and has been undone; start again'));
      case 'CANCELLING':
        return this.undoStart(ride, new DomainError(ride.failureKind ?? 'UNAVAILABLE', ride.failureReason));
      case 'ENDING':
        return this.runEnd(ride);
      default:
        await this.store.save(ride, undefined);
        return ride;
    }
  }

  private async answerRepeatedStart(ride: Ride, bikeCode: string): Promise<Ride> {
    if (ride.bikeCode !== bikeCode && ride.bikeId !== bikeCode) {
      throw invalidArgument(`idempotency_key ${ride.idempotencyKey} was already used to start a ride on bike ${ride.bikeId}; use a new key`);
    }
    switch (ride.status) {
      case 'CANCELLING':
      case 'CANCELLED':
        throw new DomainError(ride.failureKind ?? 'FAILED_PRECONDITION', ride.failureReason);
      case 'STARTING':
        if (!(await this.store.claim(ride.id, this.now(), this.leaseUntil()))) {
          return this.answerRepeatedStart(await this.waitWhileBusy(ride), bikeCode);
        }
        return this.runStart(ride, 'resumed');
      default:
        return ride;
    }
  }

  /**
   * Drives a start from STARTING to ACTIVE. A `fresh` flow is this worker's own from its first
   * step; a `resumed` one was begun by a worker now gone, and may have got anywhere. Each step is
   * idempotent, so a resumed flow simply runs them all again.
   */
  private async runStart(ride: Ride, from: 'fresh' | 'resumed'): Promise<Ride> {
    // How far the flow may have got, known only in memory: what an undo must cover.
    const resumed = from === 'resumed';
    let reached: StartStep = resumed ? 'UNLOCKING' : 'RESERVING';
    const lease = this.heldLease();
    try {
      await this.keepLease(ride, lease);
      const { location: startLocation } = await this.step(ride, 'reserve_bike', () => this.services.reserveBike(ride.bikeId, ride.id, ride.riderId));
      if (!resumed) reached = 'AUTHORIZING';
      await this.keepLease(ride, lease);
      await this.step(ride, 'authorize_payment', () => this.services.authorizePayment(ride.riderId, holdAmount(ride.pricing), ride.holdKey, `Ride ${ride.id}`));
      reached = 'UNLOCKING';
      await this.keepLease(ride, lease);
      await this.step(ride, 'unlock_bike', () => this.services.unlockBike(ride.bikeId, ride.id));
      const startTime = this.now();
      const active: Ride = { ...ride, status: 'ACTIVE', startLocation, startTime, updatedAt: startTime };
      await this.store.save(active, undefined);
      this.logger.info({ rideId: active.id, riderId: active.riderId, bikeId: active.bikeId }, 'ride started');
      this.settings.outcomes?.('start', 'done');
      return active;
    } catch (error) {
      this.settings.outcomes?.('start', isOurFault(error) ? 'failed' : 'refused');
      const current: Ride = { ...ride, startStep: reached };
      if (error instanceof DomainError) {
        await this.undoStart(current, error);
        throw error;
      }
      // A fault of ours, not a refusal: undone all the same, recorded without its details, and
      // thrown as it is, so the gRPC layer logs it once with its stack and answers INTERNAL.
      await this.undoStart(current, unavailable('the ride could not start because of an internal error; start again'));
      throw error;
    }
  }

  /**
   * Undoes whatever the start may have done: voids the hold and releases the bike.
   * When a service needed for that is down, the ride stays CANCELLING and recovery tries again.
   */
  private async undoStart(ride: Ride, failure: DomainError): Promise<Ride> {
    const cancelling: Ride = {
      ...ride,
      status: 'CANCELLING',
      failureKind: failure.kind,
      failureReason: failure.message,
      updatedAt: this.now(),
    };
    await this.store.save(cancelling, this.leaseUntil());
    // Each undo is tried even when another fails: a payment outage must not keep the bike locked.
    const undone = await Promise.allSettled([
      attempted(cancelling, 'AUTHORIZING') && this.step(cancelling, 'void_payment', () => this.services.voidPayment(cancelling.holdKey, cancelling.riderId)),
      attempted(cancelling, 'RESERVING') && this.step(cancelling, 'release_bike', () => this.services.releaseBike(cancelling.bikeId, cancelling.id, {})),
    ]);
    const failures = undone.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    if (failures.length > 0) {
      // Keep the lease: the recovery loop retries once it expires.
      this.logger.warn({ rideId: ride.id, err: failures[0] }, 'undoing a failed ride start did not finish; recovery will retry');
      return cancelling;
    }
    const cancelled: Ride = { ...cancelling, status: 'CANCELLED', updatedAt: this.now() };
    await this.store.save(cancelled, undefined);
    this.logger.info({ rideId: ride.id, reason: failure.message }, 'ride start undone');
    return cancelled;
  }

  private async runEnd(ride: Ride): Promise<Ride> {
    const lease = this.heldLease();
    try {
      await this.keepLease(ride, lease);
      await this.step(ride, 'capture_payment', () =>
        this.services.capturePayment(ride.holdKey, { amountMinor: ride.fareMinor ?? 0, currency: ride.pricing.currency }),
      );
      await this.keepLease(ride, lease);
      const releasedAt = await this.step(ride, 'release_bike', () =>
        this.services.releaseBike(ride.bikeId, ride.id, { location: ride.endLocation, batteryPercent: ride.endBatteryPercent }),
      );
      ride = { ...ride, endLocation: ride.endLocation ?? releasedAt ?? ride.startLocation };
    } catch (error) {
      // The ride did happen: it can only go forward. Keep the lease; recovery retries when it expires.
      this.logger.warn({ rideId: ride.id, err: error }, 'ending a ride did not finish; recovery will retry');
      this.settings.outcomes?.('end', 'failed');
      if (error instanceof DomainError && error.kind === 'UNAVAILABLE') {
        throw unavailable(`ride ${ride.id} has ended, but charging or returning the bike is delayed: ${error.message}; it will finish automatically`);
      }
      throw error;
    }
    const completed: Ride = { ...ride, status: 'COMPLETED', updatedAt: this.now() };
    await this.store.save(completed, undefined);
    this.logger.info({ rideId: ride.id, fareMinor: ride.fareMinor }, 'ride completed');
    this.settings.outcomes?.('end', 'done');
    return completed;
  }

  /** One call of the flow, as a span that names the step, the ride and its idempotency key. */
  private step<T>(ride: Ride, name: string, call: () => Promise<T>): Promise<T> {
    return inSpan(`ride.${name}`, {
      'ecowheels.ride.id': ride.id,
      'ecowheels.ride.idempotency_key': ride.idempotencyKey,
      'ecowheels.ride.hold_key': ride.holdKey,
      'ecowheels.bike.id': ride.bikeId,
    }, call);
  }

  private leaseUntil(): Date {
    return new Date(this.now().getTime() + this.settings.leaseMs);
  }

  /** The lease a flow holds as it begins: just taken, by its insert or its claim. */
  private heldLease(): { until: Date } {
    return { until: this.leaseUntil() };
  }

  /**
   * Before each call of a flow: the lease must outlast the call, or another worker could take the
   * flow over while it is still driven here. It is renewed, with one write, only when less than
   * half of it is left; the configuration keeps half a lease longer than a call's deadline, and a
   * flow whose calls answer in milliseconds never writes here at all.
   */
  private async keepLease(ride: Ride, lease: { until: Date }): Promise<void> {
    if (lease.until.getTime() - this.now().getTime() >= this.settings.leaseMs / 2) return;
    lease.until = this.leaseUntil();
    await this.store.save(ride, lease.until);
  }

  /**
   * A repeat of a request whose flow another worker is still driving (a client or mesh retry that
   * overtook the original): waits for that worker to move the ride on, then answers from there.
   */
  private async waitWhileBusy(ride: Ride): Promise<Ride> {
    const giveUpAt = Date.now() + this.settings.busyWaitMs;
    while (Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const current = await this.store.find(ride.id);
      if (current && current.status !== ride.status) return current;
    }
    throw unavailable(`ride ${ride.id} is being processed by another request; retry in a moment`);
  }
}
