// The telematics service's tables (see migrations/; devices: device-credential-store.ts): accepted readings (once
// each), the cleaner's state, the clean track and per-ride totals. Batches go in as one statement
// each (unnest of arrays), since readings arrive by the thousand.
import { join } from 'node:path';
import type { Database, Sql } from '../../../platform/src/database/database';
import { FencedOffError, type ClaimedShard, type CurationCommit, type HolderLease, type ShardLease, type ShardsOf } from '../domain/curation';
import type { CurationRewind, DecidedFrom } from '../domain/curation-rewind';
import type { ZoneLine } from '../domain/lake';
import type { AcceptedReading, Reading } from '../domain/reading';
import { STORED_FIELDS } from '../domain/reading-fields';
import type { RideTotals } from '../domain/ride-impact';
import type { CleanPoint, PendingReading, TrackState } from '../domain/track-cleaning';

export const TELEMATICS_MIGRATIONS = join(__dirname, 'migrations');

/** A reading's columns (domain/reading-fields.ts has them) and when it arrived. */
type ReadingRow = Record<string, unknown> & { received_at: Date };

const READING_COLUMNS = [...STORED_FIELDS.map((field) => field.column), 'received_at'].join(', ');

const toPending = (row: ReadingRow): PendingReading => {
  const reading: Record<string, unknown> = {};
  for (const field of STORED_FIELDS) reading[field.key] = row[field.column] ?? undefined; // a null ride id: none
  return { receivedAt: row.received_at, reading: reading as unknown as Reading };
};

/** A reading field's value as its column's array element: times as ISO text, lists as one comma-joined text. */
function columnValue(value: unknown): unknown {
  if (value instanceof Date) return iso(value);
  // Fault codes are [A-Z0-9-], so a comma joins them safely into one text per row.
  if (Array.isArray(value)) return value.join(',');
  return value ?? null;
}

/** The insert's columns, from the fields: (column, array element type, its select expression over r). */
const INSERT_COLUMNS = [
  ...STORED_FIELDS.map((field) => ({
    column: field.column,
    type: field.sql === 'text[]' ? 'text' : field.sql,
    select: field.sql === 'text[]' ? `CASE WHEN r.${field.column} = '' THEN '{}'::text[] ELSE string_to_array(r.${field.column}, ',') END` : `r.${field.column}`,
  })),
  { column: 'received_at', type: 'timestamptz', select: 'r.received_at' },
  { column: 'door', type: 'text', select: 'r.door' },
];
const INSERT_READINGS = `INSERT INTO readings (${INSERT_COLUMNS.map((c) => c.column).join(', ')})
  SELECT ${INSERT_COLUMNS.map((c) => c.select).join(', ')}
  FROM unnest(${INSERT_COLUMNS.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')}) AS r(${INSERT_COLUMNS.map((c) => c.column).join(', ')})
  ON CONFLICT (bike_id, sequence) DO NOTHING
  RETURNING bike_id, sequence`;

interface TrackRow {
  bike_id: string;
  last_sequence: number;
  last_recorded_at: Date;
  latitude: number;
  longitude: number;
  battery_percent: number;
  ride_id: string | null;
}

interface TotalsRow {
  ride_id: string;
  bike_id: string;
  rider_id: string | null;
  distance_meters: number;
  moving_seconds: number;
  energy_wh: number;
  reading_count: number;
  filled_count: number;
  first_recorded_at: Date;
  last_recorded_at: Date;
}

const TOTALS_COLUMNS = 'ride_id, bike_id, rider_id, distance_meters, moving_seconds, energy_wh, reading_count, filled_count, first_recorded_at, last_recorded_at';

const toTotals = (row: TotalsRow): RideTotals => ({
  rideId: row.ride_id,
  bikeId: row.bike_id,
  riderId: row.rider_id ?? undefined,
  distanceMeters: row.distance_meters,
  movingSeconds: row.moving_seconds,
  energyWh: row.energy_wh,
  readingCount: row.reading_count,
  filledCount: row.filled_count,
  firstRecordedAt: row.first_recorded_at,
  lastRecordedAt: row.last_recorded_at,
});

export interface TrackPoint {
  sequence: number;
  recordedAt: Date;
  latitude: number;
  longitude: number;
  speedKmh: number;
  batteryPercent: number;
  filled: boolean;
}

const iso = (date: Date) => date.toISOString();

/**
 * The shard of a reading's bike, given the shard count as the parameter `count` names: stable for
 * a bike (PostgreSQL's hashtext of its id) and spread evenly over the shards.
 */
const SHARD_OF_BIKE = (count: string) => `mod(hashtext(bike_id::text)::bigint + 2147483648, ${count})`;
/** Lease rows of cleaner_shards still the holder's under these fences (shards and fences: parameters of int[] and bigint[]). */
const HELD_BY = (holder: string, shards: string, fences: string) =>
  `holder = ${holder} AND NOT released AND (shard, fence) IN (SELECT * FROM unnest(${shards}::int[], ${fences}::bigint[]))`;
/**
 * A batch's shards (an intent, a batch, an outbox row): `shards`, or the one `shard` of a row that a
 * processor of the version before migration 006 wrote (see there).
 */
const SHARDS_OF_ROW = "CASE WHEN shards = '{}' THEN ARRAY[shard] ELSE shards END";
/** The row's batch touches one of these shards (a parameter of int[]). */
const IN_SHARDS = (shards: string) => `(shard = ANY(${shards}::int[]) OR shards && ${shards}::int[])`;

export class TelematicsStore {
  constructor(private readonly db: Database) {}

  // --- readings ---

  /** Inserts each reading not stored before; answers the keys ("bike:sequence") that were new. */
  async insertReadings(accepted: readonly AcceptedReading[]): Promise<Set<string>> {
    if (accepted.length === 0) return new Set();
    const rows = await this.db.query<{ bike_id: string; sequence: number }>(INSERT_READINGS, [
      ...STORED_FIELDS.map((field) => accepted.map((a) => columnValue(a.reading[field.key]))),
      accepted.map((a) => iso(a.receivedAt)),
      accepted.map((a) => a.door),
    ]);
    return new Set(rows.map((row) => `${row.bike_id}:${row.sequence}`));
  }

  /**
   * Readings of one shard the cleaner has not decided yet, the longest waiting first (by arrival),
   * at most `limit`.
   */
  /** The oldest readings waiting in these shards (by arrival), `limit` at most. */
  async waitingReadings(shards: ShardsOf, limit: number): Promise<PendingReading[]> {
    const rows = await this.db.query<ReadingRow>(
      `SELECT ${READING_COLUMNS} FROM readings WHERE curation_batch IS NULL AND ${SHARD_OF_BIKE('$1')} = ANY($2::int[])
       ORDER BY received_at, bike_id, sequence LIMIT $3`,
      [shards.of, shards.shards, limit],
    );
    return rows.map(toPending);
  }

  async trackStates(bikeIds: readonly string[]): Promise<Map<string, TrackState>> {
    const rows = await this.db.query<TrackRow>(
      'SELECT bike_id, last_sequence, last_recorded_at, latitude, longitude, battery_percent, ride_id FROM bike_tracks WHERE bike_id = ANY($1::uuid[])',
      [bikeIds],
    );
    return new Map(
      rows.map((row) => [
        row.bike_id,
        {
          bikeId: row.bike_id,
          lastSequence: row.last_sequence,
          lastRecordedAt: row.last_recorded_at,
          latitude: row.latitude,
          longitude: row.longitude,
          batteryPercent: row.battery_percent,
          rideId: row.ride_id ?? undefined,
        },
      ]),
    );
  }

  // --- the cleaner's shards and their fenced leases (see domain/curation.ts) ---

  /** How many shards there are: made from `wanted` by the first processor, then the database's. */
  async cleanerShards(wanted: number): Promise<number> {
    await this.db.query(
      'INSERT INTO cleaner_shards (shard) SELECT generate_series(0, $1::int - 1) WHERE NOT EXISTS (SELECT 1 FROM cleaner_shards) ON CONFLICT DO NOTHING',
      [wanted],
    );
    const [row] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cleaner_shards');
    return row.n;
  }

  /** This processor is awake for `leaseMs` more; answers how many processors are awake. */
  async cleanerHeartbeat(holder: string, leaseMs: number): Promise<number> {
    await this.db.query(
      `INSERT INTO cleaner_processors (holder, until) VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (holder) DO UPDATE SET until = EXCLUDED.until`,
      [holder, leaseMs],
    );
    const [row] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cleaner_processors WHERE until > now()');
    return row.n;
  }

  /** This processor sleeps (idle) or stops: the others take its share. */
  async cleanerAsleep(holder: string): Promise<void> {
    await this.db.query('DELETE FROM cleaner_processors WHERE holder = $1 OR until < now() - interval \'1 hour\'', [holder]);
  }

  /**
   * Takes at most `max` shards whose lease ran out or was let go, each until `leaseMs` from the
   * database's now, with a fence one higher than the last. Answers them, with who held each before
   * and whether that holder let it go.
   */
  async claimShards(holder: string, leaseMs: number, max: number): Promise<ClaimedShard[]> {
    if (max <= 0) return [];
    const rows = await this.db.query<{ shard: number; fence: string; previous: string | null; released: boolean }>(
      `WITH free AS (
         SELECT shard, holder AS previous, released FROM cleaner_shards
         WHERE holder IS NULL OR until <= now() ORDER BY random() LIMIT $3 FOR UPDATE SKIP LOCKED)
       UPDATE cleaner_shards SET holder = $1, until = now() + $2 * interval '1 millisecond', fence = cleaner_shards.fence + 1, released = false
       FROM free WHERE cleaner_shards.shard = free.shard
       RETURNING cleaner_shards.shard, cleaner_shards.fence, free.previous, free.released`,
      [holder, leaseMs, max],
    );
    return rows.map((row) => ({ shard: row.shard, fence: Number(row.fence), previous: row.previous ?? undefined, released: row.released }));
  }

  /**
   * Renews the leases this holder still has (same fence); answers the shards it still holds. The
   * rows are locked in the shards' order, as a run's intent and commit lock them, so that a renewal
   * beside a run's commit waits for it instead of deadlocking with it.
   */
  async renewShards(holder: string, leaseMs: number, held: readonly ShardLease[]): Promise<number[]> {
    if (held.length === 0) return [];
    const rows = await this.db.query<{ shard: number }>(
      `UPDATE cleaner_shards SET until = now() + $2 * interval '1 millisecond'
       WHERE shard IN (SELECT shard FROM cleaner_shards WHERE ${HELD_BY('$1', '$3', '$4')} ORDER BY shard FOR UPDATE)
       RETURNING shard`,
      [holder, leaseMs, held.map((lease) => lease.shard), held.map((lease) => lease.fence)],
    );
    return rows.map((row) => row.shard);
  }

  /** Lets leases go at once (a clean stop, idle, or a share for another processor). */
  async releaseShards(holder: string, shards: readonly number[]): Promise<void> {
    if (shards.length === 0) return;
    await this.db.query('UPDATE cleaner_shards SET until = now(), released = true WHERE holder = $1 AND shard = ANY($2::int[]) AND NOT released', [holder, shards]);
  }

  /** The leases that still run: a processor cleans (the replay waits for none). */
  async heldShards(): Promise<{ shard: number; holder: string; until: Date }[]> {
    return this.db.query('SELECT shard, holder, until FROM cleaner_shards WHERE holder IS NOT NULL AND until > now() ORDER BY shard');
  }

  /**
   * Records the partitions a run's batch is about to write files in, and gives the batch its id
   * (from the sequence), if every one of its leases is still the holder's; FencedOffError names
   * those that were taken over.
   */
  async recordCurationIntent(leases: readonly HolderLease[], partitions: readonly string[]): Promise<number> {
    const sorted = [...leases].sort((a, b) => a.shard - b.shard);
    const [row] = await this.db.query<{ batch_id: string | null; held: number[] }>(
      `WITH held AS (SELECT shard FROM cleaner_shards WHERE ${HELD_BY('$1', '$2', '$3')} ORDER BY shard FOR SHARE),
       intent AS (
         INSERT INTO curation_intents (batch_id, shard, fence, shards, partitions)
         SELECT nextval('curation_batch_ids'), ($2::int[])[1], ($3::bigint[])[1], $2::int[], $4::text[]
         WHERE (SELECT count(*) FROM held) = cardinality($2::int[])
         RETURNING batch_id)
       SELECT (SELECT batch_id FROM intent) AS batch_id, ARRAY(SELECT shard FROM held) AS held`,
      [sorted[0]?.holder ?? '', sorted.map((lease) => lease.shard), sorted.map((lease) => lease.fence), partitions],
    );
    if (row.batch_id === null) throw new FencedOffError(sorted.filter((lease) => !row.held.includes(lease.shard)));
    return Number(row.batch_id);
  }

  /**
   * A shard's intents no commit cleared: batches whose files were written, or begun, and never
   * committed; those abandoned over an hour ago are not asked again.
   */
  async uncommittedIntents(shards: readonly number[]): Promise<{ batchId: number; shards: number[]; partitions: string[] }[]> {
    const rows = await this.db.query<{ batch_id: string | number; shards: number[]; partitions: string[] }>(
      `SELECT batch_id, ${SHARDS_OF_ROW} AS shards, partitions FROM curation_intents
       WHERE ${IN_SHARDS('$1')} AND (abandoned_at IS NULL OR abandoned_at > now() - interval '1 hour') ORDER BY batch_id`,
      [shards],
    );
    return rows.map((row) => ({ batchId: Number(row.batch_id), shards: row.shards, partitions: row.partitions }));
  }

  /** The batch's files are removed: it stays listed, so that readers leave out any file written late. */
  async abandonCurationIntent(batchId: number): Promise<void> {
    await this.db.query('UPDATE curation_intents SET abandoned_at = coalesce(abandoned_at, now()) WHERE batch_id = $1', [batchId]);
  }

  /** Batches whose curated files, if any, must not be read: begun and not committed, or abandoned. */
  async uncommittedBatchIds(): Promise<number[]> {
    const rows = await this.db.query<{ batch_id: string }>('SELECT batch_id FROM curation_intents');
    return rows.map((row) => Number(row.batch_id));
  }

  /** Rejects of committed batches not yet in rejects/ (a crash right after a commit). */
  async rejectsOutbox(shards: readonly number[]): Promise<{ batchId: number; lines: ZoneLine[] }[]> {
    const rows = await this.db.query<{ batch_id: string; lines: { at: string; line: string }[] }>(
      `SELECT batch_id, lines FROM curation_rejects_outbox WHERE ${IN_SHARDS('$1')} ORDER BY batch_id`,
      [shards],
    );
    return rows.map((row) => ({ batchId: Number(row.batch_id), lines: row.lines.map((line) => ({ zone: 'rejects' as const, at: new Date(line.at), line: line.line })) }));
  }

  async clearRejectsOutbox(batchIds: readonly number[]): Promise<void> {
    await this.db.query('DELETE FROM curation_rejects_outbox WHERE batch_id = ANY($1::bigint[])', [batchIds]);
  }

  /** Readings stored and not yet cleaned, and when the oldest of them arrived (the cleaning lag). */
  async waiting(): Promise<{ readings: number; oldestReceivedAt?: Date }> {
    const [row] = await this.db.query<{ n: number; oldest: Date | null }>('SELECT count(*)::int AS n, min(received_at) AS oldest FROM readings WHERE curation_batch IS NULL');
    return { readings: row.n, oldestReceivedAt: row.oldest ?? undefined };
  }

  /**
   * Commits one cleaning batch: its readings decided, the bikes' states, the track, the ride totals
   * and its rejects (for rejects/). In the same transaction it checks its shards' fences: a holder
   * whose lease of any of them was taken over commits nothing (FencedOffError), and a reading
   * another batch decided is never decided again.
   */
  async commitCuration(commit: CurationCommit): Promise<void> {
    const leases = [...commit.leases].sort((a, b) => a.shard - b.shard);
    const shards = leases.map((lease) => lease.shard);
    await this.db.transaction(async (tx) => {
      const held = await tx.query<{ shard: number }>(`SELECT shard FROM cleaner_shards WHERE ${HELD_BY('$1', '$2', '$3')} ORDER BY shard FOR UPDATE`, [
        leases[0]?.holder ?? '',
        shards,
        leases.map((lease) => lease.fence),
      ]);
      if (held.length < leases.length) throw new FencedOffError(leases.filter((lease) => !held.some((row) => row.shard === lease.shard)));
      const intent = await tx.query('DELETE FROM curation_intents WHERE batch_id = $1 AND abandoned_at IS NULL RETURNING batch_id', [commit.batchId]);
      if (intent.length === 0) throw new FencedOffError(leases);
      await tx.query('INSERT INTO curation_batches (id, reading_count, shard, shards) VALUES ($1, $2, $3, $4::int[])', [commit.batchId, commit.decided.length, shards[0], shards]);
      if (commit.decided.length > 0) {
        const marked = await tx.query(
          `UPDATE readings SET curation_batch = $3 FROM unnest($1::uuid[], $2::bigint[]) AS d(bike_id, sequence)
           WHERE readings.bike_id = d.bike_id AND readings.sequence = d.sequence AND readings.curation_batch IS NULL
           RETURNING readings.sequence`,
          [commit.decided.map((d) => d.bikeId), commit.decided.map((d) => d.sequence), commit.batchId],
        );
        if (marked.length !== commit.decided.length) {
          throw new Error(`batch ${commit.batchId} decides ${commit.decided.length} readings, of which ${commit.decided.length - marked.length} another batch already decided; not committed`);
        }
      }
      if (commit.rejects.length > 0) {
        await tx.query('INSERT INTO curation_rejects_outbox (batch_id, shard, shards, lines) VALUES ($1, $2, $3::int[], $4::jsonb)', [
          commit.batchId,
          shards[0],
          shards,
          JSON.stringify(commit.rejects.map((line) => ({ at: line.at.toISOString(), line: line.line }))),
        ]);
      }
      await this.saveStates(tx, commit.states, commit.lastSeen);
      await this.saveTrack(tx, commit.points);
      await this.addRideTotals(tx, commit.points);
    });
  }

  private async saveStates(tx: Sql, states: TrackState[], lastSeen: { bikeId: string; at: Date }[]): Promise<void> {
    if (states.length === 0) return;
    const seen = new Map(lastSeen.map((entry) => [entry.bikeId, entry.at]));
    await tx.query(
      `INSERT INTO bike_tracks (bike_id, last_sequence, last_recorded_at, latitude, longitude, battery_percent, ride_id, last_seen_at)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::double precision[], $5::double precision[],
                            $6::double precision[], $7::uuid[], $8::timestamptz[])
       ON CONFLICT (bike_id) DO UPDATE SET last_sequence = EXCLUDED.last_sequence, last_recorded_at = EXCLUDED.last_recorded_at,
         latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, battery_percent = EXCLUDED.battery_percent,
         ride_id = EXCLUDED.ride_id, last_seen_at = greatest(bike_tracks.last_seen_at, EXCLUDED.last_seen_at)`,
      [
        states.map((s) => s.bikeId),
        states.map((s) => s.lastSequence),
        states.map((s) => iso(s.lastRecordedAt)),
        states.map((s) => s.latitude),
        states.map((s) => s.longitude),
        states.map((s) => s.batteryPercent),
        states.map((s) => s.rideId ?? null),
        states.map((s) => iso(seen.get(s.bikeId) ?? s.lastRecordedAt)),
      ],
    );
  }

  private async saveTrack(tx: Sql, points: CleanPoint[]): Promise<void> {
    const inRides = points.filter((point) => point.reading.rideId);
    if (inRides.length === 0) return;
    await tx.query(
      `INSERT INTO track_points (ride_id, sequence, recorded_at, latitude, longitude, speed_kmh, battery_percent, filled)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::double precision[], $5::double precision[],
                            $6::double precision[], $7::double precision[], $8::boolean[])
       ON CONFLICT (ride_id, sequence) DO NOTHING`,
      [
        inRides.map((p) => p.reading.rideId),
        inRides.map((p) => p.reading.sequence),
        inRides.map((p) => iso(p.reading.recordedAt)),
        inRides.map((p) => p.reading.latitude),
        inRides.map((p) => p.reading.longitude),
        inRides.map((p) => p.reading.speedKmh),
        inRides.map((p) => p.reading.batteryPercent),
        inRides.map((p) => p.filled),
      ],
    );
  }

  private async addRideTotals(tx: Sql, points: CleanPoint[]): Promise<void> {
    const totals = new Map<string, RideTotals>();
    for (const point of points) {
      const { rideId, bikeId, recordedAt } = point.reading;
      if (!rideId) continue;
      const sum = totals.get(rideId) ?? {
        rideId,
        bikeId,
        distanceMeters: 0,
        movingSeconds: 0,
        energyWh: 0,
        readingCount: 0,
        filledCount: 0,
        firstRecordedAt: recordedAt,
        lastRecordedAt: recordedAt,
      };
      sum.distanceMeters += point.segmentMeters;
      sum.movingSeconds += point.segmentMovingSeconds;
      sum.energyWh += point.segmentWh;
      sum.readingCount += point.filled ? 0 : 1;
      sum.filledCount += point.filled ? 1 : 0;
      if (recordedAt < sum.firstRecordedAt) sum.firstRecordedAt = recordedAt;
      if (recordedAt > sum.lastRecordedAt) sum.lastRecordedAt = recordedAt;
      totals.set(rideId, sum);
    }
    if (totals.size === 0) return;
    const list = [...totals.values()];
    await tx.query(
      `INSERT INTO ride_totals (ride_id, bike_id, distance_meters, moving_seconds, energy_wh, reading_count, filled_count, first_recorded_at, last_recorded_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::double precision[], $4::double precision[], $5::double precision[],
                            $6::int[], $7::int[], $8::timestamptz[], $9::timestamptz[])
       ON CONFLICT (ride_id) DO UPDATE SET
         distance_meters = ride_totals.distance_meters + EXCLUDED.distance_meters,
         moving_seconds = ride_totals.moving_seconds + EXCLUDED.moving_seconds,
         energy_wh = ride_totals.energy_wh + EXCLUDED.energy_wh,
         reading_count = ride_totals.reading_count + EXCLUDED.reading_count,
         filled_count = ride_totals.filled_count + EXCLUDED.filled_count,
         first_recorded_at = least(ride_totals.first_recorded_at, EXCLUDED.first_recorded_at),
         last_recorded_at = greatest(ride_totals.last_recorded_at, EXCLUDED.last_recorded_at)`,
      [
        list.map((t) => t.rideId),
        list.map((t) => t.bikeId),
        list.map((t) => t.distanceMeters),
        list.map((t) => t.movingSeconds),
        list.map((t) => t.energyWh),
        list.map((t) => t.readingCount),
        list.map((t) => t.filledCount),
        list.map((t) => iso(t.firstRecordedAt)),
        list.map((t) => iso(t.lastRecordedAt)),
      ],
    );
  }

  // --- reads for the API ---

  async rideTotals(rideIds: readonly string[]): Promise<RideTotals[]> {
    const rows = await this.db.query<TotalsRow>(`SELECT ${TOTALS_COLUMNS} FROM ride_totals WHERE ride_id = ANY($1::uuid[])`, [rideIds]);
    return rows.map(toTotals);
  }

  async riderTotals(riderId: string): Promise<{ rides: number; distanceMeters: number; movingSeconds: number; energyWh: number }> {
    const rows = await this.db.query<{ rides: number; distance_meters: number | null; moving_seconds: number | null; energy_wh: number | null }>(
      `SELECT count(*)::int AS rides, sum(distance_meters) AS distance_meters, sum(moving_seconds) AS moving_seconds, sum(energy_wh) AS energy_wh
       FROM ride_totals WHERE rider_id = $1`,
      [riderId],
    );
    const row = rows[0];
    return { rides: row?.rides ?? 0, distanceMeters: row?.distance_meters ?? 0, movingSeconds: row?.moving_seconds ?? 0, energyWh: row?.energy_wh ?? 0 };
  }

  async track(rideId: string, limit: number): Promise<TrackPoint[]> {
    const rows = await this.db.query<{
      sequence: number;
      recorded_at: Date;
      latitude: number;
      longitude: number;
      speed_kmh: number;
      battery_percent: number;
      filled: boolean;
    }>(
      `SELECT sequence, recorded_at, latitude, longitude, speed_kmh, battery_percent, filled
       FROM track_points WHERE ride_id = $1 ORDER BY sequence LIMIT $2`,
      [rideId, limit],
    );
    return rows.map((row) => ({
      sequence: row.sequence,
      recordedAt: row.recorded_at,
      latitude: row.latitude,
      longitude: row.longitude,
      speedKmh: row.speed_kmh,
      batteryPercent: row.battery_percent,
      filled: row.filled,
    }));
  }

  async lastSeen(bikeIds: readonly string[]): Promise<Map<string, Date>> {
    const rows = await this.db.query<{ bike_id: string; last_seen_at: Date }>(
      'SELECT bike_id, last_seen_at FROM bike_tracks WHERE bike_id = ANY($1::uuid[])',
      [bikeIds],
    );
    return new Map(rows.map((row) => [row.bike_id, row.last_seen_at]));
  }

  // --- riders of rides ---

  async ridesWithoutRider(limit: number): Promise<string[]> {
    const rows = await this.db.query<{ ride_id: string }>(`SELECT ride_id FROM ride_totals WHERE rider_lookup = 'PENDING' LIMIT $1`, [limit]);
    return rows.map((row) => row.ride_id);
  }

  async setRiders(found: { rideId: string; riderId?: string }[]): Promise<void> {
    if (found.length === 0) return;
    await this.db.query(
      `UPDATE ride_totals SET rider_id = f.rider_id, rider_lookup = CASE WHEN f.rider_id IS NULL THEN 'UNKNOWN' ELSE 'FOUND' END
       FROM unnest($1::uuid[], $2::uuid[]) AS f(ride_id, rider_id) WHERE ride_totals.ride_id = f.ride_id`,
      [found.map((f) => f.rideId), found.map((f) => f.riderId ?? null)],
    );
  }

  // --- replay ---

  /** The first batch that decided a reading that arrived at or after `from` (see domain/curation-rewind.ts). */
  async firstBatchArrivedFrom(from: Date): Promise<number | undefined> {
    const [row] = await this.db.query<{ batch: string | null }>('SELECT min(curation_batch) AS batch FROM readings WHERE received_at >= $1', [iso(from)]);
    return row.batch === null ? undefined : Number(row.batch);
  }

  /** What the batches from `batch` on decided: bikes (with their readings' recorded times), rides, batches. */
  async decidedFrom(batch: number): Promise<DecidedFrom> {
    const bikes = await this.db.query<{ bike_id: string; first_recorded_at: Date; last_recorded_at: Date }>(
      `SELECT bike_id, min(recorded_at) AS first_recorded_at, max(recorded_at) AS last_recorded_at
       FROM readings WHERE curation_batch >= $1 GROUP BY bike_id ORDER BY bike_id`,
      [batch],
    );
    const rides = await this.db.query<{ ride_id: string }>('SELECT DISTINCT ride_id FROM readings WHERE curation_batch >= $1 AND ride_id IS NOT NULL ORDER BY ride_id', [batch]);
    const batches = await this.db.query<{ id: string; shards: number[] }>(`SELECT id, ${SHARDS_OF_ROW} AS shards FROM curation_batches WHERE id >= $1 ORDER BY id`, [batch]);
    return {
      bikes: bikes.map((row) => ({ bikeId: row.bike_id, firstRecordedAt: row.first_recorded_at, lastRecordedAt: row.last_recorded_at })),
      rideIds: rides.map((row) => row.ride_id),
      batches: batches.map((row) => ({ batchId: Number(row.id), shards: row.shards })),
    };
  }

  /** Each bike's readings decided by batches below `batch`, at most `depth` of them, highest sequence first. */
  async latestDecided(bikeIds: readonly string[], batch: number, depth: number): Promise<Map<string, { sequence: number; recordedAt: Date }[]>> {
    const rows = await this.db.query<{ bike_id: string; sequence: string; recorded_at: Date }>(
      `SELECT bike_id, sequence, recorded_at FROM (
         SELECT bike_id, sequence, recorded_at, row_number() OVER (PARTITION BY bike_id ORDER BY sequence DESC) AS n
         FROM readings WHERE bike_id = ANY($1::uuid[]) AND curation_batch < $2) AS newest
       WHERE n <= $3 ORDER BY bike_id, sequence DESC`,
      [bikeIds, batch, depth],
    );
    const latest = new Map<string, { sequence: number; recordedAt: Date }[]>();
    for (const row of rows) {
      const readings = latest.get(row.bike_id) ?? [];
      readings.push({ sequence: Number(row.sequence), recordedAt: row.recorded_at });
      latest.set(row.bike_id, readings);
    }
    return latest;
  }

  /** The hours (UTC) in which the readings that arrived before `before` and wait to be cleaned arrived. */
  async waitingArrivalHours(before: Date): Promise<Date[]> {
    const rows = await this.db.query<{ hour: Date }>(
      `SELECT DISTINCT date_trunc('hour', received_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour
       FROM readings WHERE curation_batch IS NULL AND received_at < $1 ORDER BY hour`,
      [iso(before)],
    );
    return rows.map((row) => row.hour);
  }

  /**
   * Takes the cleaning back to before `rewind.firstBatch`, in one transaction (see
   * domain/curation-rewind.ts): the batches' files hidden as abandoned intents, the batches and
   * their outbox forgotten, the readings of the range forgotten and the earlier ones they decided
   * waiting again, the bikes' states, the clean track and the ride totals as they were before them.
   */
  async rewindCuration(rewind: CurationRewind): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { firstBatch } = rewind;
      if (firstBatch !== undefined) {
        // Hidden from every reader from this commit on, and removed like an abandoned batch's files.
        await tx.query(
          `INSERT INTO curation_intents (batch_id, shard, shards, partitions, abandoned_at)
           SELECT u.batch_id, (SELECT min(s::int) FROM jsonb_array_elements_text(u.shards) AS t(s)),
                  ARRAY(SELECT jsonb_array_elements_text(u.shards)::int), ARRAY(SELECT jsonb_array_elements_text(u.partitions)), now()
           FROM unnest($1::bigint[], $2::jsonb[], $3::jsonb[]) AS u(batch_id, shards, partitions)
           ON CONFLICT (batch_id) DO NOTHING`,
          [rewind.undone.map((b) => b.batchId), rewind.undone.map((b) => JSON.stringify(b.shards)), rewind.undone.map((b) => JSON.stringify(b.partitions))],
        );
        await tx.query('DELETE FROM curation_batches WHERE id >= $1', [firstBatch]);
        await tx.query('DELETE FROM curation_rejects_outbox WHERE batch_id >= $1', [firstBatch]);
        await this.rewindTracks(tx, rewind);
        await this.rewindRides(tx, rewind);
      }
      await tx.query('DELETE FROM readings WHERE received_at >= $1', [iso(rewind.from)]);
      if (firstBatch !== undefined) await tx.query('UPDATE readings SET curation_batch = NULL WHERE curation_batch >= $1', [firstBatch]);
    });
  }

  /**
   * Each bike's state as it was, and its clean track without the points of the undone batches: the
   * cleaner only ever adds points above a bike's last sequence, so theirs are exactly the points
   * of the bike's rides above its last sequence before them (all of them, for a bike that had none).
   * Last seen stays: it is the latest ever seen.
   */
  private async rewindTracks(tx: Sql, rewind: CurationRewind): Promise<void> {
    const kept = rewind.bikes.flatMap((bike) => (bike.state ? [bike.state] : []));
    await tx.query(
      `DELETE FROM track_points USING ride_totals, unnest($1::uuid[], $2::bigint[]) AS b(bike_id, last_sequence)
       WHERE track_points.ride_id = ride_totals.ride_id AND ride_totals.bike_id = b.bike_id AND track_points.sequence > b.last_sequence`,
      [rewind.bikes.map((bike) => bike.bikeId), rewind.bikes.map((bike) => bike.state?.lastSequence ?? 0)],
    );
    await tx.query('DELETE FROM bike_tracks WHERE bike_id = ANY($1::uuid[])', [rewind.bikes.filter((bike) => !bike.state).map((bike) => bike.bikeId)]);
    await tx.query(
      `UPDATE bike_tracks SET last_sequence = s.last_sequence, last_recorded_at = s.last_recorded_at, latitude = s.latitude,
         longitude = s.longitude, battery_percent = s.battery_percent, ride_id = s.ride_id
       FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[], $4::double precision[], $5::double precision[], $6::double precision[], $7::uuid[])
         AS s(bike_id, last_sequence, last_recorded_at, latitude, longitude, battery_percent, ride_id)
       WHERE bike_tracks.bike_id = s.bike_id`,
      [
        kept.map((s) => s.bikeId),
        kept.map((s) => s.lastSequence),
        kept.map((s) => iso(s.lastRecordedAt)),
        kept.map((s) => s.latitude),
        kept.map((s) => s.longitude),
        kept.map((s) => s.batteryPercent),
        kept.map((s) => s.rideId ?? null),
      ],
    );
  }

  /** The rides' totals as they were (the rider found for a ride stays); a ride with no point before is forgotten. */
  private async rewindRides(tx: Sql, rewind: CurationRewind): Promise<void> {
    await tx.query('DELETE FROM ride_totals WHERE ride_id = ANY($1::uuid[])', [rewind.rides.filter((ride) => !ride.totals).map((ride) => ride.rideId)]);
    const totals = rewind.rides.flatMap((ride) => (ride.totals ? [ride.totals] : []));
    await tx.query(
      `UPDATE ride_totals SET distance_meters = t.distance_meters, moving_seconds = t.moving_seconds, energy_wh = t.energy_wh,
         reading_count = t.reading_count, filled_count = t.filled_count, first_recorded_at = t.first_recorded_at, last_recorded_at = t.last_recorded_at
       FROM unnest($1::uuid[], $2::double precision[], $3::double precision[], $4::double precision[], $5::int[], $6::int[], $7::timestamptz[], $8::timestamptz[])
         AS t(ride_id, distance_meters, moving_seconds, energy_wh, reading_count, filled_count, first_recorded_at, last_recorded_at)
       WHERE ride_totals.ride_id = t.ride_id`,
      [
        totals.map((t) => t.rideId),
        totals.map((t) => t.distanceMeters),
        totals.map((t) => t.movingSeconds),
        totals.map((t) => t.energyWh),
        totals.map((t) => t.readingCount),
        totals.map((t) => t.filledCount),
        totals.map((t) => iso(t.firstRecordedAt)),
        totals.map((t) => iso(t.lastRecordedAt)),
      ],
    );
  }

  /** Forgets everything derived from the raw zone (devices stay), before a replay rebuilds it. */
  async forgetDerived(): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const table of ['readings', 'curation_batches', 'curation_intents', 'curation_rejects_outbox', 'bike_tracks', 'track_points', 'ride_totals']) {
        await tx.query(`DELETE FROM ${table}`);
      }
    });
  }
}
