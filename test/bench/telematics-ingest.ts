// `npm run bench` (telematics part): how fast readings go in through each door, and what it costs.
// Each door's figure is measured beside its reference in the same run, a bare peer that does no
// work behind the transport (peers/telematics-peers.ts), and printed with the ratio between them:
//   gRPC stream   readings/s over 4 streams of 500-reading messages       (target ≥ 20,000/s)
//   MQTT QoS 1    1,000 bikes, each waiting for its PUBACK                  (target ≥ 10,000/s)
//   HTTPS         NDJSON batches of 100 from 16 connections                 (target ≥ 20,000/s)
//   ingest-to-queryable: probe readings sent while the MQTT load runs (never after it), each polled
//                  through GetRideImpact until it is queryable (p99 ≤ 2 s)
//   cleaning backlog: how long after the HTTPS load the cleaner needs until every reading is curated
//   RSS of the telematics process under load (≤ 250 MB), and its CPU while idle (about 0%)
//   CPU per reading of each door: the microseconds of CPU the service and its database server
//     together spent during the load (whatever they did meanwhile, cleaning included), per reading;
//     beside the bare peer's own per reading. Unlike a rate, it holds when the machine changes.
// on the embedded default (the embedded PostgreSQL server of `npm start`) and on the machine's
// PostgreSQL server, the service compiled as `npm start` runs it; and the production path on a real
// nats-server with PostgreSQL:
//   JetStream processor   readings/s one processor drains from a stream filled while none ran,
//                         against a bare consumer that fetches and acknowledges the same batches
//                         from a stream kept the same way (a work queue on disk), and the CPU per
//                         reading of the processor, nats-server and PostgreSQL (for the bare
//                         consumer: its own process and nats-server); then the bare consumer on a
//                         stream that keeps acknowledged messages, for nats-server's cost of deletes
// `-- --quick` runs a short smoke; `-- --stream` only the production path; `-- --embedded` only the
// embedded default (for side-by-side runs of two trees, alternated). BENCH_PROFILE=<folder>
// has each telematics process the bench measures write a V8 CPU profile there (node --cpu-prof).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import mqtt from 'mqtt';
import { Agent, fetch as undiciFetch, request } from 'undici';
import { Reading, TelematicsServiceClient, type IngestResponse } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { ensureMeshCertificates } from '../../services/platform/src/mesh/certificates';
import { channelOptionsFor } from '../../services/platform/src/mesh/credentials';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { nodeOptionsFor, RESOURCE_CLASSES, WORKLOAD_CLASSES } from '../../mesh-config/resources';
import { buildDist } from '../../services/local-stack/src/build';
import { freePorts } from '../../services/local-stack/src/free-ports';
import { EmbeddedPostgres } from '../../services/platform/src/database/embedded-postgres';
import { ServiceProcess } from '../../services/local-stack/src/launched-service';
import { telematicsClient } from '../support/grpc-clients';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { TEST_ENV, testCredentials } from '../support/stack';
import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { bikeSubject, DURABLE, STREAM, STREAM_KEEPING } from '../../services/telematics/src/doors/telematics-bus';
import { readingsTopic } from '../../services/telematics/src/doors/mqtt-topics';
import { NatsServer, natsServerInstalled } from '../support/nats-server';
import { percentile } from './lib/load';
import { cpuSeconds, postgresServerPid, rssMb, startPeer, treeCpuSeconds, type Peer } from './lib/peer';

const QUICK = process.argv.includes('--quick');
const STREAM_ONLY = process.argv.includes('--stream');
const EMBEDDED_ONLY = process.argv.includes('--embedded');
const BIKES = 1000;
const GRPC_PER_BIKE = QUICK ? 20 : 100;
const MQTT_PER_BIKE = QUICK ? 10 : 60;
/** Probe devices, each sending its next probe reading as soon as the last one is queryable, while the MQTT load runs. */
const PROBES = 5;
/**
 * A probe device's first reading (sent before the loads) takes this sequence number, after every
 * load's, and its probes the next ones. A multiple of 100, so the probes' positions (a step of about
 * 2 m a reading, wrapping every 100) never jump back, which the cleaner would drop as a GPS jump.
 */
const PROBE_SEQUENCE = 5_000_000;
/** A probe not queryable this long after its acknowledgement fails the run instead of hanging it. */
const PROBE_GIVE_UP_MS = 60_000;
const HTTP_BATCHES = QUICK ? 200 : 1000;
const HTTP_BATCH = 100;
const HTTP_CONNECTIONS = 16;

interface Target {
  mqttUrl: string;
  grpcAddress: string;
  deviceUrl: string;
}

const operator = () => testCredentials('operator');

/** NODE_OPTIONS for a measured telematics process: `base`, plus a CPU profile where BENCH_PROFILE asks for one. */
const measuredNodeOptions = (base = '') => [base, process.env.BENCH_PROFILE ? `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` : ''].filter(Boolean).join(' ');
const sequenceBase = Math.floor(Date.now() / 100);
const reading = (bikeId: string, sequence: number) => ({
  bikeId,
  sequence: sequenceBase + sequence,
  recordTime: new Date().toISOString(),
  latitude: 52.37 + (sequence % 100) * 0.00002,
  longitude: 4.9,
  speedKmh: 18,
  batteryPercent: 80,
  batteryVoltage: 40,
  odometerMeters: 1000 + sequence * 5,
  assistLevel: 2,
  faultCodes: [],
});

async function grpcLoad(target: Target, bikes: string[], offset: number): Promise<number> {
  const mesh = operator();
  const client = new TelematicsServiceClient(target.grpcAddress, mesh.client, channelOptionsFor(mesh, target.grpcAddress));
  const all = bikes.flatMap((bikeId) => Array.from({ length: GRPC_PER_BIKE }, (_, n) => Reading.fromJSON(reading(bikeId, offset + n))));
  const streams = 4;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: streams }, (_, s) =>
      new Promise<IngestResponse>((resolve, reject) => {
        const call = client.ingest(new Metadata(), { deadline: Date.now() + 600_000 }, (error: ServiceError | null, response: IngestResponse) => (error ? reject(error) : resolve(response)));
        const mine = all.filter((_, index) => index % streams === s);
        let index = 0;
        const pump = () => {
          while (index < mine.length) {
            const ok = call.write({ readings: mine.slice(index, index + 500) });
            index += 500;
            if (!ok) return void call.once('drain', pump);
          }
          call.end();
        };
        pump();
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  client.close();
  return all.length / seconds;
}

/** A bike's MQTT connection, signed in with its device secret; it does not reconnect, so a dropped connection fails the run. */
const connectBike = (target: Target, device: { bikeId: string; secret: string }) =>
  mqtt.connectAsync(target.mqttUrl, { protocolVersion: 4, username: device.bikeId, password: device.secret, reconnectPeriod: 0 });

/** Publishes a reading to its bike's topic, QoS 1: resolves at the PUBACK, once it is durable. */
const publishReading = (client: mqtt.MqttClient, body: ReturnType<typeof reading> & { rideId?: string }) => client.publishAsync(readingsTopic(body.bikeId), JSON.stringify(body), { qos: 1 });

async function mqttLoad(target: Target, devices: { bikeId: string; secret: string }[], offset: number, during?: (loading: () => boolean) => Promise<void>): Promise<number> {
  const clients = await Promise.all(devices.map((device) => connectBike(target, device)));
  const started = performance.now();
  let loading = true;
  const probes = during?.(() => loading);
  await Promise.all(
    clients.map(async (client, index) => {
      const bikeId = devices[index].bikeId;
      for (let n = 0; n < MQTT_PER_BIKE; n += 1) {
        await publishReading(client, reading(bikeId, offset + n));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  loading = false;
  await probes;
  await Promise.all(clients.map((client) => client.endAsync()));
  return (devices.length * MQTT_PER_BIKE) / seconds;
}

async function httpLoad(target: Target, devices: { bikeId: string; secret: string }[], offset: number): Promise<number> {
  const agent = new Agent({ connections: HTTP_CONNECTIONS, pipelining: 1 });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: HTTP_CONNECTIONS }, async () => {
      while (next < HTTP_BATCHES) {
        const batch = next++;
        const device = devices[batch % devices.length];
        const round = Math.floor(batch / devices.length);
        const body = Array.from({ length: HTTP_BATCH }, (_, n) => JSON.stringify(reading(device.bikeId, offset + round * HTTP_BATCH + n))).join('\n');
        const response = await request(`${target.deviceUrl}/v1/readings`, {
          method: 'POST',
          dispatcher: agent,
          body,
          headers: { authorization: `Bearer ${device.bikeId}:${device.secret}`, 'content-type': 'application/x-ndjson' },
        });
        await response.body.text();
        if (response.statusCode !== 202) throw new Error(`HTTP ${response.statusCode}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return (HTTP_BATCHES * HTTP_BATCH) / seconds;
}

/**
 * Probe readings, each with a ride of its own, polled through GetRideImpact until it is queryable:
 * each probe device sends its next one as soon as the last is found, for as long as `loading()`
 * says the load runs. A probe sent after the load would measure an idle service (until 2026-12-05
 * one device sent 30, one after another, and most went after a 2-second load).
 */
async function probeLatency(target: Target, probes: { bikeId: string; secret: string }[], loading: () => boolean): Promise<number[]> {
  const client = telematicsClient(target.grpcAddress, operator());
  const latencies: number[] = [];
  await Promise.all(
    probes.map(async (device) => {
      const publisher = await connectBike(target, device);
      for (let n = 0; loading(); n += 1) {
        const rideId = randomUUID();
        const sent = performance.now();
        await publishReading(publisher, { ...reading(device.bikeId, PROBE_SEQUENCE + 1 + n), rideId });
        for (;;) {
          const found = await client.getRideImpact({ rideId }).then(() => true, () => false);
          if (found) break;
          if (performance.now() - sent > PROBE_GIVE_UP_MS) throw new Error(`probe ${n} of bike ${device.bikeId} (ride ${rideId}) was not queryable after ${PROBE_GIVE_UP_MS / 1000} s`);
          // Every 50 ms: the five probes' polls (about 100 calls a second) take no more from the
          // load than the one probe polling every 10 ms did; 50 ms is small beside the 2 s target.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        latencies.push(performance.now() - sent);
      }
      await publisher.endAsync();
    }),
  );
  client.close();
  return latencies;
}

/**
 * Each probe device sends the reading before its first probe, before any load: the probes then
 * measure a bike already riding. A bike's very first reading is held for the reorder window (1 s)
 * by rule, since an earlier one may still be on its way. Until 2026-12-05 each device's first probe
 * was that reading: a quarter to a third of the probes waited a second longer than the rest for a
 * reason a riding bike never meets. The gRPC load's drain cleans these readings.
 */
async function warmProbes(target: Target, probes: { bikeId: string; secret: string }[]): Promise<void> {
  await Promise.all(
    probes.map(async (device) => {
      const publisher = await connectBike(target, device);
      await publishReading(publisher, reading(device.bikeId, PROBE_SEQUENCE));
      await publisher.endAsync();
    }),
  );
}

/** Seconds until the cleaner has decided every accepted reading (from the service's own counters). */
async function drainSeconds(graphqlUrl: string): Promise<number> {
  const dispatcher = httpDispatcher(operator());
  const total = (text: string, metric: string) =>
    [...text.matchAll(new RegExp(`^${metric}\\{[^}]*\\} (\\d+)`, 'gm'))].reduce((sum, match) => sum + Number(match[1]), 0);
  const started = performance.now();
  for (;;) {
    const text = await (await undiciFetch(graphqlUrl.replace(/\/graphql$/, '/metrics'), { dispatcher })).text();
    const accepted = total(text, 'telematics_readings_accepted_total');
    const measured = [...text.matchAll(/^telematics_readings_curated_total\{[^}]*filled="false"[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    const dropped = total(text, 'telematics_readings_dropped_total');
    if (measured + dropped >= accepted) return (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const startPeers = () => startPeer<Target>(join(__dirname, 'peers', 'telematics-peers.ts'), [], TEST_ENV);

/** A door's figure: readings a second, and the CPU microseconds spent per reading. */
interface Door {
  ours: number;
  bare: number;
  oursCpuUs: number;
  bareCpuUs: number;
}

/** Runs a load and answers its rate with the CPU `cpu()` counted meanwhile, per reading. */
async function costed(cpu: () => number, readings: number, load: () => Promise<number>): Promise<{ rate: number; cpuUs: number }> {
  const before = cpu();
  const rate = await load();
  return { rate, cpuUs: ((cpu() - before) * 1e6) / readings };
}

async function door(ours: () => number, bare: () => number, readings: number, loadOurs: () => Promise<number>, loadBare: () => Promise<number>): Promise<Door> {
  const a = await costed(ours, readings, loadOurs);
  const b = await costed(bare, readings, loadBare);
  return { ours: a.rate, bare: b.rate, oursCpuUs: a.cpuUs, bareCpuUs: b.cpuUs };
}

/** `embedded`: the embedded PostgreSQL server `npm start` runs; `postgres`: the machine's server. */
type Engine = 'embedded' | 'postgres';

async function measureEngine(engine: Engine, peers: Peer<Target>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-bench-telematics-'));
  let db: TestDatabase | undefined;
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl: string;
  if (engine === 'postgres') {
    db = await createTestDatabase('bench_telematics');
    databaseUrl = db.url;
  } else {
    embedded = await EmbeddedPostgres.start(dataDir, (await freePorts(1))[0]);
    databaseUrl = (await embedded.databaseUrls(['telematics'])).telematics;
  }
  const databasePid = embedded?.pid ?? (await postgresServerPid(databaseUrl));
  const service = await ServiceProcess.start(
    'telematics',
    {
      ...TEST_ENV,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      INVENTORY_SERVICE_ADDR: '127.0.0.1:9',
      RIDE_SERVICE_ADDR: '127.0.0.1:9',
      TELEMATICS_HTTP_BATCHES_PER_SECOND: '100000',
      // Every bike, and the probe, connects from this one loopback address (1,000 a address by default).
      TELEMATICS_MQTT_MAX_CONNECTIONS_PER_ADDRESS: String(BIKES + 10),
      TELEMATICS_DATABASE_URL: databaseUrl,
      NODE_OPTIONS: measuredNodeOptions(),
    },
    { runtime: 'compiled' },
  );
  // What the system spends: the service and its database server, all of its sessions included.
  const systemCpu = () => cpuSeconds(service.pid) + treeCpuSeconds(databasePid);
  const peerCpu = () => cpuSeconds(peers.pid);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(service.pid))), 200);
  try {
    const target = { mqttUrl: service.ready.mqttUrl as string, grpcAddress: service.address, deviceUrl: service.ready.deviceUrl as string };
    const bare = peers.ready;
    const client = telematicsClient(service.address, operator());
    const devices: { bikeId: string; secret: string }[] = [];
    for (let n = 0; n < BIKES + PROBES; n += 1) {
      const bikeId = randomUUID();
      devices.push({ bikeId, secret: (await client.provisionDevice({ bikeId, rotate: false })).secret });
    }
    client.close();
    const probes = devices.splice(BIKES);
    const bikes = devices.map((device) => device.bikeId);
    await warmProbes(target, probes);
    const idleRss = rssMb(service.pid);
    // Each of our loads ends when the cleaner has curated what it accepted (seconds after the last
    // reading): so a door's CPU per reading includes its readings' curation, and the next door
    // starts on a quiet service instead of paying for the previous one's. The rate is the load's.
    const curated = (load: () => Promise<number>, drained: (seconds: number) => void = () => undefined) => async () => {
      const rate = await load();
      drained(await drainSeconds(service.graphqlUrl));
      return rate;
    };
    const grpc = await door(systemCpu, peerCpu, bikes.length * GRPC_PER_BIKE, curated(() => grpcLoad(target, bikes, 0)), () => grpcLoad(bare, bikes, 0));
    let latencies: number[] = [];
    const mqttFigures = await door(
      systemCpu,
      peerCpu,
      devices.length * MQTT_PER_BIKE,
      curated(() =>
        mqttLoad(target, devices, 100_000, async (loading) => {
          latencies = await probeLatency(target, probes, loading);
        }),
      ),
      () => mqttLoad(bare, devices, 100_000),
    );
    // The cleaning backlog is measured right after our HTTPS load, before the peer's.
    let backlogSeconds = 0;
    const http = await door(
      systemCpu,
      peerCpu,
      HTTP_BATCHES * HTTP_BATCH,
      curated(
        () => httpLoad(target, devices, 200_000),
        (seconds) => (backlogSeconds = seconds),
      ),
      () => httpLoad(bare, devices, 200_000),
    );
    // Idle: nothing arrives; the process should sleep (no polling loops).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const before = cpuSeconds(service.pid);
    await new Promise((resolve) => setTimeout(resolve, QUICK ? 5000 : 10_000));
    const idleCpuPercent = (100 * (cpuSeconds(service.pid) - before)) / (QUICK ? 5 : 10);
    return { engine, grpc, mqtt: mqttFigures, http, latencies, peakRss, idleRss, idleCpuPercent, backlogSeconds };
  } finally {
    clearInterval(sampler);
    await service.stop();
    await db?.drop();
    await embedded?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const STREAM_READINGS = QUICK ? 20_000 : 100_000;
const STREAM_BATCH = 500;

/** Publishes `count` readings of these bikes to their subjects, many at a time, each acknowledged by JetStream. */
async function fillStream(nc: NatsConnection, subjectOf: (bikeId: string) => string, bikes: string[], count: number, offset: number): Promise<void> {
  const js = jetstream(nc);
  for (let start = 0; start < count; start += 2000) {
    const publishes: Promise<unknown>[] = [];
    for (let n = start; n < Math.min(count, start + 2000); n += 1) {
      const bikeId = bikes[n % bikes.length];
      publishes.push(js.publish(subjectOf(bikeId), JSON.stringify(reading(bikeId, offset + Math.floor(n / bikes.length)))));
    }
    await Promise.all(publishes);
  }
}

/**
 * Watches a consumer of a full stream: answers the seconds from its first fetch (the first message
 * leaves "pending") until nothing is pending or unacknowledged. A process's start is not counted.
 */
async function drainSecondsOf(nc: NatsConnection, stream: string, consumer: string, onFirstFetch: () => void): Promise<number> {
  const jsm = await jetstreamManager(nc);
  let started: number | undefined;
  for (;;) {
    const info = await jsm.consumers.info(stream, consumer).catch(() => undefined); // the processor makes it
    if (!info) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    if (started === undefined && info.num_pending < STREAM_READINGS) {
      started = performance.now();
      onFirstFetch();
    }
    if (started !== undefined && info.num_pending + info.num_ack_pending === 0) return (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** CPU per reading, in µs, of each process that works for the processor. */
interface CpuSplit {
  processor: number;
  nats: number;
  database: number;
}

/** CPU seconds of each process read before and after a drain, as µs per reading of the stream. */
function perReading<Part extends string>(before: Record<Part, number>, after: Record<Part, number>): Record<Part, number> {
  return Object.fromEntries((Object.keys(after) as Part[]).map((part) => [part, ((after[part] - before[part]) * 1e6) / STREAM_READINGS])) as Record<Part, number>;
}

/** The sum of a split's parts. */
const total = (split: Record<string, number>) => Object.values(split).reduce((sum, value) => sum + value, 0);

interface BareDrain {
  rate: number;
  cpuUs: number;
  split: { consumer: number; nats: number };
}

/**
 * A bare pull consumer (this process) drains a stream of its own, kept as `keeping` says and filled
 * with the same readings: the same batches, each message acknowledged, nothing else done. Its CPU
 * is this process's and nats-server's.
 */
async function bareDrain(nats: NatsServer, nc: NatsConnection, bikes: string[], name: string, keeping: Partial<StreamConfig>): Promise<BareDrain> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [`bench.${name}.*`], ...keeping });
  await jsm.consumers.add(name, { durable_name: 'bare', ack_policy: AckPolicy.Explicit });
  await fillStream(nc, (bikeId) => `bench.${name}.${bikeId}`, bikes, STREAM_READINGS, 0);
  const consumer = await jetstream(nc).consumers.get(name, 'bare');
  const cpu = () => {
    const { user, system } = process.cpuUsage();
    return { consumer: (user + system) / 1e6, nats: cpuSeconds(nats.pid) };
  };
  let before = cpu();
  const drained = drainSecondsOf(nc, name, 'bare', () => (before = cpu()));
  let taken = 0;
  while (taken < STREAM_READINGS) {
    for await (const message of await consumer.fetch({ max_messages: STREAM_BATCH, expires: 1000 })) {
      message.ack();
      taken += 1;
    }
  }
  const rate = STREAM_READINGS / (await drained);
  const after = cpu();
  const split = perReading(before, after);
  await jsm.streams.delete(name);
  return { rate, cpuUs: total(split), split };
}

/**
 * The production path: one processor on PostgreSQL drains a stream filled while none ran, against
 * a bare pull consumer of a stream kept the same way (same batch size, acknowledging each message
 * and doing nothing else).
 */
async function measureJetStream(): Promise<Door & { peakRss: number; split: CpuSplit; bareSplit: BareDrain['split']; kept: BareDrain }> {
  const nats = await NatsServer.start();
  const db = await createTestDatabase('bench_telematics_jetstream');
  const dirs: string[] = [];
  // The bench's own stream and its filling need every right in the application account.
  const nc = await nats.connectAsAdmin();
  const env = (role: 'api' | 'processor') => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-bench-jetstream-'));
    dirs.push(dataDir);
    return { ...TEST_ENV, DATA_DIR: dataDir, LOG_LEVEL: 'warn', INVENTORY_SERVICE_ADDR: '127.0.0.1:9', RIDE_SERVICE_ADDR: '127.0.0.1:9', TELEMATICS_DATABASE_URL: db.url, ...nats.env(role), TELEMATICS_BUS_BATCH: String(STREAM_BATCH), TELEMATICS_ROLE: role };
  };
  try {
    // The API replica makes the stream and provisions the bikes; it processes nothing.
    const api = await ServiceProcess.start('telematics', env('api'));
    const client = telematicsClient(api.address, operator());
    const bikes: string[] = [];
    for (let n = 0; n < BIKES; n += 1) {
      const bikeId = randomUUID();
      await client.provisionDevice({ bikeId, rotate: false });
      bikes.push(bikeId);
    }
    client.close();
    await api.stop();

    // The bare consumer, on streams of its own with the same messages: one kept as the processor's
    // is (the reference), and one that keeps acknowledged messages, which shows nats-server's deletes.
    const reference = await bareDrain(nats, nc, bikes, 'BENCH_BARE', STREAM_KEEPING);
    const kept = await bareDrain(nats, nc, bikes, 'BENCH_BARE_KEPT', { storage: StorageType.File, retention: RetentionPolicy.Limits });

    await fillStream(nc, bikeSubject, bikes, STREAM_READINGS, 0);
    const databasePid = await postgresServerPid(db.url);
    let oursCpu = (): CpuSplit => ({ processor: 0, nats: 0, database: 0 });
    let oursCpuBefore = oursCpu();
    const drained = drainSecondsOf(nc, STREAM, DURABLE, () => (oursCpuBefore = oursCpu()));
    // Compiled (main's build) and with the heap cap of its resource class, as production runs it.
    const processor = await ServiceProcess.start('telematics', { ...env('processor'), NODE_OPTIONS: measuredNodeOptions(nodeOptionsFor('telematics-processor')) }, { runtime: 'compiled' });
    oursCpu = () => ({ processor: cpuSeconds(processor.pid), nats: cpuSeconds(nats.pid), database: treeCpuSeconds(databasePid) });
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(processor.pid))), 200);
    try {
      const seconds = await drained;
      const after = oursCpu();
      const split = perReading(oursCpuBefore, after);
      const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings');
      if (row.n !== STREAM_READINGS) throw new Error(`the processor stored ${row.n} readings of ${STREAM_READINGS}`);
      return {
        ours: STREAM_READINGS / seconds,
        bare: reference.rate,
        oursCpuUs: total(split),
        bareCpuUs: reference.cpuUs,
        peakRss,
        split,
        bareSplit: reference.split,
        kept,
      };
    } finally {
      clearInterval(sampler);
      await processor.stop();
    }
  } finally {
    await nc.close();
    await db.drop();
    await nats.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

const cpu = (figure: Door) => `${figure.oursCpuUs.toFixed(0)} µs CPU, bare ${figure.bareCpuUs.toFixed(0)} µs (${(figure.oursCpuUs / figure.bareCpuUs).toFixed(1)}x)`;
const rate = (name: string, figure: Door, target: number) =>
  `  ${name.padEnd(14)} ${figure.ours.toFixed(0).padStart(7)} readings/s   bare peer ${figure.bare.toFixed(0).padStart(7)}/s   ratio ${(figure.ours / figure.bare).toFixed(2)}   target ≥ ${target}  ${figure.ours >= target ? 'met' : 'NOT met'}\n` +
  `  ${''.padEnd(14)} per reading: ${cpu(figure)} (the service and its database server; bare: the peer)`;

async function main(): Promise<void> {
  await ensureMeshCertificates(TEST_ENV.MESH_CERTS_DIR);
  // The service runs compiled, as `npm start` runs it: one build for every part of the run.
  await buildDist();
  const peers = await startPeers();
  try {
    console.log(`telematics ingest${QUICK ? ' (quick)' : ''}: ${BIKES} bikes; gRPC ${BIKES * GRPC_PER_BIKE}, MQTT ${BIKES * MQTT_PER_BIKE}, HTTPS ${HTTP_BATCHES * HTTP_BATCH} readings`);
    for (const engine of STREAM_ONLY ? [] : EMBEDDED_ONLY ? (['embedded'] as const) : (['embedded', 'postgres'] as const)) {
      const r = await measureEngine(engine, peers);
      console.log(`\n${engine === 'embedded' ? 'the embedded PostgreSQL server (the embedded default)' : 'the PostgreSQL server'}:`);
      console.log(rate('gRPC stream', r.grpc, 20_000));
      console.log(rate('MQTT QoS 1', r.mqtt, 10_000));
      console.log(rate('HTTPS batches', r.http, 20_000));
      const sorted = [...r.latencies].sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const p90 = percentile(sorted, 90);
      const p99 = percentile(sorted, 99);
      // With 50 to 70 probes the p99 is about the slowest one: the p90 says whether that is the tail or one outlier.
      console.log(
        `  ingest-to-queryable under MQTT load: p50 ${p50.toFixed(0)} ms, p90 ${p90.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (${r.latencies.length} probes)   target p99 ≤ 2000 ms  ${p99 <= 2000 ? 'met' : 'NOT met'}`,
      );
      console.log(`  cleaning backlog after the HTTPS load: ${r.backlogSeconds.toFixed(1)} s until every accepted reading was curated`);
      console.log(`  RSS: idle ${r.idleRss.toFixed(0)} MB, peak under load ${r.peakRss.toFixed(0)} MB   target ≤ 250 MB  ${r.peakRss <= 250 ? 'met' : 'NOT met'}`);
      console.log(`  CPU while idle: ${r.idleCpuPercent.toFixed(2)}% of a core`);
    }
    if (EMBEDDED_ONLY) return;
    if (natsServerInstalled) {
      const stream = await measureJetStream();
      console.log(`\nproduction path (nats-server JetStream, PostgreSQL), ${STREAM_READINGS} readings waiting:`);
      console.log(
        `  JetStream processor ${stream.ours.toFixed(0).padStart(7)} readings/s   bare consumer ${stream.bare.toFixed(0).padStart(7)}/s   ratio ${(stream.ours / stream.bare).toFixed(2)}   target ratio ≥ 0.5  ${stream.ours / stream.bare >= 0.5 ? 'met' : 'NOT met'}`,
      );
      const us = (value: number) => `${value.toFixed(0)} µs`;
      console.log(`  CPU per reading: ${cpu(stream)} (processor, nats-server and PostgreSQL; bare: the consumer and nats-server)`);
      console.log(`    processor ${us(stream.split.processor)}, nats-server ${us(stream.split.nats)}, PostgreSQL ${us(stream.split.database)}; bare: consumer ${us(stream.bareSplit.consumer)}, nats-server ${us(stream.bareSplit.nats)}`);
      console.log(
        `  the bare consumer on a stream that keeps acknowledged messages (no deletes): ${stream.kept.rate.toFixed(0)}/s, ${us(stream.kept.cpuUs)} a reading (consumer ${us(stream.kept.split.consumer)}, nats-server ${us(stream.kept.split.nats)})`,
      );
      console.log(`  peak RSS ${stream.peakRss.toFixed(0)} MB (limit ${RESOURCE_CLASSES[WORKLOAD_CLASSES['telematics-processor']].limits.memory}, ${nodeOptionsFor('telematics-processor')})`);
    } else {
      console.log('\nproduction path: skipped, nats-server is not installed (.ci/run installs it)');
    }
  } finally {
    await peers.stop();
    rmSync(TEST_ENV.MESH_CERTS_DIR, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
