// The production doors' backing services, for real: with TELEMATICS_MQTT_URL the service joins a
// shared subscription on an external broker (the Mosquitto server on this machine, as .ci/run
// makes sure), and the raw zone can live in any S3-compatible store (s3rver, started here).
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { S3ZoneStore } from '../../services/telematics/src/zones/s3-zone-store';
import { describeNeeding } from '../support/required-server';
import { S3_CREDENTIALS, S3Server } from '../support/s3-server';
import { describeWithPostgres } from '../support/postgres';
import { readingJson, readingsTopic, TelematicsUnderTest } from '../support/telematics';
import { eventually } from '../support/eventually';

const MOSQUITTO_URL = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const MOSQUITTO = {
  name: 'Mosquitto',
  url: MOSQUITTO_URL,
  variable: 'TEST_MQTT_URL',
  probe: `require('mqtt').connectAsync(${JSON.stringify(MOSQUITTO_URL)},{protocolVersion:4,reconnectPeriod:0,connectTimeout:3000}).then((c)=>c.endAsync()).then(()=>process.exit(0),()=>process.exit(1))`,
};

describeWithPostgres('telematics on external services', () => {
  describeNeeding(MOSQUITTO, 'MQTT through an external broker (Mosquitto)', () => {
    let telematics: TelematicsUnderTest;
    // A group and client ids of this run's own: the broker keeps persistent sessions, and an offline
    // member of a shared group would be handed a share of the messages.
    const clientId = `ecowheels-test-${randomUUID()}`;
    beforeAll(async () => {
      telematics = await TelematicsUnderTest.start({
        TELEMATICS_MQTT_URL: MOSQUITTO_URL,
        TELEMATICS_MQTT_CLIENT_ID: clientId,
        TELEMATICS_MQTT_SHARE_GROUP: `test-${randomUUID()}`,
        TELEMATICS_MQTT_CONNECTIONS: '2',
      });
    });
    afterAll(async () => {
      await telematics?.stop();
      // Ends this run's persistent sessions on the shared broker, so they do not pile up there.
      for (const index of [0, 1]) {
        const session = await mqtt.connectAsync(MOSQUITTO_URL, { protocolVersion: 4, clientId: `${clientId}-${index}`, clean: true, reconnectPeriod: 0 });
        await session.endAsync();
      }
    });

    it('takes readings that bikes publish to the broker, through a shared subscription, once each', async () => {
      expect(telematics.ready.mqttUrl).toBe(MOSQUITTO_URL);
      const { bikeId } = await telematics.provision();
      // On the external broker, the broker authenticates devices; this publisher stands in for a bike.
      const bike = await mqtt.connectAsync(MOSQUITTO_URL, { protocolVersion: 4, clientId: `bike-${bikeId}`, reconnectPeriod: 0 });
      try {
        for (let sequence = 1; sequence <= 20; sequence += 1) {
          await bike.publishAsync(readingsTopic(bikeId), JSON.stringify(readingJson(bikeId, sequence)), { qos: 1 });
        }
        await bike.publishAsync(readingsTopic(bikeId), JSON.stringify(readingJson(bikeId, 20)), { qos: 1 }); // a redelivery
        await eventually(async () => expect((await telematics.storedReadings(bikeId)).map((r) => r.sequence)).toEqual(Array.from({ length: 20 }, (_, n) => n + 1)));
        await eventually(async () => expect((await telematics.zoneLines('raw')).filter((line) => line.sender === bikeId)).toHaveLength(21));
      } finally {
        await bike.endAsync();
      }
    });
  });

  describe('the raw zone in an S3-compatible store (s3rver)', () => {
    let server: S3Server;
    let endpoint: string;
    beforeAll(async () => {
      server = await S3Server.start(['ecowheels-lake']);
      endpoint = server.endpoint;
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('stores each write as an object in its hour partition, and lists and reads them back in order', async () => {
      const zone = new S3ZoneStore({ url: 's3://ecowheels-lake/telematics', endpoint, region: 'eu-west-1', writerId: 'test' });
      try {
        const nine = new Date('2026-11-26T09:15:00Z');
        const ten = new Date('2026-11-26T10:05:00Z');
        await zone.write([
          { zone: 'raw', at: nine, line: '{"n":1}' },
          { zone: 'raw', at: ten, line: '{"n":2}' },
          { zone: 'rejects', at: nine, line: '{"rule":"schema"}' },
        ]);
        await zone.write([{ zone: 'raw', at: nine, line: '{"n":3}' }]);
        const keys = await zone.list('raw', new Date('2026-11-26T09:00:00Z'), new Date('2026-11-26T11:00:00Z'));
        expect(keys).toEqual([
          expect.stringMatching(/^telematics\/raw\/dt=2026-11-26\/hour=09\/\d+-test-\d+\.ndjson$/),
          expect.stringMatching(/^telematics\/raw\/dt=2026-11-26\/hour=09\//),
          expect.stringMatching(/^telematics\/raw\/dt=2026-11-26\/hour=10\//),
        ]);
        const lines = (await Promise.all(keys.map((key) => zone.read(key)))).flat();
        expect(lines.sort()).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
        expect(await zone.list('raw', new Date('2026-11-26T10:00:00Z'), new Date('2026-11-26T11:00:00Z'))).toHaveLength(1);
        expect(await zone.clear('rejects', new Date('2026-11-26T00:00:00Z'), new Date('2026-11-27T00:00:00Z'))).toBe(1);
        expect(await zone.list('rejects', new Date(0), new Date('2100-01-01T00:00:00Z'))).toEqual([]);
      } finally {
        await zone.close();
      }
    });

    it("takes a replay's lines out of an hour of rejects/, object by object, and removes an object left empty", async () => {
      const zone = new S3ZoneStore({ url: 's3://ecowheels-lake/edited', endpoint, region: 'eu-west-1', writerId: 'test' });
      try {
        const nine = new Date('2026-11-26T09:00:00Z');
        const line = (n: number, curationBatch?: number) => ({ zone: 'rejects' as const, at: new Date('2026-11-26T09:30:00Z'), line: JSON.stringify({ n, curationBatch }) });
        await zone.write([line(1), line(2, 7), line(3, 8)]);
        await zone.write([line(4, 8)]);
        await zone.write([{ ...line(5, 8), at: new Date('2026-11-26T10:30:00Z') }]);
        const undone = (text: string) => (JSON.parse(text) as { curationBatch?: number }).curationBatch === 8;
        expect(await zone.removeLines('rejects', nine, undone)).toBe(2);
        const keys = await zone.list('rejects', nine, new Date('2026-11-26T10:00:00Z'));
        expect(keys).toHaveLength(1);
        expect(await zone.read(keys[0])).toEqual([JSON.stringify({ n: 1 }), JSON.stringify({ n: 2, curationBatch: 7 })]);
        // Other hours are not touched.
        expect(await zone.list('rejects', new Date('2026-11-26T10:00:00Z'), new Date('2026-11-26T11:00:00Z'))).toHaveLength(1);
      } finally {
        await zone.close();
      }
    });

    it('serves as the raw zone of the running service (TELEMATICS_RAW_ZONE_URL)', async () => {
      const telematics = await TelematicsUnderTest.start({
        TELEMATICS_RAW_ZONE_URL: 's3://ecowheels-lake/service',
        TELEMATICS_S3_ENDPOINT: endpoint,
        ...S3_CREDENTIALS,
      });
      try {
        const { bikeId, deviceKey } = await telematics.provision();
        const answer = await telematics.post(JSON.stringify(readingJson(bikeId, 1)), { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' });
        expect(answer).toMatchObject({ status: 202, body: { accepted: 1 } });
        const zone = new S3ZoneStore({ url: 's3://ecowheels-lake/service', endpoint, region: 'eu-west-1', writerId: 'reader' });
        const keys = await zone.list('raw', new Date(Date.now() - 3_600_000), new Date(Date.now() + 3_600_000));
        const lines = (await Promise.all(keys.map((key) => zone.read(key)))).flat().map((line) => JSON.parse(line) as { sender: string });
        await zone.close();
        expect(lines.filter((line) => line.sender === bikeId)).toHaveLength(1);
      } finally {
        await telematics.stop();
      }
    });
  });
});
