// The inventory service's tables: stations, bikes and reservations.
import { join } from 'node:path';
import type { Database, Sql } from '../../../platform/src/database/database';
import type { Bike, BikeStatus, Reservation, ReservationStatus, Station } from '../domain/bike';
import { EARTH_RADIUS_METERS } from '../domain/geo';
import type { BikeTelemetry, FeedVehicle, FleetStore, FleetTransaction, NearbyQuery } from '../domain/fleet';

export const INVENTORY_MIGRATIONS = join(__dirname, 'migrations');

interface BikeRow {
  id: string;
  feed_id: string;
  model: string;
  status: BikeStatus;
  battery_percent: number;
  latitude: number;
  longitude: number;
  station_id: string | null;
  updated_at: Date;
}

// feed_id is the bike's listing id (the column predates the name: GBFS's vehicle_id came first).
const BIKE_COLUMNS = 'id, feed_id, model, status, battery_percent, latitude, longitude, station_id, updated_at';

const toBike = (row: BikeRow): Bike => ({
  id: row.id,
  listingId: row.feed_id,
  model: row.model,
  status: row.status,
  batteryPercent: row.battery_percent,
  location: { latitude: row.latitude, longitude: row.longitude },
  stationId: row.station_id ?? undefined,
  updatedAt: row.updated_at,
});

interface ReservationRow {
  ride_id: string;
  bike_id: string;
  rider_id: string | null;
  status: ReservationStatus;
  created_at: Date;
  updated_at: Date;
}

const toReservation = (row: ReservationRow): Reservation => ({
  rideId: row.ride_id,
  bikeId: row.bike_id,
  riderId: row.rider_id ?? undefined,
  status: row.status,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

interface StationRow {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  capacity: number;
}

const toStation = (row: StationRow): Station => ({
  id: row.id,
  name: row.name,
  location: { latitude: row.latitude, longitude: row.longitude },
  capacity: row.capacity,
});

// Haversine distance in metres from ($1, $2) to the row's position, in SQL.
const DISTANCE_SQL = `2 * ${EARTH_RADIUS_METERS} * asin(least(1, sqrt(
    power(sin(radians(latitude - $1) / 2), 2)
    + cos(radians($1)) * cos(radians(latitude)) * power(sin(radians(longitude - $2) / 2), 2))))`;

// A reservation and a bike are written with these pieces, alone or together in one statement (one
// round trip): the reservation's values are $1 to $6, and the bike's follow them.
const SAVE_RESERVATION = `INSERT INTO reservations (ride_id, bike_id, rider_id, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (ride_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at`;
const reservationValues = (reservation: Reservation) => [
  reservation.rideId,
  reservation.bikeId,
  reservation.riderId ?? null,
  reservation.status,
  reservation.createdAt,
  reservation.updatedAt,
];
/** The update of a bike whose id is parameter $n and its changeable columns the six after it. */
const updateBike = (n: number) =>
  `UPDATE bikes SET status = $${n + 1}, battery_percent = $${n + 2}, latitude = $${n + 3}, longitude = $${n + 4}, station_id = $${n + 5}, updated_at = $${n + 6}`;
const bikeValues = (bike: Bike) => [bike.id, bike.status, bike.batteryPercent, bike.location.latitude, bike.location.longitude, bike.stationId ?? null, bike.updatedAt];
const SAVE_BIKE = `${updateBike(1)} WHERE id = $1`;
const SAVE_RESERVATION_AND_BIKE = `WITH reservation AS (${SAVE_RESERVATION}) ${updateBike(7)} WHERE id = $7`;
const PARK_AFTER_TRIP = `WITH reservation AS (${SAVE_RESERVATION})
  ${updateBike(7)}, feed_id = gen_random_uuid(), telemetry_at = greatest(telemetry_at, now()) WHERE id = $7 RETURNING feed_id`;

class FleetTransactionSql implements FleetTransaction {
  constructor(private readonly tx: Sql) {}

  async lockBike(id: string): Promise<Bike | undefined> {
    const rows = await this.tx.query<BikeRow>(`SELECT ${BIKE_COLUMNS} FROM bikes WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] && toBike(rows[0]);
  }

  async lockReservation(rideId: string): Promise<Reservation | undefined> {
    const rows = await this.tx.query<ReservationRow>(
      'SELECT ride_id, bike_id, rider_id, status, created_at, updated_at FROM reservations WHERE ride_id = $1 FOR UPDATE',
      [rideId],
    );
    return rows[0] && toReservation(rows[0]);
  }

  async saveBike(bike: Bike): Promise<void> {
    await this.tx.query(SAVE_BIKE, bikeValues(bike));
  }

  async saveReservation(reservation: Reservation): Promise<void> {
    await this.tx.query(SAVE_RESERVATION, reservationValues(reservation));
  }

  async saveWithBike(reservation: Reservation, bike: Bike): Promise<void> {
    await this.tx.query(SAVE_RESERVATION_AND_BIKE, [...reservationValues(reservation), ...bikeValues(bike)]);
  }

  async parkAfterTrip(reservation: Reservation, bike: Bike): Promise<string> {
    const rows = await this.tx.query<{ feed_id: string }>(PARK_AFTER_TRIP, [...reservationValues(reservation), ...bikeValues(bike)]);
    return rows[0].feed_id;
  }
}

export class FleetStoreSql implements FleetStore {
  constructor(private readonly db: Database) {}

  inTransaction<T>(fn: (tx: FleetTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new FleetTransactionSql(tx)));
  }

  async insertBike(bike: Bike): Promise<void> {
    await this.db.query(
      `INSERT INTO bikes (id, feed_id, model, status, battery_percent, latitude, longitude, station_id, created_at, updated_at)
       VALUES ($1, $9, $2, $3, $4, $5, $6, $7, $8, $8)`,
      [bike.id, bike.model, bike.status, bike.batteryPercent, bike.location.latitude, bike.location.longitude, bike.stationId ?? null, bike.updatedAt, bike.listingId],
    );
  }

  async listBikes(limit: number, afterId?: string): Promise<Bike[]> {
    const rows = await this.db.query<BikeRow>(`SELECT ${BIKE_COLUMNS} FROM bikes WHERE $2::uuid IS NULL OR id > $2::uuid ORDER BY id LIMIT $1`, [limit, afterId ?? null]);
    return rows.map(toBike);
  }

  async listFeedVehicles(limit: number, afterListingId?: string): Promise<FeedVehicle[]> {
    const rows = await this.db.query<{ feed_id: string; model: string; battery_percent: number; latitude: number; longitude: number; station_id: string | null; updated_at: Date }>(
      `SELECT feed_id, model, battery_percent, latitude, longitude, station_id, updated_at FROM bikes
       WHERE status = 'AVAILABLE' AND ($2::uuid IS NULL OR feed_id > $2::uuid) ORDER BY feed_id LIMIT $1`,
      [limit, afterListingId ?? null],
    );
    return rows.map((row) => ({
      listingId: row.feed_id,
      model: row.model,
      batteryPercent: row.battery_percent,
      location: { latitude: row.latitude, longitude: row.longitude },
      stationId: row.station_id ?? undefined,
      updatedAt: row.updated_at,
    }));
  }

  async findBike(id: string): Promise<Bike | undefined> {
    const rows = await this.db.query<BikeRow>(`SELECT ${BIKE_COLUMNS} FROM bikes WHERE id = $1`, [id]);
    return rows[0] && toBike(rows[0]);
  }

  async findRidersOfHeldBikes(bikeIds: readonly string[]): Promise<{ bikeId: string; riderId: string }[]> {
    const rows = await this.db.query<{ bike_id: string; rider_id: string }>(
      `SELECT bike_id, rider_id FROM reservations WHERE bike_id = ANY($1::uuid[]) AND status <> 'RELEASED' AND rider_id IS NOT NULL`,
      [bikeIds],
    );
    return rows.map((row) => ({ bikeId: row.bike_id, riderId: row.rider_id }));
  }

  async findBikes(ids: readonly string[]): Promise<Bike[]> {
    const rows = await this.db.query<BikeRow>(`SELECT ${BIKE_COLUMNS} FROM bikes WHERE id = ANY($1::uuid[])`, [ids]);
    return rows.map(toBike);
  }

  async findBikesByListingIds(listingIds: readonly string[]): Promise<Bike[]> {
    const rows = await this.db.query<BikeRow>(`SELECT ${BIKE_COLUMNS} FROM bikes WHERE feed_id = ANY($1::uuid[])`, [listingIds]);
    return rows.map(toBike);
  }

  async findBikeByCode(code: string): Promise<Bike | undefined> {
    const rows = await this.db.query<BikeRow>(`SELECT ${BIKE_COLUMNS} FROM bikes WHERE id = $1::uuid OR feed_id = $1::uuid`, [code]);
    return rows[0] && toBike(rows[0]);
  }

  async findAvailableNear(query: NearbyQuery): Promise<{ bike: Bike; distanceMeters: number }[]> {
    const { center, box, after } = query;
    const rows = await this.db.query<BikeRow & { distance_meters: number }>(
      `SELECT * FROM (
         SELECT ${BIKE_COLUMNS}, ${DISTANCE_SQL} AS distance_meters
         FROM bikes
         WHERE status = 'AVAILABLE' AND battery_percent >= $3
           AND latitude BETWEEN $4 AND $5 AND longitude BETWEEN $6 AND $7
       ) nearby
       WHERE distance_meters <= $8 AND (distance_meters, feed_id) > ($9::double precision, $10::uuid)
       ORDER BY distance_meters, feed_id
       LIMIT $11`,
      [
        center.latitude,
        center.longitude,
        query.minBatteryPercent,
        box.minLatitude,
        box.maxLatitude,
        box.minLongitude,
        box.maxLongitude,
        query.radiusMeters,
        after?.distanceMeters ?? -1,
        after?.listingId ?? '00000000-0000-0000-0000-000000000000',
        query.limit,
      ],
    );
    return rows.map((row) => ({ bike: toBike(row), distanceMeters: row.distance_meters }));
  }

  async insertStation(station: Station): Promise<void> {
    await this.db.query(
      'INSERT INTO stations (id, name, latitude, longitude, capacity) VALUES ($1, $2, $3, $4, $5)',
      [station.id, station.name, station.location.latitude, station.location.longitude, station.capacity],
    );
  }

  async findStation(id: string): Promise<Station | undefined> {
    const rows = await this.db.query<StationRow>('SELECT id, name, latitude, longitude, capacity FROM stations WHERE id = $1', [id]);
    return rows[0] && toStation(rows[0]);
  }

  async recordTelemetry(reports: readonly BikeTelemetry[]): Promise<number> {
    // One statement for the batch; the timestamp guard makes a retried or late batch harmless.
    const rows = await this.db.query(
      `UPDATE bikes SET latitude = r.latitude, longitude = r.longitude, battery_percent = r.battery_percent,
         telemetry_at = r.recorded_at, updated_at = now()
       FROM unnest($1::uuid[], $2::double precision[], $3::double precision[], $4::int[], $5::timestamptz[])
         AS r(bike_id, latitude, longitude, battery_percent, recorded_at)
       WHERE bikes.id = r.bike_id AND (bikes.telemetry_at IS NULL OR bikes.telemetry_at < r.recorded_at)
       RETURNING bikes.id`,
      [
        reports.map((report) => report.bikeId),
        reports.map((report) => report.location.latitude),
        reports.map((report) => report.location.longitude),
        reports.map((report) => report.batteryPercent),
        reports.map((report) => report.recordedAt.toISOString()),
      ],
    );
    return rows.length;
  }

  async listStations(): Promise<Station[]> {
    const rows = await this.db.query<StationRow>('SELECT id, name, latitude, longitude, capacity FROM stations ORDER BY name, id');
    return rows.map(toStation);
  }
}
