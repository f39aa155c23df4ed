// Bad input and crashes. A corpus of more than a hundred bad readings is refused reading by
// reading, each with its rule and reason, and every one is kept under rejects/; the service goes on.
// A `kill -9` right after acknowledgements loses nothing acknowledged and counts nothing twice:
// after a restart every acknowledged reading is in the raw zone, in the database once, and in the
// curated Parquet once. And a replay of the raw zone rebuilds the same aggregates.
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IngestResponse } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { describeWithPostgres } from '../support/postgres';
import { readingJson, TelematicsUnderTest } from '../support/telematics';
import { TEST_ENV } from '../support/stack';

const ROOT = join(__dirname, '..', '..');

/** Bad readings of every kind, several of each, with the rule that must refuse each. */
function junkCorpus(bikeId: string, unknownBike: string): { line: string; rule: string }[] {
  const corpus: { line: string; rule: string }[] = [];
  const now = Date.now();
  for (let n = 0; n < 6; n += 1) {
    const ok = readingJson(bikeId, 1000 + n);
    const variants: [Record<string, unknown> | string, string][] = [
      [`{"bikeId":"${bikeId}","sequence":${n}`, 'schema'],
      ['', 'schema'],
      [`[${n}]`, 'schema'],
      ['null', 'schema'],
      [{ ...ok, extra: n }, 'schema'],
      [{ ...ok, bikeId: `bike-${n}` }, 'schema'],
      [{ ...ok, sequence: -n }, 'schema'],
      [{ ...ok, recordTime: `2026-13-${n}` }, 'time.invalid'],
      [{ ...ok, faultCodes: ['lower case'] }, 'schema'],
      [{ ...ok, latitude: 90.5 + n }, 'range.latitude'],
      [{ ...ok, longitude: -180.5 - n }, 'range.longitude'],
      [{ ...ok, latitude: 0, longitude: 0 }, 'range.null_island'],
      [{ ...ok, batteryPercent: 100.5 + n }, 'range.battery'],
      [{ ...ok, speedKmh: 120 + n }, 'range.speed'],
      [{ ...ok, assistLevel: 6 + n }, 'range.assist_level'],
      [{ ...ok, recordTime: new Date(now + 3_600_000 * (n + 1)).toISOString() }, 'time.future'],
      [{ ...ok, recordTime: new Date(now - 86_400_000 * (8 + n)).toISOString() }, 'time.too_old'],
      [{ ...readingJson(unknownBike, n + 1) }, 'device.unknown'],
    ];
    for (const [value, rule] of variants) corpus.push({ line: typeof value === 'string' ? value : JSON.stringify(value), rule });
  }
  return corpus;
}

describeWithPostgres('telematics with bad input and crashes', () => {
  let telematics: TelematicsUnderTest;
  beforeAll(async () => {
    telematics = await TelematicsUnderTest.start();
  });
  afterAll(async () => {
    await telematics?.stop();
  });

  it('refuses each of more than a hundred bad readings with its reason, keeps all under rejects/, and keeps running', async () => {
    const { bikeId, deviceKey } = await telematics.provision();
    // Empty lines are no input at all; every other line is one.
    const corpus = junkCorpus(bikeId, randomUUID()).filter((entry) => entry.line !== '');
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    // Dropped as a file into the landing folder, the operator's door, which may name any bike.
    const landing = telematics.ready.landingDir;
    writeFileSync(join(landing, '.junk.part'), corpus.map((entry) => entry.line).join('\n'));
    renameSync(join(landing, '.junk.part'), join(landing, 'junk.ndjson'));
    const result = await eventually(async () => JSON.parse(readFileSync(join(landing, 'imported', 'junk.ndjson.result.json'), 'utf8')) as IngestResponse);
    expect(result).toMatchObject({ acceptedCount: 0, duplicateCount: 0, rejectedCount: corpus.length });
    expect(result.rejections.map((r) => r.rule)).toEqual(corpus.map((entry) => entry.rule));
    for (const rejection of result.rejections) expect(rejection.reason.length).toBeGreaterThan(10);
    // Each line is kept under rejects/ as it arrived, with its rule and reason.
    const payloads = new Set(corpus.map((entry) => entry.line));
    const kept = (await telematics.zoneLines('rejects')).filter((line) => line.door === 'file' && payloads.has(line.payload as string));
    expect(kept.map((line) => line.rule).sort()).toEqual(corpus.map((entry) => entry.rule).sort());
    expect(kept.every((line) => typeof line.reason === 'string' && line.reason.length > 10)).toBe(true);
    // Still healthy: a good reading goes through.
    const good = await telematics.post(JSON.stringify(readingJson(bikeId, 1)), { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' });
    expect(good).toMatchObject({ status: 202, body: { accepted: 1 } });
    const metrics = await telematics.metrics();
    expect(metrics).toMatch(/telematics_readings_rejected_total\{[^}]*door="file"[^}]*rule="range\.battery"[^}]*\} 6/);
  });

  it('after kill -9 right after acknowledgements, has every acknowledged reading raw, stored once and curated once', async () => {
    const { bikeId, deviceKey } = await telematics.provision();
    const rideId = randomUUID();
    const start = Date.now() - 60_000;
    const batches = Array.from({ length: 10 }, (_, b) =>
      Array.from({ length: 50 }, (_, n) => {
        const sequence = b * 50 + n + 1;
        return readingJson(bikeId, sequence, { rideId, recordTime: new Date(start + sequence * 100).toISOString() });
      }),
    );
    const acknowledged: number[] = [];
    await Promise.all(
      batches.map(async (batch) => {
        const answer = await telematics.post(batch.map((r) => JSON.stringify(r)).join('\n'), { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' });
        if (answer.status === 202) acknowledged.push(...batch.map((r) => r.sequence as number));
      }),
    );
    telematics.service.process.signal('SIGKILL'); // right after the last acknowledgement, mid-cleaning
    await telematics.service.process.waitForExit();
    expect(acknowledged).toHaveLength(500);

    // The raw zone had every acknowledged input before the acknowledgement.
    const raw = (await telematics.zoneLines('raw')).filter((line) => line.sender === bikeId && line.door === 'http');
    expect(new Set(raw.map((line) => JSON.parse(line.payload as string).sequence)).size).toBe(500);

    await telematics.restart();
    // The cleaner finishes what the crash interrupted; Parquet of a batch that never committed is removed.
    await eventually(async () => expect((await telematics.storedReadings(bikeId)).every((r) => r.curated)).toBe(true), { what: 'cleaning after restart' });
    const stored = await telematics.storedReadings(bikeId);
    expect(stored.map((r) => r.sequence)).toEqual(acknowledged.sort((a, b) => a - b));
    const curated = await telematics.curated<{ n: bigint; distinct_n: bigint }>(
      `SELECT count(*) AS n, count(DISTINCT sequence) AS distinct_n FROM curated WHERE bike_id = '${bikeId}' AND NOT filled`,
    );
    expect(curated).toEqual([{ n: 500n, distinct_n: 500n }]);
    const [totals] = await telematics.service.db.query<{ reading_count: number }>('SELECT reading_count FROM ride_totals WHERE ride_id = $1', [rideId]);
    expect(totals.reading_count).toBe(500);

    // Sent again after the restart: all duplicates.
    const again = await telematics.post(batches[0].map((r) => JSON.stringify(r)).join('\n'), { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 50 });
  });

  it('rebuilds the same aggregates from the raw zone with telematics:replay', async () => {
    const { bikeId, deviceKey } = await telematics.provision();
    const rideId = randomUUID();
    const start = Date.now() - 120_000;
    const track = Array.from({ length: 60 }, (_, n) =>
      readingJson(bikeId, n + 1, { rideId, latitude: 52.37 + n * 0.00005, recordTime: new Date(start + n * 1000).toISOString(), batteryPercent: 90 - n * 0.05 }),
    );
    // With a gap (filled), a GPS jump (dropped) and a duplicate among them, so the rules have work to redo.
    const sent = track.filter((r) => r.sequence !== 20).map((r) => (r.sequence === 30 ? { ...r, latitude: 52.5 } : r));
    await telematics.post([...sent, track[40]].map((r) => JSON.stringify(r)).join('\n'), { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' });
    const totalsOf = async () =>
      telematics.service.db.query('SELECT ride_id, bike_id, distance_meters, moving_seconds, energy_wh, reading_count, filled_count FROM ride_totals ORDER BY ride_id');
    await eventually(async () => expect((await telematics.storedReadings(bikeId)).every((r) => r.curated)).toBe(true));
    const before = await totalsOf();
    expect(before.find((row) => row.ride_id === rideId)).toMatchObject({ reading_count: 58, filled_count: 1 });
    const curatedBefore = await telematics.curated('SELECT count(*) AS n, round(sum(segment_meters), 6) AS meters FROM curated');

    await telematics.service.process.stop();
    const env = { ...process.env, ...TEST_ENV, TELEMATICS_DATABASE_URL: telematics.service.db.url, DATA_DIR: join(telematics.lakeDir, '..') };
    const replay = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'services/telematics/src/tools/replay.ts')], { env, encoding: 'utf8', timeout: 120_000 });
    expect(replay.stderr).toBe('');
    expect(replay.stdout).toMatch(/^replayed \d+ raw inputs/m);

    expect(await totalsOf()).toEqual(before);
    expect(await telematics.curated('SELECT count(*) AS n, round(sum(segment_meters), 6) AS meters FROM curated')).toEqual(curatedBefore);
    await telematics.restart();
  });
});
