// A reading's record_time that is no time at all, through the HTTPS door and the gRPC stream: a
// protobuf Timestamp beyond a JavaScript Date (seconds 1e15) or with nanos out of range, and JSON
// text that is not RFC 3339. Each such reading is refused on its own as `time.invalid` and kept
// under rejects/ with its reason; the good readings around it are stored, and the answer says so.
// Before, the protobuf one failed the whole batch (503, gRPC INTERNAL) and a device retried forever.
import { Reading } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { describeWithPostgres } from '../support/postgres';
import { encodedBatch, readingWithWireTime } from '../support/reading-wire';
import { readingJson, TelematicsUnderTest } from '../support/telematics';

const good = (bikeId: string, sequence: number) => Reading.fromJSON(readingJson(bikeId, sequence));

describeWithPostgres('telematics record times that are no time', () => {
  let telematics: TelematicsUnderTest;
  beforeAll(async () => {
    telematics = await TelematicsUnderTest.start();
  });
  afterAll(async () => {
    await telematics?.stop();
  });

  const post = (deviceKey: string, body: string | Uint8Array, type: string) => telematics.post(body, { authorization: `Bearer ${deviceKey}`, 'content-type': type });
  const rejectsOf = async (bikeId: string) => (await telematics.zoneLines('rejects')).filter((line) => line.bikeId === bikeId);

  it('refuses a protobuf reading whose seconds are beyond a Date over HTTPS, and stores the good ones around it (202)', async () => {
    const { bikeId, deviceKey } = await telematics.provision();
    const poison = readingWithWireTime(readingJson(bikeId, 2), { seconds: 1e15 });
    const answer = await post(deviceKey, encodedBatch([good(bikeId, 1), poison, good(bikeId, 3)]), 'application/x-protobuf');
    expect(answer).toMatchObject({
      status: 202,
      body: { accepted: 2, duplicates: 0, rejected: 1, rejections: [{ line: 2, rule: 'time.invalid', reason: expect.stringContaining('record_time seconds 1000000000000000') }] },
    });
    expect((await telematics.storedReadings(bikeId)).map((r) => r.sequence)).toEqual([1, 3]);
    // Kept as it arrived, byte for byte, so a replay judges it again the same way.
    expect(await rejectsOf(bikeId)).toEqual([expect.objectContaining({ rule: 'time.invalid', sequence: 2, door: 'http', payload: Buffer.from(poison).toString('base64') })]);
  });

  it('refuses a protobuf reading whose nanos are out of range over HTTPS', async () => {
    const { bikeId, deviceKey } = await telematics.provision();
    const seconds = Math.floor(Date.now() / 1000);
    const answer = await post(deviceKey, encodedBatch([readingWithWireTime(readingJson(bikeId, 1), { seconds, nanos: 1_000_000_000 }), readingWithWireTime(readingJson(bikeId, 2), { seconds, nanos: 5 })]), 'application/x-protobuf');
    expect(answer).toMatchObject({ status: 202, body: { accepted: 1, rejected: 1, rejections: [{ line: 1, rule: 'time.invalid', reason: 'record_time nanos 1000000000 must be from 0 to 999,999,999' }] } });
    expect((await telematics.storedReadings(bikeId)).map((r) => r.sequence)).toEqual([2]);
  });

  it('answers 400 when every reading of a batch is refused for its time, and keeps each under rejects/', async () => {
    const { bikeId, deviceKey } = await telematics.provision();
    const answer = await post(deviceKey, encodedBatch([readingWithWireTime(readingJson(bikeId, 1), { seconds: 1e15 }), readingWithWireTime(readingJson(bikeId, 2), { seconds: -1e15 })]), 'application/x-protobuf');
    expect(answer).toMatchObject({ status: 400, body: { accepted: 0, rejected: 2, rejections: [{ line: 1, rule: 'time.invalid' }, { line: 2, rule: 'time.invalid' }] } });
    expect(await rejectsOf(bikeId)).toHaveLength(2);
  });

  it('refuses JSON times that are not RFC 3339 line by line, and stores the good lines (202)', async () => {
    const { bikeId, deviceKey } = await telematics.provision();
    const notRfc3339 = ['12/03/2026', '2026-12-03 10:00', '2026-12-03T10:00Z', '2026-12-03T10:00:00', 'Thu, 03 Dec 2026 10:00:00 GMT', '+275760-09-13T00:00:00.000Z'];
    const lines = [readingJson(bikeId, 1), ...notRfc3339.map((recordTime, n) => readingJson(bikeId, 2 + n, { recordTime })), readingJson(bikeId, 99)];
    const answer = await post(deviceKey, lines.map((line) => JSON.stringify(line)).join('\n'), 'application/x-ndjson');
    expect(answer).toMatchObject({
      status: 202,
      body: { accepted: 2, rejected: notRfc3339.length, rejections: notRfc3339.map((recordTime, n) => ({ line: 2 + n, rule: 'time.invalid', reason: expect.stringContaining(JSON.stringify(recordTime)) })) },
    });
    expect((await telematics.storedReadings(bikeId)).map((r) => r.sequence)).toEqual([1, 99]);
    expect((await rejectsOf(bikeId)).map((line) => line.rule)).toEqual(notRfc3339.map(() => 'time.invalid'));
  });

  it('refuses the same reading in a gRPC Ingest stream alone, in the summary, and stores the good ones around it', async () => {
    const { bikeId } = await telematics.provision();
    const poison = readingWithWireTime(readingJson(bikeId, 2), { seconds: 1e15 });
    const summary = await telematics.ingestEncoded([encodedBatch([good(bikeId, 1), poison]), encodedBatch([good(bikeId, 3)])]);
    expect(summary).toEqual({
      acceptedCount: 2,
      duplicateCount: 0,
      queuedCount: 0,
      rejectedCount: 1,
      rejections: [{ index: 1, bikeId, sequence: 2, rule: 'time.invalid', reason: expect.stringContaining('outside 0001-01-01 to 9999-12-31 UTC') }],
    });
    expect((await telematics.storedReadings(bikeId)).map((r) => r.sequence)).toEqual([1, 3]);
    expect(await rejectsOf(bikeId)).toEqual([expect.objectContaining({ rule: 'time.invalid', door: 'grpc', payload: Buffer.from(poison).toString('base64') })]);
  });
});
