// A rider, the rules for their fields, and the rule for who may ride.
import { z } from 'zod';
import { failedPrecondition } from '../../../platform/src/errors';

export type RiderStatus = 'ACTIVE' | 'SUSPENDED';

export interface Rider {
  id: string;
  /** The login email once confirmed; until then the address given at sign-up. */
  email: string;
  /** Whether the rider confirmed the address (operators' riders are confirmed from the start). */
  emailConfirmed: boolean;
  displayName: string;
  status: RiderStatus;
  verified: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Riders log in with their email in any case; it is stored and compared lower-case. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** The field rules every door applies (the password's strength is the sign-up's own rule). */
export const riderFields = {
  // Trimmed before it is checked: a stray space from a keyboard is not a wrong address.
  email: z.string().trim().max(254, 'must be at most 254 characters').pipe(z.email('must be an email address')),
  displayName: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  password: z.string().min(10, 'must be at least 10 characters').max(200, 'must be at most 200 characters'),
};

export function assertMayRide(rider: Rider): void {
  if (rider.status === 'SUSPENDED') {
    throw failedPrecondition(`rider ${rider.id} is suspended; contact support to be reinstated`);
  }
  if (!rider.verified) {
    throw failedPrecondition(`rider ${rider.id} has not been verified yet; identity check pending`);
  }
}
