// Bikes, stations and reservations as the fleet rules see them.

export type BikeStatus = 'AVAILABLE' | 'RESERVED' | 'IN_RIDE' | 'MAINTENANCE';
export type ReservationStatus = 'RESERVED' | 'UNLOCKED' | 'RELEASED';

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export interface Bike {
  /** The bike's own id, for life: the code printed on it, and how operations know it. */
  id: string;
  /**
   * The id riders see it under while it is available: random, replaced after every trip, so that
   * no one can link where a trip started to where it ended (docs/rider-privacy.md).
   */
  listingId: string;
  model: string;
  status: BikeStatus;
  batteryPercent: number;
  location: GeoPoint;
  stationId?: string;
  updatedAt: Date;
}

export interface Reservation {
  rideId: string;
  bikeId: string;
  /** The ride's rider, who alone sees where the bike is while it is held; unknown for older reservations. */
  riderId?: string;
  status: ReservationStatus;
  createdAt: Date;
  updatedAt: Date;
}

export interface Station {
  id: string;
  name: string;
  location: GeoPoint;
  capacity: number;
}

const STATUS_WORDS: Record<BikeStatus, string> = {
  AVAILABLE: 'available',
  RESERVED: 'reserved for another ride',
  IN_RIDE: 'in a ride',
  MAINTENANCE: 'in maintenance',
};

export const describeStatus = (status: BikeStatus) => STATUS_WORDS[status];
