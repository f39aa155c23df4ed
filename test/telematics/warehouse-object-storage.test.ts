// The warehouse past one machine: the curated Parquet partitions in an S3-compatible bucket
// (s3rver, started here), written by the cleaner and read by any replica through its own cache;
// fleetImpact answers from the bucket; and files of a batch that never committed are removed by the
// next cleaning run, whichever process left them, so nothing is counted twice.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { SCOPES_HEADER } from '../../services/platform/src/graphql/subgraph-server';
import { createLogger } from '../../services/platform/src/logger';
import { Curation } from '../../services/telematics/src/domain/curation';
import { TELEMATICS_MIGRATIONS, TelematicsStore } from '../../services/telematics/src/store/telematics-store';
import { curationMetrics } from '../../services/telematics/src/telematics-metrics';
import { LocalCuratedFiles } from '../../services/telematics/src/zones/curated-files';
import { CuratedWarehouse } from '../../services/telematics/src/store/curated-warehouse';
import { S3CuratedFiles } from '../../services/telematics/src/zones/s3-curated-files';
import { S3Bucket } from '../../services/telematics/src/zones/s3-bucket';
import { describeOnEachEngine } from '../support/engines';
import { eventually } from '../support/eventually';
import { graphql } from '../support/graphql-client';
import { describeWithPostgres } from '../support/postgres';
import { S3_CREDENTIALS, S3Server } from '../support/s3-server';
import { testCredentials } from '../support/stack';
import { readingJson, TelematicsUnderTest } from '../support/telematics';

const BUCKET = 'ecowheels-warehouse';
let server: S3Server;
let endpoint: string;

beforeAll(async () => {
  server = await S3Server.start([BUCKET]);
  endpoint = server.endpoint;
});
afterAll(async () => {
  await server?.stop();
});

const s3 = (prefix: string) => ({ url: `s3://${BUCKET}/${prefix}`, endpoint, region: 'eu-west-1' });
const cacheDir = () => mkdtempSync(join(tmpdir(), 'ecowheels-curated-cache-'));
const DAY = { from: new Date('2026-11-26T00:00:00Z'), to: new Date('2026-11-27T00:00:00Z') };

/** A cleaner on its own store and warehouse, as one processor has them. */
function cleaner(store: TelematicsStore, warehouse: CuratedWarehouse, holder: string, batchLimit = 1000) {
  return new Curation({
    store,
    sink: warehouse,
    rejects: { write: async () => {} },
    settings: { reorderWindowMs: 0, maxImpliedSpeedKmh: 60, flagSpeedKmh: 45, maxFillGapMs: 30_000, maxFillReadings: 10, movingSpeedKmh: 2, packCapacityWh: 500 },
    metrics: curationMetrics,
    logger: createLogger('test', 'silent'),
    minIntervalMs: 0,
    batchLimit,
    holder,
    leaseMs: 5000,
    shards: 1,
  });
}

/** Takes the one shard's lease for `holder`: `leaseMs` 0 lets the next holder take it over at once. */
async function hold(store: TelematicsStore, holder: string, leaseMs: number) {
  await store.cleanerShards(1);
  const [lease] = await store.claimShards(holder, leaseMs, 1);
  return { ...lease, holder };
}

describeOnEachEngine('curated files of a batch that never committed', TELEMATICS_MIGRATIONS, (database, engine) => {
  it.each(['folder', 'bucket'])('are removed by the next run, in a %s, and every reading is counted once', async (kind) => {
    const db = database();
    const store = new TelematicsStore(db);
    const bikeId = kind === 'bucket' ? '0b0e7c1e-0000-4000-8000-00000000000b' : '0b0e7c1e-0000-4000-8000-00000000000a';
    // Half in 09:00, half in 10:00 (two partitions).
    const at = (i: number) => new Date(Date.UTC(2026, 10, 26, 9, 59, 45 + i));
    const readings = Array.from({ length: 30 }, (_, i) => ({
      reading: { bikeId, sequence: i + 1, recordedAt: at(i), latitude: 52.37 + i * 0.0001, longitude: 4.9, speedKmh: 15, batteryPercent: 80, batteryVoltage: 40, odometerMeters: i * 10, assistLevel: 2, faultCodes: [], rideId: undefined },
      receivedAt: at(i),
      door: 'http' as const,
    }));
    await store.insertReadings(readings);
    const localDir = cacheDir();
    const files = () => (kind === 'bucket' ? new S3CuratedFiles(s3(`intents-${engine}-${kind}`), localDir) : new LocalCuratedFiles(localDir));
    const first = await CuratedWarehouse.open(files());
    // The first holder writes its files, then dies before its commit (the database refuses it here).
    const failing = Object.assign(Object.create(store) as TelematicsStore, {
      commitCuration: async () => {
        throw new Error('killed before the commit');
      },
    });
    const earlier = new Set(await store.uncommittedBatchIds()); // the other case's, on the same database
    await expect(cleaner(failing, first, 'first').runOnce(at(59), [await hold(store, 'first', 0)])).rejects.toThrow('killed before the commit');
    expect((await store.uncommittedIntents([0])).filter((intent) => !earlier.has(intent.batchId))).toEqual([{ batchId: expect.any(Number), shards: [0], partitions: ['dt=2026-11-26/hour=09', 'dt=2026-11-26/hour=10'] }]);
    first.close();

    // The next holder (another process, with its own cache of the bucket) removes them first.
    const second = await CuratedWarehouse.open(kind === 'bucket' ? new S3CuratedFiles(s3(`intents-${engine}-${kind}`), cacheDir()) : new LocalCuratedFiles(localDir));
    try {
      // Smaller batches than the first holder's, under new batch ids: only removing the dead holder's
      // files keeps them from being counted with the next batches' (this warehouse is not told which
      // batches did not commit, so it would read them).
      const next = cleaner(store, second, 'second', 15);
      const lease = await hold(store, 'second', 60_000);
      await next.removeUncommitted([lease]);
      expect((await next.runOnce(at(59), [lease])).decided).toBe(15);
      expect((await next.runOnce(at(59), [lease])).decided).toBe(15);
      // The dead holder's batch stays listed (abandoned), so a late file of it would not be read.
      expect((await store.uncommittedBatchIds()).filter((batchId) => !earlier.has(batchId))).toHaveLength(1);
      const [row] = await second.query(DAY.from, DAY.to, `SELECT count(*) AS n, count(DISTINCT sequence) AS d FROM curated WHERE bike_id = '${bikeId}'`);
      expect({ n: Number(row.n), d: Number(row.d) }).toEqual({ n: 30, d: 30 });
    } finally {
      await store.releaseShards('second', [0]);
      second.close();
    }
  });
});

describe('the warehouse in an S3-compatible bucket', () => {
  it('is read by another replica through its own cache, which follows the bucket', async () => {
    const writer = await CuratedWarehouse.open(new S3CuratedFiles(s3('replicas'), cacheDir()));
    const reader = await CuratedWarehouse.open(new S3CuratedFiles(s3('replicas'), cacheDir()));
    try {
      const point = (bikeId: string, second: number, hour: number) => ({
        reading: { bikeId, sequence: second, recordedAt: new Date(Date.UTC(2026, 10, 26, hour, 0, second)), latitude: 52.37, longitude: 4.9, speedKmh: 15, batteryPercent: 80, batteryVoltage: 40, odometerMeters: 0, assistLevel: 2, faultCodes: [], rideId: undefined },
        filled: false,
        flags: [],
        segmentMeters: 10,
        segmentMovingSeconds: 1,
        segmentWh: 0.1,
      });
      expect(await writer.writeBatch(1, [point('a', 1, 9), point('a', 2, 9), point('b', 1, 10)])).toBe(2);
      const keys = (await new S3Bucket(s3('replicas')).list('')).map(({ key }) => key);
      expect(keys).toEqual(['replicas/dt=2026-11-26/hour=09/batch-000000000001.parquet', 'replicas/dt=2026-11-26/hour=10/batch-000000000001.parquet']);
      expect((await reader.fleetBuckets(DAY.from, DAY.to, 'hour')).map((bucket) => [bucket.start.toISOString(), bucket.readings, bucket.distanceMeters])).toEqual([
        ['2026-11-26T09:00:00.000Z', 2, 20],
        ['2026-11-26T10:00:00.000Z', 1, 10],
      ]);
      // A file the bucket no longer holds leaves the reader's cache at its next query.
      await writer.removeBatch(1, ['dt=2026-11-26/hour=10']);
      expect((await reader.fleetBuckets(DAY.from, DAY.to, 'day')).map((bucket) => bucket.readings)).toEqual([2]);
      // A day no query asked for is not downloaded.
      expect(await reader.fleetBuckets(new Date('2026-11-25T00:00:00Z'), DAY.from, 'day')).toEqual([]);
    } finally {
      writer.close();
      reader.close();
    }
  });
});

describeWithPostgres('the telematics service with its warehouse in a bucket (TELEMATICS_WAREHOUSE_URL)', () => {
  it('uploads the curated partitions and answers fleetImpact from the bucket, also with its cache gone', async () => {
    const telematics = await TelematicsUnderTest.start({ TELEMATICS_WAREHOUSE_URL: `s3://${BUCKET}/service`, TELEMATICS_S3_ENDPOINT: endpoint, ...S3_CREDENTIALS });
    try {
      const { bikeId, deviceKey } = await telematics.provision();
      const body = Array.from({ length: 20 }, (_, i) => JSON.stringify(readingJson(bikeId, i + 1))).join('\n');
      expect(await telematics.post(body, { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' })).toMatchObject({ status: 202, body: { accepted: 20 } });
      await eventually(async () => expect((await telematics.storedReadings(bikeId)).every((reading) => reading.curated)).toBe(true), { what: 'the readings to be curated' });
      const keys = (await new S3Bucket(s3('service')).list('')).map(({ key }) => key);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((key) => /^service\/dt=\d{4}-\d\d-\d\d\/hour=\d\d\/batch-\d{12}\.parquet$/.test(key))).toBe(true);

      const dispatcher = httpDispatcher(testCredentials('gateway'));
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const fleet = async () => {
        const answer = await graphql(telematics.service.process.graphqlUrl, `{ fleetImpact(from: "${from}", to: "${to}", groupBy: DAY) { readings distanceMeters } }`, { dispatcher, headers: { [SCOPES_HEADER]: 'ops' } });
        expect(answer.errors).toBeUndefined();
        return answer.data!.fleetImpact as { readings: number; distanceMeters: number }[];
      };
      const before = await fleet();
      expect(before.reduce((sum, bucket) => sum + bucket.readings, 0)).toBeGreaterThanOrEqual(20);
      // The local copy is only a cache: without it the same answer comes from the bucket.
      rmSync(join(telematics.lakeDir, 'curated'), { recursive: true, force: true });
      expect(await fleet()).toEqual(before);
      expect(existsSync(join(telematics.lakeDir, 'curated'))).toBe(true);
    } finally {
      await telematics.stop();
    }
  });
});
