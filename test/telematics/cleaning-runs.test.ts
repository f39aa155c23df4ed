// A cleaning run takes every shard its processor holds as one batch (one query, one file per hour
// partition, one commit), and a full batch is followed at once by the next: the least interval
// between runs is there to spare a busy stream many small files, and a full batch's files are as
// large as they get. On PGlite and on the PostgreSQL server.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../services/platform/src/logger';
import { Curation } from '../../services/telematics/src/domain/curation';
import { CuratedWarehouse } from '../../services/telematics/src/store/curated-warehouse';
import { TELEMATICS_MIGRATIONS, TelematicsStore } from '../../services/telematics/src/store/telematics-store';
import { curationMetrics } from '../../services/telematics/src/telematics-metrics';
import { LocalCuratedFiles } from '../../services/telematics/src/zones/curated-files';
import { TEST_CLEANING } from '../support/cleaning-input';
import { describeOnEachEngine } from '../support/engines';
import { eventually } from '../support/eventually';

const BIKES = Array.from({ length: 12 }, (_, n) => `0b0e7c1e-0000-4000-8000-${String(n + 1).padStart(12, '0')}`);
const READINGS_PER_BIKE = 5;
/** 09:00 on 2026-11-26: the readings arrived long ago, so no reorder window holds them. */
const NINE = Date.UTC(2026, 10, 26, 9, 0, 0);

describeOnEachEngine('cleaning runs', TELEMATICS_MIGRATIONS, (database) => {
  it('cleans every shard it holds in one batch a run, and runs the next at once after a full batch', async () => {
    const db = database();
    const store = new TelematicsStore(db);
    await store.insertReadings(
      BIKES.flatMap((bikeId, b) =>
        Array.from({ length: READINGS_PER_BIKE }, (_, i) => ({
          reading: { bikeId, sequence: i + 1, recordedAt: new Date(NINE + i * 1000), latitude: 52.37 + i * 0.00002, longitude: 4.9, speedKmh: 15, batteryPercent: 80, batteryVoltage: 40, odometerMeters: i * 2, assistLevel: 2, faultCodes: [], rideId: undefined },
          receivedAt: new Date(NINE + i * 1000 + b),
          door: 'http' as const,
        })),
      ),
    );
    // The twelve bikes lie in more than one of the eight shards.
    const [{ shards }] = await db.query<{ shards: number }>('SELECT count(DISTINCT mod(hashtext(bike_id::text)::bigint + 2147483648, 8))::int AS shards FROM readings');
    expect(shards).toBeGreaterThan(1);

    const dir = mkdtempSync(join(tmpdir(), 'ecowheels-cleaning-runs-'));
    const warehouse = await CuratedWarehouse.open(new LocalCuratedFiles(dir));
    const curation = new Curation({
      store,
      sink: warehouse,
      rejects: { write: async () => {} },
      settings: TEST_CLEANING,
      metrics: curationMetrics,
      logger: createLogger('test', 'silent'),
      // Ten minutes between runs after a batch that was not full: the test ends long before that.
      minIntervalMs: 600_000,
      batchLimit: 25,
      holder: 'runs',
      leaseMs: 60_000,
      shards: 8,
    });
    curation.start();
    try {
      await eventually(async () => expect((await store.waiting()).readings).toBe(0), { what: 'every reading cleaned', timeoutMs: 15_000 });
      const batches = await db.query<{ reading_count: number; shard: number; shards: number[] }>('SELECT reading_count, shard, shards FROM curation_batches ORDER BY id');
      // Two full batches and the rest, each over all eight shards (this processor is the only one).
      expect(batches).toEqual([25, 25, 10].map((count) => ({ reading_count: count, shard: 0, shards: [0, 1, 2, 3, 4, 5, 6, 7] })));
      // One file a batch: every reading was recorded in the 09:00 hour.
      const files = (readdirSync(dir, { recursive: true }) as string[]).filter((file) => file.endsWith('.parquet'));
      expect(files).toHaveLength(3);
    } finally {
      await curation.stop();
      warehouse.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
