// A ride and the states of its flows.
import type { DomainErrorKind } from '../../../platform/src/errors';
import type { GeoPoint } from './ride-dependencies';
import type { Pricing } from './pricing';

export type RideStatus = 'STARTING' | 'ACTIVE' | 'ENDING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED';

/**
 * How far a start may have got: that step and every one before it may have taken effect. Stored as
 * UNLOCKING (any step) from the moment the row exists; the worker driving the flow knows better in
 * memory, and a cancelled start keeps what its worker knew (ride-flow.ts).
 */
export type StartStep = 'VERIFYING' | 'RESERVING' | 'AUTHORIZING' | 'UNLOCKING';

export interface Ride {
  id: string;
  riderId: string;
  /** The bike's own id. */
  bikeId: string;
  /** How the rider named the bike: the code printed on it, or the listing id they found it under. */
  bikeCode: string;
  idempotencyKey: string;
  status: RideStatus;
  startStep: StartStep;
  pricing: Pricing;
  /** The payment hold's key: "ride:<id>". */
  holdKey: string;
  startTime?: Date;
  startLocation?: GeoPoint;
  endTime?: Date;
  endLocation?: GeoPoint;
  endBatteryPercent?: number;
  fareMinor?: number;
  failureKind?: DomainErrorKind;
  failureReason: string;
  createdAt: Date;
  updatedAt: Date;
}

export const holdKeyOf = (rideId: string) => `ride:${rideId}`;

/**
 * Whether the ride has let its bike go for good: an ended ride returned it (and the bike was listed
 * under a new id), a cancelled one released it. Before that, the bike may still be held for it.
 */
export const hasReleasedBike = (status: RideStatus): boolean => status === 'COMPLETED' || status === 'CANCELLED';

/** Whether the step has been attempted, so that undoing the start must undo it. */
export function attempted(ride: Ride, step: StartStep): boolean {
  const order: StartStep[] = ['VERIFYING', 'RESERVING', 'AUTHORIZING', 'UNLOCKING'];
  return order.indexOf(ride.startStep) >= order.indexOf(step);
}
