// The local warehouse: curated readings as Parquet files partitioned by the hour they were recorded
// (curated/dt=YYYY-MM-DD/hour=HH/batch-<id>.parquet), written and queried with DuckDB. The same
// files are what BigQuery, Snowflake or Trino load in production (the README has the commands).
// Each cleaning batch writes its own files, named by the batch id, before the batch commits in the
// database; at start, files of batches that never committed (a crash in between) are removed, so
// no reading is counted twice.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { CleanPoint } from '../domain/track-cleaning';

/** The columns of a curated Parquet file, in order, with DuckDB types. */
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
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    return new CuratedWarehouse(root, instance, await instance.connect());
  }

  get curatedDir(): string {
    return join(this.root, 'curated');
  }

  /** Writes a batch's points, one file per recorded hour. Rewriting the same batch replaces its files. */
  async writeBatch(batchId: number, points: readonly CleanPoint[]): Promise<number> {
    const byHour = new Map<string, CleanPoint[]>();
    for (const point of points) {
      const iso = point.reading.recordedAt.toISOString();
      const partition = `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
      byHour.set(partition, [...(byHour.get(partition) ?? []), point]);
    }
    let files = 0;
    for (const [partition, group] of byHour) {
      const dir = join(this.curatedDir, partition);
      mkdirSync(dir, { recursive: true });
      const name = `batch-${String(batchId).padStart(12, '0')}.parquet`;
      const staging = join(dir, `.${name}.ndjson`);
      writeFileSync(staging, group.map((point) => JSON.stringify(rowOf(point, batchId))).join('\n'));
      const columns = Object.entries(COLUMNS).map(([column, type]) => `${column}: ${sqlString(type)}`).join(', ');
      // Written under a temporary name and renamed: a reader never sees half a file.
      await this.connection.run(
        `COPY (SELECT * FROM read_json(${sqlString(staging)}, format = 'newline_delimited', columns = {${columns}}))
         TO ${sqlString(join(dir, `.${name}`))} (FORMAT parquet, COMPRESSION zstd)`,
      );
      renameSync(join(dir, `.${name}`), join(dir, name));
      rmSync(staging, { force: true });
      files += 1;
    }
    return files;
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

  /** Runs a query over every curated reading, as the view `curated`. */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    if (this.files().length === 0) return [];
    const glob = sqlString(join(this.curatedDir, '*', '*', '*.parquet'));
    const reader = await this.connection.runAndReadAll(
      `WITH curated AS (SELECT * FROM read_parquet(${glob}, hive_partitioning = true, union_by_name = true)) ${sql}`,
    );
    return reader.getRowObjectsJS() as Record<string, unknown>[];
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

function rowOf(point: CleanPoint, batchId: number) {
  const r = point.reading;
  return {
    bike_id: r.bikeId,
    sequence: r.sequence,
    recorded_at: r.recordedAt.toISOString(),
    latitude: r.latitude,
    longitude: r.longitude,
    speed_kmh: r.speedKmh,
    battery_percent: r.batteryPercent,
    battery_voltage: r.batteryVoltage,
    odometer_meters: r.odometerMeters,
    assist_level: r.assistLevel,
    fault_codes: r.faultCodes,
    ride_id: r.rideId ?? null,
    filled: point.filled,
    flags: point.flags,
    segment_meters: point.segmentMeters,
    segment_moving_seconds: point.segmentMovingSeconds,
    segment_wh: point.segmentWh,
    curation_batch: batchId,
  };
}

function safeReaddir(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
