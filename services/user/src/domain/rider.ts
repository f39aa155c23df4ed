// A rider and the rule for who may ride.
import { failedPrecondition } from '../../../platform/src/errors';

export type RiderStatus = 'ACTIVE' | 'SUSPENDED';

export interface Rider {
  id: string;
  email: string;
  displayName: string;
  status: RiderStatus;
  verified: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Riders log in with their email in any case; it is stored and compared lower-case. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export function assertMayRide(rider: Rider): void {
  if (rider.status === 'SUSPENDED') {
    throw failedPrecondition(`rider ${rider.id} is suspended; contact support to be reinstated`);
  }
  if (!rider.verified) {
    throw failedPrecondition(`rider ${rider.id} has not been verified yet; identity check pending`);
  }
}
