// The fleet's rules: which bike may be reserved, unlocked and released, and by which ride. Every
// change runs inside one store transaction with the bike and the ride's reservation locked, so
// two rides cannot take one bike and a retried call finds its own earlier work.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { failedPrecondition, notFound } from '../../../platform/src/errors';
import { encodePageToken, fetchPage } from '../../../platform/src/page-token';
import { describeStatus, type Bike, type BikeStatus, type GeoPoint, type Reservation, type Station } from './bike';
import { boundingBox, type BoundingBox } from './geo';

/** The store's operations inside one transaction. */
export interface FleetTransaction {
  lockBike(id: string): Promise<Bike | undefined>;
  lockReservation(rideId: string): Promise<Reservation | undefined>;
  saveBike(bike: Bike): Promise<void>;
  saveReservation(reservation: Reservation): Promise<void>;
  /** Saves a reservation and its bike together. */
  saveWithBike(reservation: Reservation, bike: Bike): Promise<void>;
  /**
   * Saves a trip's released reservation and its bike, parked, and gives the bike a fresh random
   * listing id (answered); from now on the readings its unit made before are ignored, which would
   * show part of the route under the new id.
   */
  parkAfterTrip(reservation: Reservation, bike: Bike): Promise<string>;
}

/** A bike as the public GBFS feed shows it: under its listing id only, and only while it may be rented. */
export interface FeedVehicle {
  listingId: string;
  model: string;
  batteryPercent: number;
  location: GeoPoint;
  stationId?: string;
  updatedAt: Date;
}

export interface NearbyQuery {
  center: GeoPoint;
  radiusMeters: number;
  box: BoundingBox;
  minBatteryPercent: number;
  limit: number;
  /** Where the previous page ended: ordered by distance, then listing id (never the bike's own id). */
  after?: { distanceMeters: number; listingId: string };
}

export interface FleetStore {
  inTransaction<T>(fn: (tx: FleetTransaction) => Promise<T>): Promise<T>;
  insertBike(bike: Bike): Promise<void>;
  findBike(id: string): Promise<Bike | undefined>;
  findBikes(ids: readonly string[]): Promise<Bike[]>;
  findBikesByListingIds(listingIds: readonly string[]): Promise<Bike[]>;
  /** The bike whose id or current listing id is `code`. */
  findBikeByCode(code: string): Promise<Bike | undefined>;
  /** For each bike held by a ride, the rider it is held for (bikes not held are left out). */
  findRidersOfHeldBikes(bikeIds: readonly string[]): Promise<{ bikeId: string; riderId: string }[]>;
  findAvailableNear(query: NearbyQuery): Promise<{ bike: Bike; distanceMeters: number }[]>;
  insertStation(station: Station): Promise<void>;
  findStation(id: string): Promise<Station | undefined>;
  listStations(): Promise<Station[]>;
  /** Bikes by id, `limit` at a time after `afterId`: the operations map, a page at a time. */
  listBikes(limit: number, afterId?: string): Promise<Bike[]>;
  /** Bikes that may be rented now (AVAILABLE), as the public feed shows them: `limit` after `afterListingId`. */
  listFeedVehicles(limit: number, afterListingId?: string): Promise<FeedVehicle[]>;
  /** Applies each report that is newer than the bike's last one; answers how many bikes changed. */
  recordTelemetry(reports: readonly BikeTelemetry[]): Promise<number>;
}

/** Where a bike's IoT unit last was and how charged, as the telematics service relays it. */
export interface BikeTelemetry {
  bikeId: string;
  location: GeoPoint;
  batteryPercent: number;
  recordedAt: Date;
}

const NEARBY_POSITION = z.object({ d: z.number(), id: z.uuid() });
// The cursor is public (bikesNear's): it carries the listing id, which rotates, never the bike's id.
const nearbyPosition = (found: BikeNearby) => ({ d: found.distanceMeters, id: found.bike.listingId });
const FEED_POSITION = z.object({ id: z.uuid() });

export interface BikeNearby {
  bike: Bike;
  distanceMeters: number;
}

/** The cursor that continues a nearby list after this bike. */
export const nearbyCursor = (found: BikeNearby) => encodePageToken(nearbyPosition(found));

export interface HeldBike {
  reservation: Reservation;
  bike: Bike;
}

export class Fleet {
  constructor(
    private readonly store: FleetStore,
    /** Below this charge a bike is neither listed nor reservable. */
    private readonly minBatteryPercent: number,
  ) {}

  async registerBike(input: { model: string; location: GeoPoint; batteryPercent: number; stationId?: string }): Promise<Bike> {
    if (input.stationId && !(await this.store.findStation(input.stationId))) {
      throw notFound(`station ${input.stationId} does not exist`);
    }
    const bike: Bike = { id: randomUUID(), listingId: randomUUID(), status: 'AVAILABLE', updatedAt: new Date(), ...input };
    await this.store.insertBike(bike);
    return bike;
  }

  async getBike(id: string): Promise<Bike> {
    const bike = await this.store.findBike(id);
    if (!bike) throw notFound(`bike ${id} does not exist`);
    return bike;
  }

  /**
   * The bike a rider names to start a ride: by the code printed on it (its id) or by the listing id
   * they found it under. A listing id names its bike only until the bike's next trip ends.
   */
  async identifyBike(code: string): Promise<Bike> {
    const bike = await this.store.findBikeByCode(code);
    if (!bike) throw notFound(`no bike has the code ${code}; scan the code on the bike, or find it again with bikesNear`);
    return bike;
  }

  /**
   * The bikes' own reports of where they are: newer than what a bike has, they move it, whatever
   * its status, so bikesNear shows where bikes really are. Older reports are ignored.
   */
  recordTelemetry(reports: readonly BikeTelemetry[]): Promise<number> {
    return reports.length === 0 ? Promise.resolve(0) : this.store.recordTelemetry(reports);
  }

  /** Who holds each of these bikes, for the rule that only a bike's rider sees where it is during a ride. */
  ridersOfHeldBikes(ids: readonly string[]): Promise<{ bikeId: string; riderId: string }[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.store.findRidersOfHeldBikes([...new Set(ids)]);
  }

  getBikes(ids: readonly string[]): Promise<Bike[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.store.findBikes([...new Set(ids)]);
  }

  /** Bikes by the listing ids riders see; a listing id from before a bike's last trip finds nothing. */
  getBikesByListingIds(listingIds: readonly string[]): Promise<Bike[]> {
    return listingIds.length === 0 ? Promise.resolve([]) : this.store.findBikesByListingIds([...new Set(listingIds)]);
  }

  findAvailableNear(input: {
    center: GeoPoint;
    radiusMeters: number;
    limit: number;
    after?: NearbyQuery['after'];
  }): Promise<{ bike: Bike; distanceMeters: number }[]> {
    return this.store.findAvailableNear({
      ...input,
      box: boundingBox(input.center, input.radiusMeters),
      minBatteryPercent: this.minBatteryPercent,
    });
  }

  /** A page of available bikes near a point, nearest first; the token continues after the last. */
  pageAvailableNear(input: { center: GeoPoint; radiusMeters: number; pageSize: number; pageToken: string }) {
    return fetchPage({
      pageSize: input.pageSize,
      pageToken: input.pageToken,
      position: NEARBY_POSITION,
      positionOf: nearbyPosition,
      fetch: (limit, after) =>
        this.findAvailableNear({ ...input, limit, after: after && { distanceMeters: after.d, listingId: after.id } }),
    });
  }

  /** Sends a bike to maintenance or brings it back. Bikes held by a ride change only through it. */
  updateStatus(bikeId: string, status: Extract<BikeStatus, 'AVAILABLE' | 'MAINTENANCE'>, batteryPercent?: number): Promise<Bike> {
    return this.store.inTransaction(async (tx) => {
      const bike = await this.lockExistingBike(tx, bikeId);
      if (bike.status === 'RESERVED' || bike.status === 'IN_RIDE') {
        throw failedPrecondition(`bike ${bikeId} is ${describeStatus(bike.status)}; end or cancel that ride first`);
      }
      const changed: Bike = { ...bike, status, batteryPercent: batteryPercent ?? bike.batteryPercent, updatedAt: new Date() };
      await tx.saveBike(changed);
      return changed;
    });
  }

  reserve(bikeId: string, rideId: string, riderId?: string): Promise<HeldBike> {
    return this.store.inTransaction(async (tx) => {
      const existing = await tx.lockReservation(rideId);
      if (existing) {
        if (existing.bikeId !== bikeId) {
          throw failedPrecondition(`ride ${rideId} already holds bike ${existing.bikeId}, not ${bikeId}`);
        }
        if (existing.status === 'RELEASED') {
          throw failedPrecondition(`ride ${rideId} was already released; a released ride cannot reserve again`);
        }
        return { reservation: existing, bike: await this.lockExistingBike(tx, bikeId) };
      }
      const bike = await this.lockExistingBike(tx, bikeId);
      if (bike.status !== 'AVAILABLE') {
        throw failedPrecondition(`bike ${bikeId} is ${describeStatus(bike.status)}; choose another bike`);
      }
      if (bike.batteryPercent < this.minBatteryPercent) {
        throw failedPrecondition(
          `bike ${bikeId} has ${bike.batteryPercent}% battery, below the ${this.minBatteryPercent}% needed to ride; choose another bike`,
        );
      }
      const now = new Date();
      const reservation: Reservation = { rideId, bikeId, riderId, status: 'RESERVED', createdAt: now, updatedAt: now };
      const reserved: Bike = { ...bike, status: 'RESERVED', updatedAt: now };
      await tx.saveWithBike(reservation, reserved);
      return { reservation, bike: reserved };
    });
  }

  unlock(bikeId: string, rideId: string): Promise<HeldBike> {
    return this.store.inTransaction(async (tx) => {
      const reservation = await tx.lockReservation(rideId);
      if (!reservation || reservation.bikeId !== bikeId) {
        throw failedPrecondition(`ride ${rideId} has not reserved bike ${bikeId}; reserve it first`);
      }
      const bike = await this.lockExistingBike(tx, bikeId);
      if (reservation.status === 'UNLOCKED') return { reservation, bike };
      if (reservation.status === 'RELEASED') {
        throw failedPrecondition(`ride ${rideId} already released bike ${bikeId}; it cannot be unlocked again`);
      }
      const now = new Date();
      const unlocked: Reservation = { ...reservation, status: 'UNLOCKED', updatedAt: now };
      const inRide: Bike = { ...bike, status: 'IN_RIDE', updatedAt: now };
      await tx.saveWithBike(unlocked, inRide);
      return { reservation: unlocked, bike: inRide };
    });
  }

  /**
   * Ends the ride's hold and parks the bike where it was left. A ride that holds nothing gets a
   * RELEASED record, so a ReserveBike for it that arrives late (after a timeout) is refused.
   */
  release(bikeId: string, rideId: string, endState: { location?: GeoPoint; batteryPercent?: number }): Promise<HeldBike> {
    return this.store.inTransaction(async (tx) => {
      const reservation = await tx.lockReservation(rideId);
      const bike = await this.lockExistingBike(tx, bikeId);
      if (reservation && reservation.bikeId !== bikeId) {
        throw failedPrecondition(`ride ${rideId} holds bike ${reservation.bikeId}, not ${bikeId}`);
      }
      if (reservation?.status === 'RELEASED') return { reservation, bike };
      const now = new Date();
      const released: Reservation = reservation
        ? { ...reservation, status: 'RELEASED', updatedAt: now }
        : { rideId, bikeId, status: 'RELEASED', createdAt: now, updatedAt: now };
      if (!reservation) {
        await tx.saveReservation(released);
        return { reservation: released, bike };
      }
      const parked: Bike = {
        ...bike,
        status: 'AVAILABLE',
        location: endState.location ?? bike.location,
        batteryPercent: endState.batteryPercent ?? bike.batteryPercent,
        // A bike left somewhere else is no longer at its station.
        stationId: endState.location ? undefined : bike.stationId,
        updatedAt: now,
      };
      // A trip ended: riders and the public feed see the bike again under a new listing id.
      return { reservation: released, bike: { ...parked, listingId: await tx.parkAfterTrip(released, parked) } };
    });
  }

  async createStation(input: { name: string; location: GeoPoint; capacity: number }): Promise<Station> {
    const station: Station = { id: randomUUID(), ...input };
    await this.store.insertStation(station);
    return station;
  }

  listStations(): Promise<Station[]> {
    return this.store.listStations();
  }

  /** A page of the public feed's vehicles, in listing id order. */
  pageFeedVehicles(pageSize: number, pageToken: string) {
    return fetchPage({
      pageSize,
      pageToken,
      position: FEED_POSITION,
      positionOf: (vehicle: FeedVehicle) => ({ id: vehicle.listingId }),
      fetch: (limit, after) => this.store.listFeedVehicles(limit, after?.id),
    });
  }

  listBikes(limit: number, afterId?: string): Promise<Bike[]> {
    return this.store.listBikes(limit, afterId);
  }

  private async lockExistingBike(tx: FleetTransaction, bikeId: string): Promise<Bike> {
    const bike = await tx.lockBike(bikeId);
    if (!bike) throw notFound(`bike ${bikeId} does not exist`);
    return bike;
  }
}
