// The local warehouse: curated readings as Parquet files partitioned by the hour they were recorded
// (curated/dt=YYYY-MM-DD/hour=HH/batch-<id>.parquet), written and queried with DuckDB. The same
// files are what BigQuery, Snowflake or Trino load in production (the README has the commands).
// Each cleaning batch writes its own files, named by the batch id, before the batch commits in the
// database; at start, files of batches that never committed (a crash in between) are removed, so
// no reading is counted twice.
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, LIST, listValue, timestampTZValue, VARCHAR, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import type { CleanPoint } from '../domain/track-cleaning';
import { hourPartition } from '../zones/zone-store';

/** The columns of a curated Parquet file, in order, with DuckDB types (appendRow writes them in this order). */
const COLUMNS: Record<string, string> = {
  bike_id: 'VARCHAR',
  sequence: 'BIGINT',
  recorded_at: 'TIMESTAMPTZ',
  latitude: 'DOUBLE',
  longitude: 'DOUBLE',
  speed_kmh: 'DOUBLE',
  battery_percent: 'DOUBLE',
  battery_voltage: 'DOUBLE',
  odometer_meters: 'DOUBLE',
  assist_level: 'INTEGER',
  fault_codes: 'VARCHAR[]',
  ride_id: 'VARCHAR',
  filled: 'BOOLEAN',
  flags: 'VARCHAR[]',
  segment_meters: 'DOUBLE',
  segment_moving_seconds: 'DOUBLE',
  segment_wh: 'DOUBLE',
  curation_batch: 'BIGINT',
};

export interface FleetBucket {
  start: Date;
  readings: number;
  rides: number;
  bikes: number;
  distanceMeters: number;
  movingSeconds: number;
  energyWh: number;
}

const BATCH_FILE = /^batch-(\d+)\.parquet$/;
const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;

export class CuratedWarehouse {
  private constructor(
    private readonly root: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** `root` is the telematics data folder; the files go under root/curated. */
  static async open(root: string): Promise<CuratedWarehouse> {
    mkdirSync(join(root, 'curated'), { recursive: true });
    // One thread and a small memory budget: the warehouse only stages a batch at a time here, and
    // the service's footprint matters more than DuckDB's speed on large scans.
    const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '64MB' });
    const connection = await instance.connect();
    const columns = Object.entries(COLUMNS).map(([column, type]) => `${column} ${type}`).join(', ');
    await connection.run(`CREATE TABLE staging (${columns})`);
    return new CuratedWarehouse(root, instance, connection);
  }

  get curatedDir(): string {
    return join(this.root, 'curated');
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
      const dir = join(this.curatedDir, partition);
      mkdirSync(dir, { recursive: true });
      const name = `batch-${String(batchId).padStart(12, '0')}.parquet`;
      // Rows go in through DuckDB's appender (no text round trip), then out as one Parquet file,
      // written under a temporary name and renamed: a reader never sees half a file.
      const appender = await this.connection.createAppender('staging');
      for (const point of group) appendRow(appender, point, batchId);
      appender.closeSync();
      await this.connection.run(`COPY staging TO ${sqlString(join(dir, `.${name}`))} (FORMAT parquet, COMPRESSION zstd)`);
      await this.connection.run('DELETE FROM staging');
      renameSync(join(dir, `.${name}`), join(dir, name));
    }
    return byHour.size;
  }

  /** Removes the files of batches after `lastCommitted`: written by a run that crashed before committing. */
  removeUncommitted(lastCommitted: number): string[] {
    const removed: string[] = [];
    for (const path of this.files()) {
      const match = BATCH_FILE.exec(path.split('/').pop() ?? '');
      if (match && Number(match[1]) > lastCommitted) {
        rmSync(path, { force: true });
        removed.push(path);
      }
    }
    return removed;
  }

  /** Removes every curated file (a full replay rebuilds them). */
  clear(): void {
    rmSync(this.curatedDir, { recursive: true, force: true });
    mkdirSync(this.curatedDir, { recursive: true });
  }

  private files(): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of safeReaddir(dir)) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.parquet') && !entry.name.startsWith('.')) found.push(path);
      }
    };
    walk(this.curatedDir);
    return found;
  }

  /** Runs a query over every curated reading, as the view `curated`; none yet answers no rows. */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    const glob = join(this.curatedDir, '*', '*', '*.parquet');
    try {
      const reader = await this.connection.runAndReadAll(
        `WITH curated AS (SELECT * FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, union_by_name = true)) ${sql}`,
      );
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (error) {
      // DuckDB's answer before the first batch is written; asked instead of walking the folders on every query.
      if (error instanceof Error && error.message.includes('No files found that match the pattern')) return [];
      throw error;
    }
  }

  /** The fleet's totals per day or hour (UTC) in [from, to), from the curated files. */
  async fleetBuckets(from: Date, to: Date, groupBy: 'day' | 'hour'): Promise<FleetBucket[]> {
    const rows = await this.query(
      `SELECT date_trunc('${groupBy}', recorded_at AT TIME ZONE 'UTC') AS bucket,
              count(*) FILTER (WHERE NOT filled) AS readings,
              count(DISTINCT ride_id) AS rides,
              count(DISTINCT bike_id) AS bikes,
              coalesce(sum(segment_meters), 0) AS distance_meters,
              coalesce(sum(segment_moving_seconds), 0) AS moving_seconds,
              coalesce(sum(segment_wh), 0) AS energy_wh
       FROM curated
       WHERE recorded_at >= ${sqlString(from.toISOString())}::TIMESTAMPTZ AND recorded_at < ${sqlString(to.toISOString())}::TIMESTAMPTZ
       GROUP BY 1 ORDER BY 1`,
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

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

const VARCHAR_LIST = LIST(VARCHAR);

/** One curated point as a row of COLUMNS, in their order. */
function appendRow(appender: DuckDBAppender, point: CleanPoint, batchId: number): void {
  const r = point.reading;
  appender.appendVarchar(r.bikeId);
  appender.appendBigInt(BigInt(r.sequence));
  appender.appendTimestampTZ(timestampTZValue(BigInt(r.recordedAt.getTime()) * 1000n));
  appender.appendDouble(r.latitude);
  appender.appendDouble(r.longitude);
  appender.appendDouble(r.speedKmh);
  appender.appendDouble(r.batteryPercent);
  appender.appendDouble(r.batteryVoltage);
  appender.appendDouble(r.odometerMeters);
  appender.appendInteger(r.assistLevel);
  appender.appendList(listValue(r.faultCodes), VARCHAR_LIST);
  if (r.rideId) appender.appendVarchar(r.rideId);
  else appender.appendNull();
  appender.appendBoolean(point.filled);
  appender.appendList(listValue(point.flags), VARCHAR_LIST);
  appender.appendDouble(point.segmentMeters);
  appender.appendDouble(point.segmentMovingSeconds);
  appender.appendDouble(point.segmentWh);
  appender.appendBigInt(BigInt(batchId));
  appender.endRow();
}

function safeReaddir(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
