// The ride service's table: rides and the progress of their flows.
import { join } from 'node:path';
import type { Database } from '../../../platform/src/database/database';
import type { DomainErrorKind } from '../../../platform/src/errors';
import type { Ride, RideStatus, StartStep } from '../domain/ride';
import type { RideStore } from '../domain/ride-flow';

export const RIDE_MIGRATIONS = join(__dirname, 'migrations');

interface RideRow {
  id: string;
  rider_id: string;
  bike_id: string;
  bike_code: string | null;
  idempotency_key: string;
  status: RideStatus;
  start_step: StartStep;
  currency: string;
  unlock_fee_minor: number;
  per_minute_minor: number;
  hold_minutes: number;
  hold_key: string;
  start_time: Date | null;
  start_latitude: number | null;
  start_longitude: number | null;
  end_time: Date | null;
  end_latitude: number | null;
  end_longitude: number | null;
  end_battery_percent: number | null;
  fare_minor: number | null;
  failure_kind: DomainErrorKind | null;
  failure_reason: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = [
  'id',
  'rider_id',
  'bike_id',
  'bike_code',
  'idempotency_key',
  'status',
  'start_step',
  'currency',
  'unlock_fee_minor',
  'per_minute_minor',
  'hold_minutes',
  'hold_key',
  'start_time',
  'start_latitude',
  'start_longitude',
  'end_time',
  'end_latitude',
  'end_longitude',
  'end_battery_percent',
  'fare_minor',
  'failure_kind',
  'failure_reason',
  'created_at',
  'updated_at',
] as const;
const SELECT = `SELECT ${COLUMNS.join(', ')} FROM rides`;

const point = (latitude: number | null, longitude: number | null) =>
  latitude === null || longitude === null ? undefined : { latitude, longitude };

const toRide = (row: RideRow): Ride => ({
  id: row.id,
  riderId: row.rider_id,
  bikeId: row.bike_id,
  bikeCode: row.bike_code ?? row.bike_id,
  idempotencyKey: row.idempotency_key,
  status: row.status,
  startStep: row.start_step,
  pricing: {
    currency: row.currency,
    unlockFeeMinor: row.unlock_fee_minor,
    perMinuteMinor: row.per_minute_minor,
    holdMinutes: row.hold_minutes,
  },
  holdKey: row.hold_key,
  startTime: row.start_time ?? undefined,
  startLocation: point(row.start_latitude, row.start_longitude),
  endTime: row.end_time ?? undefined,
  endLocation: point(row.end_latitude, row.end_longitude),
  endBatteryPercent: row.end_battery_percent ?? undefined,
  fareMinor: row.fare_minor ?? undefined,
  failureKind: row.failure_kind ?? undefined,
  failureReason: row.failure_reason,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

type Column = (typeof COLUMNS)[number];

const columnValues = (ride: Ride): Record<Column, unknown> => ({
  id: ride.id,
  rider_id: ride.riderId,
  bike_id: ride.bikeId,
  bike_code: ride.bikeCode,
  idempotency_key: ride.idempotencyKey,
  status: ride.status,
  start_step: ride.startStep,
  currency: ride.pricing.currency,
  unlock_fee_minor: ride.pricing.unlockFeeMinor,
  per_minute_minor: ride.pricing.perMinuteMinor,
  hold_minutes: ride.pricing.holdMinutes,
  hold_key: ride.holdKey,
  start_time: ride.startTime ?? null,
  start_latitude: ride.startLocation?.latitude ?? null,
  start_longitude: ride.startLocation?.longitude ?? null,
  end_time: ride.endTime ?? null,
  end_latitude: ride.endLocation?.latitude ?? null,
  end_longitude: ride.endLocation?.longitude ?? null,
  end_battery_percent: ride.endBatteryPercent ?? null,
  fare_minor: ride.fareMinor ?? null,
  failure_kind: ride.failureKind ?? null,
  failure_reason: ride.failureReason,
  created_at: ride.createdAt,
  updated_at: ride.updatedAt,
});

// What a flow may change; the ride's identity and the request that made it never change.
const MUTABLE = COLUMNS.filter((column) => !['id', 'rider_id', 'bike_id', 'bike_code', 'idempotency_key', 'created_at'].includes(column));

const INSERT_SQL = `INSERT INTO rides (${COLUMNS.join(', ')}, lease_until)
  VALUES (${COLUMNS.map((_, index) => `$${index + 1}`).join(', ')}, $${COLUMNS.length + 1})
  ON CONFLICT (rider_id, idempotency_key) DO NOTHING RETURNING id`;

// $1 is the id, $2 the lease, then the mutable columns.
const UPDATE_SET = `${MUTABLE.map((column, index) => `${column} = $${index + 3}`).join(', ')}, lease_until = $2`;
const updateParams = (ride: Ride, leaseUntil: Date | undefined): unknown[] => {
  const values = columnValues(ride);
  return [ride.id, leaseUntil ?? null, ...MUTABLE.map((column) => values[column])];
};

const UNIQUE_VIOLATION = '23505';

export class RideStoreSql implements RideStore {
  constructor(private readonly db: Database) {}

  async insert(ride: Ride, leaseUntil: Date): Promise<'inserted' | 'duplicate_key' | 'rider_busy'> {
    try {
      const values = columnValues(ride);
      const rows = await this.db.query(INSERT_SQL, [...COLUMNS.map((column) => values[column]), leaseUntil]);
      return rows.length === 1 ? 'inserted' : 'duplicate_key';
    } catch (error) {
      // The only other unique rule on insert: one open ride per rider.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return 'rider_busy';
      throw error;
    }
  }

  async find(id: string): Promise<Ride | undefined> {
    const rows = await this.db.query<RideRow>(`${SELECT} WHERE id = $1`, [id]);
    return rows[0] && toRide(rows[0]);
  }

  async findByKey(riderId: string, idempotencyKey: string): Promise<Ride | undefined> {
    const rows = await this.db.query<RideRow>(`${SELECT} WHERE rider_id = $1 AND idempotency_key = $2`, [riderId, idempotencyKey]);
    return rows[0] && toRide(rows[0]);
  }

  async findMany(ids: readonly string[]): Promise<Ride[]> {
    const rows = await this.db.query<RideRow>(`${SELECT} WHERE id = ANY($1::uuid[])`, [ids]);
    return rows.map(toRide);
  }

  /** Rides in progress, and rides per hour of their start since `since` (the operations dashboard). */
  async rideStats(since: Date): Promise<{ inProgress: number; perHour: { start: Date; started: number; completed: number }[] }> {
    const [busy] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM rides WHERE status IN ('STARTING', 'ACTIVE', 'ENDING')`);
    const hours = await this.db.query<{ hour: Date; started: number; completed: number }>(
      `SELECT date_trunc('hour', start_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, count(*)::int AS started,
              count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed
       FROM rides WHERE start_time >= $1 GROUP BY 1 ORDER BY 1`,
      [since],
    );
    return { inProgress: busy.n, perHour: hours.map((row) => ({ start: row.hour, started: row.started, completed: row.completed })) };
  }

  async listByRider(riderId: string, limit: number, after?: { createdAt: Date; id: string }): Promise<Ride[]> {
    const rows = after
      ? await this.db.query<RideRow>(
          `${SELECT} WHERE rider_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`,
          [riderId, after.createdAt, after.id, limit],
        )
      : await this.db.query<RideRow>(`${SELECT} WHERE rider_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [riderId, limit]);
    return rows.map(toRide);
  }

  async claim(rideId: string, now: Date, leaseUntil: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE rides SET lease_until = $3 WHERE id = $1 AND (lease_until IS NULL OR lease_until < $2) RETURNING id`,
      [rideId, now, leaseUntil],
    );
    return rows.length === 1;
  }

  async beginEnding(ride: Ride, leaseUntil: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE rides SET ${UPDATE_SET} WHERE id = $1 AND status = 'ACTIVE' RETURNING id`,
      updateParams(ride, leaseUntil),
    );
    return rows.length === 1;
  }

  async save(ride: Ride, leaseUntil: Date | undefined): Promise<void> {
    await this.db.query(`UPDATE rides SET ${UPDATE_SET} WHERE id = $1`, updateParams(ride, leaseUntil));
  }

  async claimStale(now: Date, leaseUntil: Date, limit: number): Promise<Ride[]> {
    const rows = await this.db.query<RideRow>(
      `UPDATE rides SET lease_until = $2
       WHERE id IN (
         SELECT id FROM rides
         WHERE status IN ('STARTING', 'ENDING', 'CANCELLING') AND (lease_until IS NULL OR lease_until < $1)
         ORDER BY updated_at
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       )
       RETURNING ${COLUMNS.join(', ')}`,
      [now, leaseUntil, limit],
    );
    return rows.map(toRide);
  }
}
