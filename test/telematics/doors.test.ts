// The telematics doors against the real service process: MQTT on the embedded broker, HTTPS
// batches, the gRPC stream and the landing folder all feed one pipeline; each acknowledges only
// what is durable, counts a reading once however often and through whichever door it comes, and
// refuses devices without a valid credential or posing as another bike.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import mqtt from 'mqtt';
import { Agent, fetch as undiciFetch } from 'undici';
import { Reading, ReadingBatch } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { eventually } from '../support/eventually';
import { expectStatus } from '../support/grpc-clients';
import { describeWithPostgres } from '../support/postgres';
import { readingJson, readingsTopic, TelematicsUnderTest } from '../support/telematics';
import { TEST_ENV } from '../support/stack';

const ndjson = (readings: Record<string, unknown>[]) => readings.map((reading) => JSON.stringify(reading)).join('\n');
const asProto = (reading: Record<string, unknown>) => Reading.fromJSON(reading);

describeWithPostgres('telematics doors', () => {
  let telematics: TelematicsUnderTest;
  beforeAll(async () => {
    telematics = await TelematicsUnderTest.start();
  });
  afterAll(async () => {
    await telematics?.stop();
  });

  describe('device credentials', () => {
    it('issues a secret once per bike, refuses a second without rotate, and rotates on request', async () => {
      const bikeId = randomUUID();
      const first = await telematics.client.provisionDevice({ bikeId, rotate: false });
      expect(first.secret).toMatch(/^ewd_[A-Za-z0-9_-]{43}$/);
      await expectStatus(telematics.client.provisionDevice({ bikeId, rotate: false }), status.ALREADY_EXISTS, /already has a device credential/);
      const rotated = await telematics.client.provisionDevice({ bikeId, rotate: true });
      expect(rotated.secret).not.toBe(first.secret);
      // The old secret no longer opens the door.
      const refused = await telematics.post(ndjson([readingJson(bikeId, 1)]), { authorization: `Bearer ${bikeId}:${first.secret}`, 'content-type': 'application/x-ndjson' });
      expect(refused.status).toBe(401);
    });

    it('stores only a hash of the secret', async () => {
      const { bikeId, secret } = await telematics.provision();
      const [row] = await telematics.service.db.query<{ secret_hash: string }>('SELECT secret_hash FROM devices WHERE bike_id = $1', [bikeId]);
      expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.secret_hash).not.toContain(secret);
    });
  });

  describe('MQTT (embedded broker, MQTT 3.1.1, QoS 1)', () => {
    it('takes a JSON reading, acknowledges it once durable, and keeps it raw', async () => {
      const { bikeId, secret } = await telematics.provision();
      const device = await telematics.connectDevice(bikeId, secret);
      await device.publishAsync(readingsTopic(bikeId), JSON.stringify(readingJson(bikeId, 1)), { qos: 1 });
      // The PUBACK came after the raw zone and the database had it: no waiting needed.
      expect(await telematics.storedReadings(bikeId)).toEqual([{ sequence: 1, curated: expect.any(Boolean) }]);
      expect((await telematics.zoneLines('raw')).filter((line) => line.sender === bikeId && line.door === 'mqtt')).toHaveLength(1);
    });

    it('takes a reading in protobuf binary on the same topic', async () => {
      const { bikeId, secret } = await telematics.provision();
      const device = await telematics.connectDevice(bikeId, secret);
      await device.publishAsync(readingsTopic(bikeId), Buffer.from(Reading.encode(asProto(readingJson(bikeId, 7))).finish()), { qos: 1 });
      expect((await telematics.storedReadings(bikeId)).map((r) => r.sequence)).toEqual([7]);
    });

    it('counts a redelivered QoS 1 message once', async () => {
      const { bikeId, secret } = await telematics.provision();
      const device = await telematics.connectDevice(bikeId, secret);
      const payload = JSON.stringify(readingJson(bikeId, 3));
      await device.publishAsync(readingsTopic(bikeId), payload, { qos: 1 });
      await device.publishAsync(readingsTopic(bikeId), payload, { qos: 1, dup: true });
      expect(await telematics.storedReadings(bikeId)).toHaveLength(1);
      expect((await telematics.zoneLines('raw')).filter((line) => line.sender === bikeId)).toHaveLength(2); // the raw zone keeps what arrived
    });

    it('judges each of many bikes publishing at once on its own: one posing as another is refused, the rest are stored', async () => {
      // Publishes that arrive in one turn of the event loop go to the pipeline as one batch.
      const bikes = await Promise.all(Array.from({ length: 12 }, () => telematics.provision()));
      const devices = await Promise.all(bikes.map(({ bikeId, secret }) => telematics.connectDevice(bikeId, secret)));
      const [poser, victim] = bikes;
      await Promise.all(
        devices.map((device, index) => {
          // The poser's payload names another bike, on its own topic.
          const payload = index === 0 ? readingJson(victim.bikeId, 6) : readingJson(bikes[index].bikeId, 5);
          return device.publishAsync(readingsTopic(bikes[index].bikeId), JSON.stringify(payload), { qos: 1 });
        }),
      );
      // Every publish was acknowledged (the poser's is kept with its reason), and only once durable.
      for (const { bikeId } of bikes.slice(2)) expect(await telematics.storedReadings(bikeId)).toEqual([{ sequence: 5, curated: expect.any(Boolean) }]);
      expect(await telematics.storedReadings(victim.bikeId)).toEqual([{ sequence: 5, curated: expect.any(Boolean) }]); // its own reading, not the poser's
      expect(await telematics.storedReadings(poser.bikeId)).toEqual([]);
      const refused = (await telematics.zoneLines('rejects')).filter((line) => line.sender === poser.bikeId);
      expect(refused).toEqual([expect.objectContaining({ rule: 'device.mismatch', bikeId: victim.bikeId, sequence: 6 })]);
    });

    it('refuses a connection without credentials', async () => {
      await expect(telematics.connectDevice()).rejects.toThrow(/Bad username or password|Not authorized/);
    });

    it('refuses a wrong secret at CONNECT', async () => {
      const { bikeId } = await telematics.provision();
      await expect(telematics.connectDevice(bikeId, 'ewd_not-the-secret')).rejects.toThrow(/Bad username or password/);
    });

    it("refuses bike A publishing to bike B's topic, keeps the attempt under rejects/, and counts it", async () => {
      const a = await telematics.provision();
      const b = await telematics.provision();
      const device = await telematics.connectDevice(a.bikeId, a.secret);
      const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
      device.publish(readingsTopic(b.bikeId), JSON.stringify(readingJson(b.bikeId, 1)), { qos: 1 });
      await closed; // MQTT 3.1.1 has no negative PUBACK: the broker closes the connection
      expect(await telematics.storedReadings(b.bikeId)).toEqual([]);
      const rejected = (await telematics.zoneLines('rejects')).filter((line) => line.sender === a.bikeId);
      expect(rejected).toEqual([expect.objectContaining({ rule: 'device.mismatch', reason: expect.stringContaining(`may publish only to ecowheels/v1/bikes/${a.bikeId}/readings`) })]);
      const metrics = await telematics.metrics();
      expect(metrics).toMatch(/telematics_devices_refused_total\{[^}]*reason="other_topic"[^}]*\} 1/);
    });
  });

  describe('HTTPS batches (POST /v1/readings)', () => {
    const post = (deviceKey: string, body: string | Uint8Array, type = 'application/x-ndjson') =>
      telematics.post(body, { authorization: `Bearer ${deviceKey}`, 'content-type': type });

    it('takes an NDJSON batch and answers 202 with counts', async () => {
      const { bikeId, deviceKey } = await telematics.provision();
      const answer = await post(deviceKey, ndjson([1, 2, 3].map((n) => readingJson(bikeId, n))));
      expect(answer).toMatchObject({ status: 202, body: { accepted: 3, duplicates: 0, rejected: 0, rejections: [] } });
      expect(await telematics.storedReadings(bikeId)).toHaveLength(3);
    });

    it('takes a JSON array and a protobuf ReadingBatch', async () => {
      const { bikeId, deviceKey } = await telematics.provision();
      expect((await post(deviceKey, JSON.stringify([readingJson(bikeId, 1), readingJson(bikeId, 2)]), 'application/json')).body).toMatchObject({ accepted: 2 });
      const batch = ReadingBatch.encode({ readings: [asProto(readingJson(bikeId, 3)), asProto(readingJson(bikeId, 4))] }).finish();
      expect((await post(deviceKey, batch, 'application/x-protobuf')).body).toMatchObject({ accepted: 2 });
      expect((await telematics.storedReadings(bikeId)).map((r) => r.sequence)).toEqual([1, 2, 3, 4]);
    });

    it('answers a batch that is partly bad with 202 and a reason per refused line', async () => {
      const { bikeId, deviceKey } = await telematics.provision();
      const answer = await post(deviceKey, [JSON.stringify(readingJson(bikeId, 1)), '{"bikeId":', JSON.stringify(readingJson(bikeId, 2, { batteryPercent: 140 }))].join('\n'));
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({
        accepted: 1,
        rejected: 2,
        rejections: [
          { line: 2, rule: 'schema', reason: expect.stringContaining('not a Reading in JSON') },
          { line: 3, rule: 'range.battery', reason: 'battery_percent 140 must be from 0 to 100' },
        ],
      });
    });

    it('answers 400 with a reason per line when nothing could be taken in', async () => {
      const { bikeId, deviceKey } = await telematics.provision();
      const answer = await post(deviceKey, ndjson([readingJson(bikeId, 1, { latitude: 95 }), readingJson(bikeId, 2, { speedKmh: -3 })]));
      expect(answer).toMatchObject({ status: 400, body: { accepted: 0, rejected: 2, rejections: [{ line: 1, rule: 'range.latitude' }, { line: 2, rule: 'range.speed' }] } });
    });

    it('answers 401 without a device key and with a wrong one', async () => {
      const { bikeId } = await telematics.provision();
      expect((await telematics.post(ndjson([readingJson(bikeId, 1)]), { 'content-type': 'application/x-ndjson' })).status).toBe(401);
      const wrong = await post(`${bikeId}:ewd_wrong`, ndjson([readingJson(bikeId, 1)]));
      expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    });

    it("answers 403 when a batch names another bike, and keeps that line with its reason", async () => {
      const a = await telematics.provision();
      const b = await telematics.provision();
      const answer = await post(a.deviceKey, ndjson([readingJson(b.bikeId, 1)]));
      expect(answer).toMatchObject({ status: 403, body: { rejections: [{ line: 1, rule: 'device.mismatch' }] } });
      expect(await telematics.storedReadings(b.bikeId)).toEqual([]);
    });

    it('answers 202 when it stored some lines of a batch and refused one that names another bike', async () => {
      const a = await telematics.provision();
      const b = await telematics.provision();
      const answer = await post(a.deviceKey, ndjson([readingJson(a.bikeId, 1), readingJson(b.bikeId, 1), readingJson(a.bikeId, 2)]));
      expect(answer).toMatchObject({ status: 202, body: { accepted: 2, rejected: 1, rejections: [{ line: 2, rule: 'device.mismatch' }] } });
      expect((await telematics.storedReadings(a.bikeId)).map((r) => r.sequence)).toEqual([1, 2]);
    });

    it('answers 413 for a body over the limit, 415 for an unknown type, and 429 with Retry-After when a device sends too often', async () => {
      const { bikeId, deviceKey } = await telematics.provision();
      expect((await post(deviceKey, 'x'.repeat(3 * 1024 * 1024))).status).toBe(413);
      expect((await post(deviceKey, 'hello', 'text/plain')).status).toBe(415);
      const answers = await Promise.all(Array.from({ length: 30 }, (_, n) => post(deviceKey, ndjson([readingJson(bikeId, 100 + n)]))));
      const limited = answers.filter((answer) => answer.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });
  });

  describe('gRPC Ingest (client stream)', () => {
    it('ends with a summary of accepted, duplicate and rejected readings, each rejection with its reason', async () => {
      const { bikeId } = await telematics.provision();
      const summary = await telematics.ingest([
        [asProto(readingJson(bikeId, 1)), asProto(readingJson(bikeId, 2))],
        [asProto(readingJson(bikeId, 2)), asProto(readingJson(bikeId, 3, { batteryPercent: 101 })), asProto(readingJson(randomUUID(), 1))],
      ]);
      expect(summary).toEqual({
        acceptedCount: 2,
        duplicateCount: 1,
        queuedCount: 0, // only on the production stream
        rejectedCount: 2,
        rejections: [
          expect.objectContaining({ index: 3, bikeId, sequence: 3, rule: 'range.battery' }),
          expect.objectContaining({ index: 4, rule: 'device.unknown', reason: expect.stringContaining('has no device credential') }),
        ],
      });
    });

    it('is open only to the operator identity of the mesh', async () => {
      await expect(telematics.ingestAs('ride')).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    });
  });

  describe('landing folder (file drop)', () => {
    it('imports an NDJSON and a CSV file dropped into the landing folder, and moves each to imported/ with a summary', async () => {
      const { bikeId } = await telematics.provision();
      const landing = telematics.ready.landingDir;
      const rows = [4, 5].map((n) => readingJson(bikeId, n));
      const csv = [
        'bike_id,sequence,record_time,latitude,longitude,speed_kmh,battery_percent,battery_voltage,odometer_meters,assist_level,fault_codes,ride_id',
        ...rows.map((r) => [r.bikeId, r.sequence, r.recordTime, r.latitude, r.longitude, 12, 70, 39.5, 1500, 1, 'E-BAT-TEMP;E-MOTOR', ''].join(',')),
        `${bikeId},6,not-a-time,52.37,4.9,12,70,39.5,1500,1,,`,
      ].join('\n');
      // Written under a hidden name, then renamed into place: only complete files are picked up.
      writeFileSync(join(landing, '.fleet.csv.part'), csv);
      renameSync(join(landing, '.fleet.csv.part'), join(landing, 'fleet.csv'));
      writeFileSync(join(landing, '.more.part'), ndjson([readingJson(bikeId, 7), readingJson(bikeId, 4)]));
      renameSync(join(landing, '.more.part'), join(landing, 'more.ndjson'));
      await eventually(async () => expect((await telematics.storedReadings(bikeId)).map((r) => r.sequence)).toEqual([4, 5, 7]));
      const csvResult = await eventually(async () => JSON.parse(readFileSync(join(landing, 'imported', 'fleet.csv.result.json'), 'utf8')));
      expect(csvResult).toMatchObject({ acceptedCount: 2, rejectedCount: 1, rejections: [{ index: 2, rule: 'time.invalid', reason: expect.stringContaining('record_time "not-a-time"') }] });
      const ndjsonResult = await eventually(async () => JSON.parse(readFileSync(join(landing, 'imported', 'more.ndjson.result.json'), 'utf8')));
      expect(ndjsonResult).toMatchObject({ acceptedCount: 1, duplicateCount: 1 });
    });
  });

  it('keeps both files when a file of the same name is dropped twice, and counts its readings once', async () => {
    const { bikeId } = await telematics.provision();
    const landing = telematics.ready.landingDir;
    const drop = () => {
      writeFileSync(join(landing, '.again.part'), JSON.stringify(readingJson(bikeId, 9)));
      renameSync(join(landing, '.again.part'), join(landing, 'again.ndjson'));
    };
    drop();
    await eventually(async () => expect(readdirSync(join(landing, 'imported')).filter((name) => name.endsWith('again.ndjson'))).toHaveLength(1));
    drop();
    await eventually(async () => expect(readdirSync(join(landing, 'imported')).filter((name) => name.endsWith('again.ndjson'))).toHaveLength(2));
    const results = readdirSync(join(landing, 'imported')).filter((name) => name.endsWith('again.ndjson.result.json'));
    const summaries = results.map((name) => JSON.parse(readFileSync(join(landing, 'imported', name), 'utf8')) as { acceptedCount: number; duplicateCount: number });
    expect(summaries.map((summary) => [summary.acceptedCount, summary.duplicateCount]).sort()).toEqual([[0, 1], [1, 0]]);
    expect(await telematics.storedReadings(bikeId)).toHaveLength(1);
  });

  it('counts a reading sent through two doors once', async () => {
    const { bikeId, secret, deviceKey } = await telematics.provision();
    const reading = readingJson(bikeId, 42);
    const device = await telematics.connectDevice(bikeId, secret);
    await device.publishAsync(readingsTopic(bikeId), JSON.stringify(reading), { qos: 1 });
    const http = await telematics.post(JSON.stringify(reading), { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' });
    const grpc = await telematics.ingest([[asProto(reading)]]);
    expect(http.body).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(grpc).toMatchObject({ acceptedCount: 0, duplicateCount: 1 });
    expect(await telematics.storedReadings(bikeId)).toHaveLength(1);
  });

  describe('with TLS (TELEMATICS_TLS_CERT_FILE and _KEY_FILE)', () => {
    let secure: TelematicsUnderTest;
    const certs = TEST_ENV.MESH_CERTS_DIR;
    beforeAll(async () => {
      secure = await TelematicsUnderTest.start({ TELEMATICS_TLS_CERT_FILE: join(certs, 'telematics.pem'), TELEMATICS_TLS_KEY_FILE: join(certs, 'telematics-key.pem') });
    });
    afterAll(async () => {
      await secure?.stop();
    });

    it('serves MQTT over TLS (mqtts) and the HTTPS door over TLS', async () => {
      expect(secure.ready.mqttUrl).toMatch(/^mqtts:\/\//);
      expect(secure.ready.deviceUrl).toMatch(/^https:\/\//);
      const { bikeId, secret, deviceKey } = await secure.provision();
      const ca = readFileSync(join(certs, 'ca.pem'));
      const device = await mqtt.connectAsync(secure.ready.mqttUrl, { protocolVersion: 4, username: bikeId, password: secret, ca, servername: 'localhost', reconnectPeriod: 0 });
      await device.publishAsync(readingsTopic(bikeId), JSON.stringify(readingJson(bikeId, 1)), { qos: 1 });
      await device.endAsync();
      const answer = await undiciFetch(`${secure.ready.deviceUrl}/v1/readings`, {
        method: 'POST',
        body: JSON.stringify(readingJson(bikeId, 2)),
        headers: { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' },
        dispatcher: new Agent({ connect: { ca, servername: 'localhost' } }),
      });
      expect(answer.status).toBe(202);
      expect((await secure.storedReadings(bikeId)).map((r) => r.sequence)).toEqual([1, 2]);
      // Plain MQTT on the TLS port gets nowhere: the connection closes without a CONNACK.
      const plain = mqtt.connect(secure.ready.mqttUrl.replace('mqtts', 'mqtt'), { protocolVersion: 4, username: bikeId, password: secret, reconnectPeriod: 0, connectTimeout: 5000 });
      plain.on('error', () => undefined);
      const outcome = await new Promise<string>((resolve) => {
        plain.once('connect', () => resolve('connected'));
        plain.once('close', () => resolve('closed'));
      });
      plain.end(true);
      expect(outcome).toBe('closed');
    });
  });
});
