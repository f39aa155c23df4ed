// The warehouse: curated readings as Parquet files partitioned by the hour they were recorded
// (dt=YYYY-MM-DD/hour=HH/batch-<id>.parquet), written and queried with DuckDB, in a local folder or
// an S3-compatible bucket (curated-files.ts). The same files are what BigQuery, Snowflake, ClickHouse
// or Trino load or query in place (docs/telematics.md has the statements). Each cleaning batch writes its
// own files, named by the batch id, before the batch commits in the database; queries leave out the
// rows of batches that have not committed, and the cleaner removes the files of a batch that never
// will (a crash in between, a holder fenced off: see curation.ts), so no reading is counted twice.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIGINT, DuckDBInstance, LIST, listValue, timestampTZValue, VARCHAR, type DuckDBAppender, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { CuratedHistory } from '../domain/curation-rewind';
import { CURATED_FIELDS } from '../domain/reading-fields';
import type { RideTotals } from '../domain/ride-impact';
import type { FleetBucket } from '../domain/ride-impacts';
import type { CleanPoint, TrackState } from '../domain/track-cleaning';
import { hourPartition } from '../zones/zone-store';
import type { CuratedFiles } from '../zones/curated-files';

/**
 * The columns of a curated Parquet file, in order, with DuckDB types (appendRow writes them in this
 * order): the reading's own fields, then what the cleaner adds.
 */
const COLUMNS: Record<string, string> = {
  ...Object.fromEntries(CURATED_FIELDS.map((field) => [field.column, field.parquet])),
  filled: 'BOOLEAN',
  flags: 'VARCHAR[]',
  segment_meters: 'DOUBLE',
  segment_moving_seconds: 'DOUBLE',
  segment_wh: 'DOUBLE',
  curation_batch: 'BIGINT',
};

const batchFileName = (batchId: number) => `batch-${String(batchId).padStart(12, '0')}.parquet`;
const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;

export class CuratedWarehouse implements CuratedHistory {
  /** The batches whose files, if any, are not to be read (see hideUncommitted). */
  private uncommitted: () => Promise<number[]> = async () => [];

  private constructor(
    private readonly files: CuratedFiles,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(files: CuratedFiles): Promise<CuratedWarehouse> {
    // One thread and a small memory budget: the warehouse only stages a batch at a time here, and
    // the service's footprint matters more than DuckDB's speed on large scans.
    const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '64MB' });
    const connection = await instance.connect();
    const columns = Object.entries(COLUMNS).map(([column, type]) => `${column} ${type}`).join(', ');
    await connection.run(`CREATE TABLE staging (${columns})`);
    return new CuratedWarehouse(files, instance, connection);
  }

  /**
   * Where to learn which batches have not committed (begun, or abandoned by a holder that died or
   * was fenced off): their files may be in the folder or bucket, and queries leave their rows out.
   */
  hideUncommitted(uncommitted: () => Promise<number[]>): void {
    this.uncommitted = uncommitted;
  }

  /** For logs: the folder or the bucket. */
  get location(): string {
    return this.files.location;
  }

  partitionsOf(points: readonly CleanPoint[]): string[] {
    return [...new Set(points.map((point) => hourPartition(point.reading.recordedAt)))];
  }

  /** Writes a batch's points, one file per recorded hour. Rewriting the same batch replaces its files. */
  async writeBatch(batchId: number, points: readonly CleanPoint[]): Promise<number> {
    const byHour = new Map<string, CleanPoint[]>();
    for (const point of points) {
      const partition = hourPartition(point.reading.recordedAt);
      const group = byHour.get(partition);
      if (group) group.push(point);
      else byHour.set(partition, [point]);
    }
    for (const [partition, group] of byHour) {
      const name = batchFileName(batchId);
      // Rows go in through DuckDB's appender (no text round trip), then out as one Parquet file,
      // written under a hidden name and then published whole: a reader never sees half a file.
      mkdirSync(this.files.localDir, { recursive: true }); // it is only a cache: someone may have emptied it
      const temp = join(this.files.localDir, `.${partition.replace('/', '-')}-${name}`);
      try {
        const appender = await this.connection.createAppender('staging');
        for (const point of group) appendRow(appender, point, batchId);
        appender.closeSync();
        // COPY's target cannot be a parameter; the path is ours (the cache folder, the partition
        // and the batch number), quoted as a string literal.
        await this.connection.run(`COPY staging TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION zstd)`);
      } catch (error) {
        rmSync(temp, { force: true });
        throw error;
      } finally {
        // Whatever happened, staging is left empty: rows of a failed COPY must not go into the
        // next batch's files.
        await this.connection.run('DELETE FROM staging');
      }
      await this.files.publish(temp, partition, name);
    }
    return byHour.size;
  }

  /** Removes a batch's files: written by a run that crashed before committing. */
  removeBatch(batchId: number, partitions: readonly string[]): Promise<string[]> {
    return this.files.remove(partitions.map((partition) => `${partition}/${batchFileName(batchId)}`));
  }

  /** Removes every curated file (a full replay rebuilds them). */
  clear(): Promise<void> {
    return this.files.clear();
  }

  /**
   * Runs a query over the curated readings recorded in [from, to) (whole days of them: the query's
   * own WHERE narrows it further), as the view `curated`; none yet answers no rows.
   */
  async query(from: Date, to: Date, sql: string, values: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    await this.files.prepare(from, to);
    const glob = join(this.files.localDir, '*', '*', '*.parquet');
    // Before the first batch there is no file for read_parquet to read: asked of DuckDB's own glob,
    // not recognised in the text of read_parquet's error.
    const found = await this.connection.runAndReadAll('SELECT 1 FROM glob($1) LIMIT 1', [glob]);
    if (found.currentRowCount === 0) return [];
    // The glob is the statement's first parameter; the caller's values follow it ($2, $3, ...), and
    // the batches to leave out come last.
    const hidden = `$${values.length + 2}`;
    const types: (DuckDBType | undefined)[] = [...values.map(() => undefined), undefined, LIST(BIGINT)];
    const reader = await this.connection.runAndReadAll(
      `WITH curated AS (SELECT * FROM read_parquet($1, hive_partitioning = true, union_by_name = true)
                        WHERE NOT list_contains(${hidden}::BIGINT[], curation_batch)) ${sql}`,
      [glob, ...values, listValue((await this.uncommitted()).map(BigInt))],
      types as DuckDBType[],
    );
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** The fleet's totals per day or hour (UTC) in [from, to), from the curated files. */
  async fleetBuckets(from: Date, to: Date, groupBy: 'day' | 'hour'): Promise<FleetBucket[]> {
    const rows = await this.query(
      from,
      to,
      `SELECT date_trunc($2, recorded_at AT TIME ZONE 'UTC') AS bucket,
              count(*) FILTER (WHERE NOT filled) AS readings,
              count(DISTINCT ride_id) AS rides,
              count(DISTINCT bike_id) AS bikes,
              coalesce(sum(segment_meters), 0) AS distance_meters,
              coalesce(sum(segment_moving_seconds), 0) AS moving_seconds,
              coalesce(sum(segment_wh), 0) AS energy_wh
       FROM curated
       WHERE recorded_at >= $3::TIMESTAMPTZ AND recorded_at < $4::TIMESTAMPTZ
       GROUP BY 1 ORDER BY 1`,
      [groupBy, from.toISOString(), to.toISOString()],
    );
    return rows.map((row) => ({
      // A TIMESTAMP (the UTC wall time) comes back as the Date of that UTC instant.
      start: row.bucket as Date,
      readings: Number(row.readings),
      rides: Number(row.rides),
      bikes: Number(row.bikes),
      distanceMeters: Number(row.distance_meters),
      movingSeconds: Number(row.moving_seconds),
      energyWh: Number(row.energy_wh),
    }));
  }

  // --- what a replay's rewind reads (domain/curation-rewind.ts); ids go in as one comma-joined text ---

  async lastPoints(bikeIds: readonly string[], batch: number, from: Date, to: Date): Promise<Map<string, TrackState>> {
    const rows = await this.query(
      from,
      to,
      `SELECT bike_id, sequence, recorded_at, latitude, longitude, battery_percent, ride_id FROM (
         SELECT *, row_number() OVER (PARTITION BY bike_id ORDER BY sequence DESC) AS n FROM curated
         WHERE list_contains(string_split($2, ','), bike_id) AND curation_batch < $3::BIGINT
           AND recorded_at >= $4::TIMESTAMPTZ AND recorded_at < $5::TIMESTAMPTZ)
       WHERE n = 1`,
      [bikeIds.join(','), batch, from.toISOString(), to.toISOString()],
    );
    return new Map(
      rows.map((row) => [
        row.bike_id as string,
        {
          bikeId: row.bike_id as string,
          lastSequence: Number(row.sequence),
          lastRecordedAt: row.recorded_at as Date,
          latitude: row.latitude as number,
          longitude: row.longitude as number,
          batteryPercent: row.battery_percent as number,
          rideId: (row.ride_id as string | null) ?? undefined,
        },
      ]),
    );
  }

  async rideTotals(rideIds: readonly string[], batch: number, from: Date, to: Date): Promise<RideTotals[]> {
    const rows = await this.query(
      from,
      to,
      `SELECT ride_id, any_value(bike_id) AS bike_id, sum(segment_meters) AS distance_meters, sum(segment_moving_seconds) AS moving_seconds,
              sum(segment_wh) AS energy_wh, count(*) FILTER (WHERE NOT filled) AS reading_count, count(*) FILTER (WHERE filled) AS filled_count,
              min(recorded_at) AS first_recorded_at, max(recorded_at) AS last_recorded_at
       FROM curated
       WHERE list_contains(string_split($2, ','), ride_id) AND curation_batch < $3::BIGINT
         AND recorded_at >= $4::TIMESTAMPTZ AND recorded_at < $5::TIMESTAMPTZ
       GROUP BY ride_id`,
      [rideIds.join(','), batch, from.toISOString(), to.toISOString()],
    );
    return rows.map((row) => ({
      rideId: row.ride_id as string,
      bikeId: row.bike_id as string,
      distanceMeters: Number(row.distance_meters),
      movingSeconds: Number(row.moving_seconds),
      energyWh: Number(row.energy_wh),
      readingCount: Number(row.reading_count),
      filledCount: Number(row.filled_count),
      firstRecordedAt: row.first_recorded_at as Date,
      lastRecordedAt: row.last_recorded_at as Date,
    }));
  }

  async batchPartitions(batch: number, from: Date, to: Date): Promise<Map<number, string[]>> {
    const rows = await this.query(
      from,
      to,
      `SELECT DISTINCT curation_batch, date_trunc('hour', recorded_at AT TIME ZONE 'UTC') AS hour FROM curated
       WHERE curation_batch >= $2::BIGINT AND recorded_at >= $3::TIMESTAMPTZ AND recorded_at < $4::TIMESTAMPTZ`,
      [batch, from.toISOString(), to.toISOString()],
    );
    const partitions = new Map<number, string[]>();
    for (const row of rows) {
      // A TIMESTAMP (the UTC wall time) comes back as the Date of that UTC instant, as in fleetBuckets.
      const list = partitions.get(Number(row.curation_batch)) ?? [];
      list.push(hourPartition(row.hour as Date));
      partitions.set(Number(row.curation_batch), list);
    }
    return partitions;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    this.files.close();
  }
}

const VARCHAR_LIST = LIST(VARCHAR);

/** Appends one reading field's value in its column's DuckDB type. */
function appendField(appender: DuckDBAppender, type: (typeof CURATED_FIELDS)[number]['parquet'], value: unknown): void {
  if (value === undefined || value === null) return appender.appendNull();
  switch (type) {
    case 'VARCHAR':
      return appender.appendVarchar(value as string);
    case 'BIGINT':
      return appender.appendBigInt(BigInt(value as number));
    case 'TIMESTAMPTZ':
      return appender.appendTimestampTZ(timestampTZValue(BigInt((value as Date).getTime()) * 1000n));
    case 'DOUBLE':
      return appender.appendDouble(value as number);
    case 'INTEGER':
      return appender.appendInteger(value as number);
    case 'VARCHAR[]':
      return appender.appendList(listValue(value as string[]), VARCHAR_LIST);
  }
}

/** One curated point as a row of COLUMNS, in their order. */
function appendRow(appender: DuckDBAppender, point: CleanPoint, batchId: number): void {
  for (const field of CURATED_FIELDS) appendField(appender, field.parquet, point.reading[field.key]);
  appender.appendBoolean(point.filled);
  appender.appendList(listValue(point.flags), VARCHAR_LIST);
  appender.appendDouble(point.segmentMeters);
  appender.appendDouble(point.segmentMovingSeconds);
  appender.appendDouble(point.segmentWh);
  appender.appendBigInt(BigInt(batchId));
  appender.endRow();
}
