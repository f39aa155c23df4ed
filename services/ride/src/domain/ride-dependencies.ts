// What the ride flow needs from the other services, in the flow's own words. The gRPC adapter
// (grpc/ride-dependencies-grpc.ts) implements it; a failed call rejects with a DomainError.
import type { Money } from '../../../platform/src/money';

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export interface RideDependencies {
  /** The bike's own id, from the code printed on it or the listing id a rider found it under. */
  identifyBike(code: string): Promise<string>;
  /** Resolves when the rider may ride now. */
  verifyRider(riderId: string): Promise<void>;
  /** Holds the bike for the ride; resolves with where the bike is. Idempotent on rideId. */
  reserveBike(bikeId: string, rideId: string, riderId: string): Promise<{ location?: GeoPoint }>;
  /** Puts a hold on the rider's wallet. Idempotent on holdKey. */
  authorizePayment(riderId: string, amount: Money, holdKey: string, description: string): Promise<void>;
  /** Unlocks the reserved bike. Idempotent on rideId. */
  unlockBike(bikeId: string, rideId: string): Promise<void>;
  /** Takes the fare from the hold. Idempotent on holdKey. */
  capturePayment(holdKey: string, amount: Money): Promise<void>;
  /** Cancels the hold, or records that it must never be made. Idempotent. */
  voidPayment(holdKey: string, riderId: string): Promise<void>;
  /**
   * Gives the bike back to the fleet where it was left. Idempotent on rideId. Answers where the bike
   * was left: the given place, or else the bike's last reported position.
   */
  releaseBike(bikeId: string, rideId: string, end: { location?: GeoPoint; batteryPercent?: number }): Promise<GeoPoint | undefined>;
}
