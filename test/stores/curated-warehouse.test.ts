// The warehouse's own faults, on DuckDB and a curated folder: a batch whose COPY failed leaves
// nothing staged for the next batch's files, and a warehouse with no file yet answers no rows.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CleanPoint } from '../../services/telematics/src/domain/track-cleaning';
import { CuratedWarehouse } from '../../services/telematics/src/store/curated-warehouse';
import { LocalCuratedFiles } from '../../services/telematics/src/zones/curated-files';
import { hourPartition } from '../../services/telematics/src/zones/zone-store';

const RECORDED = new Date('2026-11-26T09:30:00Z');
const DAY = { from: new Date('2026-11-26T00:00:00Z'), to: new Date('2026-11-27T00:00:00Z') };

const point = (sequence: number): CleanPoint => ({
  reading: { bikeId: '0b0e7c1e-0000-4000-8000-0000000000c1', sequence, recordedAt: new Date(RECORDED.getTime() + sequence * 1000), latitude: 52.37, longitude: 4.9, speedKmh: 15, batteryPercent: 80, batteryVoltage: 40, odometerMeters: sequence * 10, assistLevel: 2, faultCodes: [], rideId: undefined },
  filled: false,
  flags: [],
  segmentMeters: 10,
  segmentMovingSeconds: 1,
  segmentWh: 0.1,
});

describe('the curated warehouse', () => {
  let dir: string;
  let warehouse: CuratedWarehouse;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ecowheels-warehouse-'));
    warehouse = await CuratedWarehouse.open(new LocalCuratedFiles(dir));
  });
  afterEach(() => {
    warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers no rows before the first batch', async () => {
    expect(await warehouse.fleetBuckets(DAY.from, DAY.to, 'day')).toEqual([]);
  });

  it('writes none of a failed batch into the next batch\'s files', async () => {
    // Where batch 1's file is staged, a folder: its COPY fails, as it would on a full disk.
    const staged = join(dir, `.${hourPartition(RECORDED).replace('/', '-')}-batch-000000000001.parquet`);
    mkdirSync(staged);
    await expect(warehouse.writeBatch(1, [point(1), point(2), point(3)])).rejects.toThrow();
    rmSync(staged, { recursive: true });

    await warehouse.writeBatch(2, [point(4)]);
    const rows = await warehouse.query(DAY.from, DAY.to, 'SELECT curation_batch, sequence FROM curated ORDER BY sequence');
    expect(rows).toEqual([{ curation_batch: 2n, sequence: 4n }]);
    const [bucket] = await warehouse.fleetBuckets(DAY.from, DAY.to, 'hour');
    expect({ readings: bucket.readings, distanceMeters: bucket.distanceMeters }).toEqual({ readings: 1, distanceMeters: 10 });
  });
});
