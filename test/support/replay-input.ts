// The range replay's tests: rides of four bikes that arrive over three hours (2026-11-26, 09:00 to
// 12:00 UTC), ingested as the service ingests them live, and what was derived from them.
//
// The input, with F = 10:00, the start of the range the tests replay:
// - bike A: a GPS jump and a late reading before F (both decided before F), and a missing reading
//   whose gap is filled at 10:00:00, when the reading after it arrives (after F);
// - bike B: a reading that arrives just before F, held by the reorder window for its predecessor,
//   which arrives just after F; a GPS jump after F;
// - bike C: the same held reading just before F, which is also a GPS jump (so its refusal lies in
//   the hour before F, written by a batch after F); a reading that arrives an hour late;
// - bike D: a ride entirely before F, and another one an hour after.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openServiceDatabase } from '../../services/platform/src/database/migrations';
import { createLogger } from '../../services/platform/src/logger';
import { readTelematicsConfig } from '../../services/telematics/src/config';
import { OPERATOR_SENDER } from '../../services/telematics/src/domain/ingest-pipeline';
import type { Arrival } from '../../services/telematics/src/domain/reading';
import { CuratedWarehouse } from '../../services/telematics/src/store/curated-warehouse';
import { DeviceCredentialStore } from '../../services/telematics/src/store/device-credential-store';
import { TELEMATICS_MIGRATIONS } from '../../services/telematics/src/store/telematics-store';
import { openTelematics } from '../../services/telematics/src/telematics-core';
import { LocalCuratedFiles } from '../../services/telematics/src/zones/curated-files';
import { FileZoneStore } from '../../services/telematics/src/zones/file-zone-store';
import type { TestDatabase } from './postgres';
import { readingJson } from './telematics';

export const hour = (h: number) => new Date(Date.UTC(2026, 10, 26, h));
const at = (h: number, m: number, s: number) => Date.UTC(2026, 10, 26, h, m, 0) + s * 1000;

const id = (kind: 'bike' | 'ride', n: number) => `${kind === 'bike' ? '0b0e7c1e' : '1d0e7c1e'}-0000-4000-8000-${String(n).padStart(12, '0')}`;
export const BIKES = [1, 2, 3, 4].map((n) => id('bike', n));
const [A, B, C, D] = BIKES;

/** One bike's reading every 4 s from `start`, riding north at about 18 km/h, arriving 0.3 s later. */
function ride(bikeId: string, rideId: string, start: number, sequences: number[], odd: Record<number, { arrives?: number; never?: true; jump?: true }> = {}): Arrival[] {
  return sequences.flatMap((sequence, n) => {
    const special = odd[sequence] ?? {};
    if (special.never) return [];
    const recordedAt = start + n * 4000;
    const payload = readingJson(bikeId, sequence, {
      recordTime: new Date(recordedAt).toISOString(),
      latitude: 52.37 + sequence * 0.00018 + (special.jump ? 0.05 : 0),
      speedKmh: 18,
      batteryPercent: 90 - sequence * 0.1,
      rideId,
    });
    return [{ door: 'file', sender: OPERATOR_SENDER, receivedAt: new Date(special.arrives ?? recordedAt + 300), encoding: 'json', payload: JSON.stringify(payload) }];
  });
}

const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, n) => first + n);

/** Every input, in the order it arrived. */
export function replayInput(): Arrival[] {
  const inputs = [
    ...ride(A, id('ride', 1), at(9, 58, 20), range(1, 30), { 5: { arrives: at(9, 59, 10) }, 10: { jump: true }, 26: { never: true } }),
    ...ride(B, id('ride', 2), at(9, 58, 31.5), range(1, 30), { 22: { arrives: at(10, 0, 0.3) }, 28: { jump: true } }),
    ...ride(C, id('ride', 3), at(9, 58, 33), range(1, 40), {
      20: { arrives: at(10, 0, 0.4) },
      21: { arrives: at(9, 59, 59.6), jump: true },
      22: { arrives: at(10, 0, 0.5) },
      30: { arrives: at(11, 5, 0) },
    }),
    ...ride(D, id('ride', 4), at(9, 20, 0), range(1, 10)),
    ...ride(D, id('ride', 5), at(11, 10, 0), range(11, 20)),
  ];
  return inputs.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
}

export const testEnv = (server: TestDatabase, dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  LOG_LEVEL: 'silent',
  DATA_DIR: dataDir,
  TELEMATICS_DATABASE_URL: server.url,
  ...extra,
});

/**
 * Ingests the inputs as the service does live, with their arrival times as the clock: each
 * arrival's inputs go to raw/ and through the pipeline, and the cleaner runs then.
 */
export async function ingestLive(env: NodeJS.ProcessEnv, inputs: Arrival[]): Promise<void> {
  const config = readTelematicsConfig(env);
  const { db } = await openServiceDatabase({ ...config.database, migrations: TELEMATICS_MIGRATIONS });
  const devices = new DeviceCredentialStore(db);
  for (const bikeId of BIKES) await devices.saveDevice({ bikeId, secretHash: '0'.repeat(64) }, false);
  // `live: false` leaves raw/ to its caller (a replay only reads it) and the cleaner's clock too:
  // raw/ is written here as the pipeline's flush writes it.
  const core = await openTelematics(config, db, createLogger('ingest', 'silent'), { live: false });
  try {
    const rounds = new Map<number, Arrival[]>();
    for (const input of inputs) rounds.set(input.receivedAt.getTime(), [...(rounds.get(input.receivedAt.getTime()) ?? []), input]);
    for (const [time, round] of rounds) {
      await core.zone.write(round.map((input) => ({ zone: 'raw' as const, at: input.receivedAt, line: JSON.stringify({ ...input, receivedAt: input.receivedAt.toISOString() }) })));
      await core.pipeline.submit(round);
      await core.curation.cleanEverything(new Date(time));
    }
  } finally {
    await core.stop();
    await db.close();
  }
}

/** What was derived from the input, with the batch ids left out (a replay's batches are new ones). */
export interface Derived {
  rideTotals: unknown[];
  bikeTracks: unknown[];
  trackPoints: unknown[];
  readings: unknown[];
  /** Every curated row (rounded to µm and µWh), and the sums per ride and recorded hour. */
  curated: string[];
  curatedSums: string[];
  /** Every reject line, by its partition, without the batch that wrote it. */
  rejects: string[];
}

export async function derived(server: TestDatabase, dataDir: string): Promise<Derived> {
  const rideTotals = await server.query(
    `SELECT ride_id, bike_id, round(distance_meters::numeric, 6)::text AS distance, round(moving_seconds::numeric, 6)::text AS moving,
            round(energy_wh::numeric, 6)::text AS energy, reading_count, filled_count, first_recorded_at, last_recorded_at FROM ride_totals ORDER BY ride_id`,
  );
  const bikeTracks = await server.query('SELECT * FROM bike_tracks ORDER BY bike_id');
  const trackPoints = await server.query('SELECT * FROM track_points ORDER BY ride_id, sequence');
  const readings = await server.query('SELECT bike_id, sequence, received_at, door, curation_batch IS NULL AS waiting FROM readings ORDER BY bike_id, sequence');
  const warehouse = await CuratedWarehouse.open(new LocalCuratedFiles(join(dataDir, 'telematics-lake', 'curated')));
  warehouse.hideUncommitted(async () => (await server.query<{ batch_id: string }>('SELECT batch_id FROM curation_intents')).map((row) => Number(row.batch_id)));
  try {
    const curated = (
      await warehouse.query(
        hour(0),
        hour(24),
        `SELECT bike_id, sequence, filled, flags, round(segment_meters, 6) AS meters, round(segment_wh, 6) AS wh, round(segment_moving_seconds, 6) AS moving
         FROM curated ORDER BY bike_id, sequence`,
      )
    ).map((row) => `${row.bike_id}/${row.sequence}/${row.filled}/${String(row.flags)}/${row.meters}/${row.wh}/${row.moving}`);
    const curatedSums = (
      await warehouse.query(
        hour(0),
        hour(24),
        `SELECT ride_id, date_trunc('hour', recorded_at AT TIME ZONE 'UTC') AS hour, count(*) FILTER (WHERE NOT filled) AS readings,
                count(*) FILTER (WHERE filled) AS filled, round(sum(segment_meters), 6) AS meters, round(sum(segment_wh), 6) AS wh
         FROM curated GROUP BY 1, 2 ORDER BY 1, 2`,
      )
    ).map((row) => `${row.ride_id}/${(row.hour as Date).toISOString()}/${row.readings}/${row.filled}/${row.meters}/${row.wh}`);
    return { rideTotals, bikeTracks, trackPoints, readings, curated, curatedSums, rejects: await rejectLines(dataDir, (line) => withoutBatch(line)) };
  } finally {
    warehouse.close();
  }
}

/** Every line of rejects/ as "<partition> <line>" (as `shown` shows it), sorted. */
export async function rejectLines(dataDir: string, shown: (line: string) => string = (line) => line): Promise<string[]> {
  const lake = new FileZoneStore(join(dataDir, 'telematics-lake'), 'reader');
  const lines: string[] = [];
  for (const key of await lake.list('rejects', hour(0), hour(24))) {
    for (const line of await lake.read(key)) lines.push(`${key.slice(0, key.lastIndexOf('/'))} ${shown(line)}`);
  }
  return lines.sort();
}

const withoutBatch = (line: string) => JSON.stringify({ ...(JSON.parse(line) as object), curationBatch: undefined });

/** The batch a reject line names, if a cleaning batch wrote it. */
export const batchOfLine = (line: string) => (JSON.parse(line.slice(line.indexOf(' ') + 1)) as { curationBatch?: number }).curationBatch;

/** Each curated file ("dt=…/hour=…/batch-….parquet") with its batch and a hash of its bytes. */
export function curatedFiles(dataDir: string): { path: string; batch: number; sha256: string }[] {
  const dir = join(dataDir, 'telematics-lake', 'curated');
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((path) => /batch-\d+\.parquet$/.test(path))
    .sort()
    .map((path) => ({ path, batch: Number(/batch-(\d+)/.exec(path)![1]), sha256: createHash('sha256').update(readFileSync(join(dir, path))).digest('hex') }));
}
