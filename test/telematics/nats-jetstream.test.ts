// The production data path against a real nats-server (JetStream and its MQTT listener): a bike
// publishing over MQTT to NATS ends up stored once, curated and in GraphQL; a processor killed
// mid-batch loses nothing and counts nothing twice; three processors share the stream; and while
// no processor runs, readings wait in the stream.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Reading } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { DURABLE, STREAM } from '../../services/telematics/src/doors/telematics-bus';
import { ServiceProcess } from '../../services/local-stack/src/launched-service';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { eventually } from '../support/eventually';
import { telematicsClient } from '../support/grpc-clients';
import { graphql } from '../support/graphql-client';
import { NatsServer, natsServerOrFailingTest } from '../support/nats-server';
import { describeWithPostgres } from '../support/postgres';
import { TEST_ENV, testCredentials } from '../support/stack';
import { readingJson, readingsTopic, streamIngest, TelematicsUnderTest } from '../support/telematics';
import { EXPORTED_ON_THE_BUS, exportedNames } from '../support/metric-names';

const subject = (bikeId: string) => `ecowheels.v1.bikes.${bikeId}.readings`;

describeWithPostgres('telematics on NATS JetStream (TELEMATICS_BUS)', () => {
  if (!natsServerOrFailingTest()) return;
  let nats: NatsServer;
  let telematics: TelematicsUnderTest;
  let nc: NatsConnection;
  // The bus in operator mode, as production runs it: each role connects as its own NATS user.
  const busEnv = (role: 'all' | 'processor' | 'edge' | 'api' = 'all') => ({ ...nats.env(role), TELEMATICS_BUS_ACK_WAIT_MS: '2000', TELEMATICS_BUS_BATCH: '200' });

  beforeAll(async () => {
    nats = await NatsServer.start();
    telematics = await TelematicsUnderTest.start(busEnv());
    nc = await nats.connectAs('telematics-edge'); // publishes as the edge does
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await telematics?.stop();
    await nats?.stop();
  });

  /** Publishes readings straight into the stream, each acknowledged by JetStream (as the edge does). */
  const publish = async (bikeId: string, sequences: number[]) => {
    const js = jetstream(nc);
    // 500 at a time: the stream fills faster than a processor drains it, so a batch is in flight when a test kills one.
    for (let start = 0; start < sequences.length; start += 500) {
      await Promise.all(sequences.slice(start, start + 500).map((sequence) => js.publish(subject(bikeId), JSON.stringify(readingJson(bikeId, sequence)))));
    }
  };
  const stored = async (bikeId: string) => {
    const [row] = await telematics.service.db.query<{ total: number; distinct: number }>(
      'SELECT count(*)::int AS total, count(DISTINCT sequence)::int AS distinct FROM readings WHERE bike_id = $1',
      [bikeId],
    );
    return row;
  };
  const consumerInfo = async () => {
    const operator = await nats.connectAs('operator'); // the people on call may look at the consumer
    return (await jetstreamManager(operator)).consumers.info(STREAM, DURABLE).finally(() => operator.close());
  };
  const pending = async () => {
    const info = await consumerInfo();
    return info.num_pending + info.num_ack_pending;
  };

  it('takes a bike\'s MQTT publishes to NATS into the stored, curated data and into GraphQL', async () => {
    const { bikeId, bus } = await telematics.provision();
    // What ProvisionDevice handed over is all the bike needs on this path.
    expect(bus).toMatchObject({ mqttUrl: nats.mqttUrl, clientId: `bike-${bikeId}`, topic: readingsTopic(bikeId) });
    const device = await mqtt.connectAsync(bus!.mqttUrl, { protocolVersion: 4, clientId: bus!.clientId, username: bus!.username, password: bus!.password, clean: false, reconnectPeriod: 0 });
    try {
      for (let sequence = 1; sequence <= 20; sequence += 1) {
        await device.publishAsync(bus!.topic, JSON.stringify(readingJson(bikeId, sequence)), { qos: 1 });
      }
    } finally {
      await device.endAsync();
    }
    await eventually(async () => expect(await telematics.storedReadings(bikeId)).toEqual(Array.from({ length: 20 }, (_, i) => ({ sequence: i + 1, curated: true }))), {
      what: 'the readings to be stored and curated',
    });
    const dispatcher = httpDispatcher(testCredentials('gateway'));
    const seen = await graphql(telematics.service.process.graphqlUrl, 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Bike { lastSeenAt } } }', {
      dispatcher,
      variables: { r: [{ __typename: 'Bike', fleetId: bikeId }] },
    });
    expect(seen.data!._entities[0].lastSeenAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(telematics.ready.busUrl).toBe(nats.url);
    expect(telematics.ready.mqttUrl).toBeUndefined(); // no embedded broker on this path
    // What the dashboards and alerts read of the bus alone (the rest: test/telemetry/tracing.test.ts).
    const exported = exportedNames(await telematics.metrics());
    expect(EXPORTED_ON_THE_BUS.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('loses nothing and counts nothing twice when the processor is killed with SIGKILL in the middle of a batch', async () => {
    const { bikeId } = await telematics.provision();
    const total = 3000;
    await publish(bikeId, Array.from({ length: total }, (_, i) => i + 1));
    await eventually(async () => expect((await stored(bikeId)).total).toBeGreaterThan(0), { what: 'the first batch to be stored' });
    telematics.service.process.signal('SIGKILL');
    await telematics.service.process.waitForExit();
    const before = (await stored(bikeId)).total;
    expect(before).toBeLessThan(total); // it died with work left
    await telematics.restart();
    await eventually(async () => expect(await stored(bikeId)).toEqual({ total, distinct: total }), { timeoutMs: 60_000, what: 'every reading to be stored once' });
    await eventually(async () => expect(await pending()).toBe(0), { what: 'the stream to be drained' });
  }, 120_000);

  it('shares the stream between three processors (two of them processors only), with no duplicates', async () => {
    const others: ServiceProcess[] = [];
    const dirs: string[] = [];
    try {
      for (let n = 0; n < 2; n += 1) {
        const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-processor-'));
        dirs.push(dataDir);
        others.push(
          await ServiceProcess.start('telematics', {
            ...TEST_ENV,
            ...busEnv('processor'),
            DATA_DIR: dataDir,
            TELEMATICS_DATABASE_URL: telematics.service.db.url,
            // The workload KEDA scales: the stream's processor, without doors of its own.
            TELEMATICS_ROLE: 'processor',
          }),
        );
      }
      expect(others.map((other) => [other.ready.role, other.ready.deviceUrl, other.ready.mqttUrl])).toEqual([
        ['processor', undefined, undefined],
        ['processor', undefined, undefined],
      ]);
      const bikes = await Promise.all([telematics.provision(), telematics.provision(), telematics.provision()]);
      // Published once each processor has a fetch waiting on the consumer (num_waiting), so each is
      // there to take a share: a processor still starting on a busy machine could otherwise find the
      // 3,000 readings taken by the other two (seen once in CI).
      await eventually(async () => expect((await consumerInfo()).num_waiting).toBeGreaterThanOrEqual(3), { what: 'all three processors to be fetching' });
      await Promise.all(bikes.map(({ bikeId }) => publish(bikeId, Array.from({ length: 1000 }, (_, i) => i + 1))));
      for (const { bikeId } of bikes) {
        await eventually(async () => expect(await stored(bikeId)).toEqual({ total: 1000, distinct: 1000 }), { timeoutMs: 60_000, what: `bike ${bikeId}'s readings to be stored` });
      }
      // Cleaned once: one cleaner at a time holds the lease, so every reading is decided by exactly
      // one committed batch, whichever processor stored it.
      await eventually(
        async () => {
          const [row] = await telematics.service.db.query<{ waiting: number; decided: number; counted: number }>(
            `SELECT (SELECT count(*)::int FROM readings WHERE curation_batch IS NULL) AS waiting,
                    (SELECT count(*)::int FROM readings WHERE curation_batch IS NOT NULL) AS decided,
                    (SELECT coalesce(sum(reading_count), 0)::int FROM curation_batches) AS counted`,
          );
          expect(row.waiting).toBe(0);
          expect(row.counted).toBe(row.decided);
        },
        { timeoutMs: 30_000, what: 'every reading to be cleaned once' },
      );
      // Each processor took a share: each kept raw files of its own.
      const rawFiles = (lake: string) => readdirSync(join(lake, 'raw'), { recursive: true }).filter((name) => String(name).endsWith('.ndjson')).length;
      const shares = [rawFiles(telematics.lakeDir), ...dirs.map((dir) => rawFiles(join(dir, 'telematics-lake')))];
      expect(shares.filter((files) => files > 0)).toHaveLength(3);
    } finally {
      await Promise.all(others.map((process) => process.stop()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('answers devices at the edge once JetStream has their batch, and a processor takes it in later, refusals kept with their reasons', async () => {
    const { bikeId, deviceKey } = await telematics.provision();
    await telematics.service.process.stop(); // no processor: what the edge takes in waits in the stream
    const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-edge-'));
    const edge = await ServiceProcess.start('telematics', {
      ...TEST_ENV,
      ...busEnv('edge'),
      DATA_DIR: dataDir,
      TELEMATICS_DATABASE_URL: telematics.service.db.url,
      TELEMATICS_ROLE: 'edge',
    });
    const client = telematicsClient(edge.address, telematics.service.credentials);
    try {
      expect([edge.ready.role, edge.ready.mqttUrl, edge.ready.landingDir]).toEqual(['edge', undefined, undefined]);
      const lines = [readingJson(bikeId, 1), readingJson(bikeId, 2), readingJson(bikeId, 3), readingJson(bikeId, 4, { batteryPercent: 150 }), readingJson(bikeId, 1)];
      const response = await fetch(`${String(edge.ready.deviceUrl)}/v1/readings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${deviceKey}`, 'content-type': 'application/x-ndjson' },
        body: lines.map((line) => JSON.stringify(line)).join('\n'),
      });
      // The edge cannot know duplicates (the processor decides those); it knows the rules.
      expect({ status: response.status, body: await response.json() }).toMatchObject({
        status: 202,
        body: { accepted: 0, duplicates: 0, queued: 4, rejected: 1, rejections: [{ line: 4, rule: 'range.battery' }] },
      });
      const wrongKey = await fetch(`${String(edge.ready.deviceUrl)}/v1/readings`, { method: 'POST', headers: { authorization: `Bearer ${bikeId}:wrong`, 'content-type': 'application/x-ndjson' }, body: '{}' });
      expect(wrongKey.status).toBe(401);
      const summary = await streamIngest(client.raw, [[Reading.fromJSON(readingJson(bikeId, 10)), Reading.fromJSON(readingJson(bikeId, 11))]]);
      expect(summary).toMatchObject({ acceptedCount: 0, queuedCount: 2, rejectedCount: 0 });
      expect(await pending()).toBe(7); // every input, the refused one too, is in the stream
    } finally {
      client.close();
      await edge.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await telematics.restart();
    await eventually(async () => expect(await stored(bikeId)).toEqual({ total: 5, distinct: 5 }), { timeoutMs: 60_000, what: 'the queued readings to be stored once' });
    await eventually(async () => {
      const rejects = (await telematics.zoneLines('rejects')).filter((line) => line.bikeId === bikeId);
      expect(rejects).toEqual([expect.objectContaining({ rule: 'range.battery', door: 'http', sender: bikeId, sequence: 4 })]);
    }, { what: 'the refused reading to be kept in rejects/ with its reason' });
    // Each input is in the raw zone as its door took it in: the device's JSON lines, the stream's protobuf.
    const raw = await telematics.zoneLines('raw');
    expect(raw.filter((line) => String(line.payload).includes(bikeId)).map((line) => [line.door, line.encoding])).toEqual(Array(5).fill(['http', 'json']));
    expect(raw.filter((line) => line.door === 'grpc').map((line) => [line.sender, line.encoding])).toEqual(Array(2).fill(['operator', 'protobuf']));
  }, 120_000);

  it('needs no processor while idle: readings wait in the stream (an api replica leaves them) and are stored when one starts', async () => {
    const { bikeId } = await telematics.provision();
    await telematics.service.process.stop();
    // Production's always-on replica serves the API and leaves the stream to the processors.
    const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-api-'));
    const api = await ServiceProcess.start('telematics', { ...TEST_ENV, ...busEnv('api'), DATA_DIR: dataDir, TELEMATICS_DATABASE_URL: telematics.service.db.url, TELEMATICS_ROLE: 'api' });
    try {
      expect(api.ready.busUrl).toBe(nats.url);
      await publish(bikeId, Array.from({ length: 500 }, (_, i) => i + 1));
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a processor would have taken them by now
      expect(await pending()).toBe(500); // kept by JetStream, no processor running
    } finally {
      await api.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    await telematics.restart();
    await eventually(async () => expect(await stored(bikeId)).toEqual({ total: 500, distinct: 500 }), { timeoutMs: 60_000, what: 'the waiting readings to be stored' });
    // Acknowledged once stored: the acknowledgements reach the server just after.
    await eventually(async () => expect(await pending()).toBe(0), { what: 'the stream to be drained' });
  }, 120_000);
});
