// `npm run bench`: the whole system measured beside its references, in one run, as one table
// (printed, and written under bench/results/). `-- --quick` makes every load short, for a smoke run.
//   P1 federation  home screen and myRides through our gateway | Hive Gateway | the monolith
//   P2 ride flow   StartRide + EndRide on the embedded default (one embedded PostgreSQL server),
//                  on PGlite and on the machine's PostgreSQL | the bare chain (no work behind mTLS)
//   P3 east-west   GetBike | a bare grpc-js echo with the same credentials
//   P4 tracing     exporting | SDK on without exporter, and the same less one instrumentation
//                  at a time (OTEL_NODE_DISABLED_INSTRUMENTATIONS); exporting with every trace
//                  dropped by the sampler (always_off) | OTEL_SDK_DISABLED=true; the
//                  four modes in two rounds (the better kept), each row also as CPU per request
//                  of the six processes and the database server
//   P5, P6         idle memory per process, cold and warm start | bare Node processes
//   A1 documents   the home screen sent by manifest id (trusted documents) | as its full document:
//                  request bytes and the gateway's CPU per request
//   SLIs           each SLO of docs/slos.md measured by its own queries on a real Prometheus over a
//                  production-like load: the app's screens and rides through the gateway, the GBFS
//                  feed and bikes' readings through the HTTPS door, tracing exporting
// The README explains how to read it. Telematics' ingest figures have their own run
// (`npm run bench:telematics`); its process is part of P5 and P6 here. `--only=embedded`,
// `--only=pglite` or `--only=postgres` runs one part; `--only=flows`, P2 and P3 alone on the
// embedded default (a cold start, no tracing or footprint rows).
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildDist } from '../../services/local-stack/src/build';
import { dependencyEnv } from '../../services/local-stack/src/local-stack';
import type { ProcessName } from '../../services/local-stack/src/launched-service';
import { inventoryClient, telematicsClient, userClient } from '../support/grpc-clients';
import { readingJson } from '../support/telematics';
import { randomUUID } from 'node:crypto';
import { OtlpReceiver } from '../support/otlp-receiver';
import { BENCH_ENV, BenchData, benchCredentials, databaseCpuSeconds, exportingTo, prepareCertificates, removeCertificates, stackCpuSeconds, startBenchStack, type StartedBench } from './lib/bench-stack';
import { checkGraphql, closedLoop, httpLoad, type HttpRequestSpec, type LoadResult } from './lib/load';
import { cpuSeconds, rssMb, startPeer, type Peer } from './lib/peer';
import { rate, Report, type Figure } from './lib/report';
import { SliProbe, type SliFigure } from './lib/slis';
import { MANIFEST_FILE } from '../../supergraph/clients/rider-app/paths';
import type { PersistedQueryManifest } from '../../supergraph/src/app-manifests';
import { readFileSync } from 'node:fs';
import { INSTRUMENTATION_NAMES, type InstrumentationName } from '../../services/platform/src/telemetry/sdk';
import { createAppCallers, createRiders, graphqlRequest, HOME_QUERY, MY_RIDES_QUERY, rideFlows, type AppCallers, type Rider } from './lib/workloads';

const QUICK = process.argv.includes('--quick');
/** `--only=embedded`, `--only=pglite`, `--only=postgres` or `--only=flows` runs one part (while working on it). */
const ONLY = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 10));
const CLIENTS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** Riders the GraphQL loads take in turn: twice the connections, so requests in flight are for different riders. */
const APP_RIDERS = 2 * CLIENTS;
const WARMUP_SECONDS = QUICK ? 1 : 3;
const PEERS = join(__dirname, 'peers');
const EMBEDDED = 'embedded PostgreSQL';
const PROCESSES: ProcessName[] = ['user', 'inventory', 'payment', 'ride', 'telematics', 'gateway'];

const report = new Report({ quick: QUICK, secondsPerLoad: SECONDS, clients: CLIENTS, node: process.version });

const met = (value: boolean, text: string) => ({ text, met: value });

/** A load's result, with the CPU per request that `cpu` counted during it, when it was given one. */
type CostedLoad = LoadResult & { cpuUs?: number };

/** Runs the measured part of a load, counting `cpu` (seconds) around it, per request answered. */
async function costed(load: () => Promise<LoadResult>, cpu?: () => number): Promise<CostedLoad> {
  const before = cpu?.();
  const result = await load();
  return cpu && before !== undefined ? { ...result, cpuUs: ((cpu() - before) * 1e6) / Math.max(1, result.rate * SECONDS) } : result;
}

/** An HTTP load after a warm-up, once the request is known to be answered with data. */
async function requestLoad(spec: HttpRequestSpec, cpu?: () => number): Promise<CostedLoad> {
  await checkGraphql(spec);
  await httpLoad(spec, { connections: CLIENTS, seconds: WARMUP_SECONDS });
  return costed(() => httpLoad(spec, { connections: CLIENTS, seconds: SECONDS }), cpu);
}

/** The same, for one query sent as the app's riders in turn. */
const graphqlLoad = (url: string, callers: AppCallers, query: string, cpu?: () => number) => requestLoad(graphqlRequest(url, callers, query), cpu);

/**
 * The same load on several GraphQL endpoints, twice, the second round in reverse order, keeping each
 * endpoint's better round: on this shared machine a neighbour's burst can halve one 10 s load, and
 * whichever runs first or last would otherwise carry it.
 */
async function bestOfTwoRounds(urls: string[], callers: AppCallers, query: string): Promise<LoadResult[]> {
  const best: LoadResult[] = [];
  for (const order of [urls.map((_, index) => index), urls.map((_, index) => urls.length - 1 - index)]) {
    for (const index of order) {
      const load = await graphqlLoad(urls[index], callers, query);
      if (!best[index] || load.rate > best[index].rate) best[index] = load;
    }
  }
  return best;
}

async function grpcLoad(call: (client: number) => Promise<unknown>, cpu?: () => number): Promise<CostedLoad> {
  await call(0); // fails the run at once if the call itself is wrong
  await closedLoop({ clients: CLIENTS, seconds: WARMUP_SECONDS, call });
  return costed(() => closedLoop({ clients: CLIENTS, seconds: SECONDS, call }), cpu);
}

/** The bare chain of P2 and the bare echo of P3: two processes, as the ride service and its peers. */
async function startBareChain(): Promise<{ deps: Peer<Record<string, string>>; ride: Peer<Record<string, string>> }> {
  const deps = await startPeer<Record<string, string>>(join(PEERS, 'bare-chain.ts'), ['deps'], BENCH_ENV);
  const ride = await startPeer<Record<string, string>>(join(PEERS, 'bare-chain.ts'), ['ride', JSON.stringify(deps.ready)], BENCH_ENV);
  return { deps, ride };
}

/** The reference of P5 and P6: six Node processes that load nothing, started the way ours are. */
async function bareProcesses(): Promise<{ startSeconds: number; rssMb: number }> {
  const started = performance.now();
  const children = await Promise.all(
    PROCESSES.map(
      () =>
        new Promise<ReturnType<typeof spawn>>((resolve) => {
          const child = spawn(process.execPath, ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
          child.stdout!.once('data', () => resolve(child));
        }),
    ),
  );
  const startSeconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const total = children.reduce((sum, child) => sum + rssMb(child.pid!), 0);
  for (const child of children) child.kill('SIGKILL');
  return { startSeconds, rssMb: total };
}

/** Ride flows against a ride service: the stack's, or the bare chain's. */
async function flowsAt(rideAddress: string, riders: Rider[], cpu?: () => number): Promise<CostedLoad> {
  const flows = rideFlows(rideAddress, riders, benchCredentials('operator'));
  try {
    return await grpcLoad(flows.flow, cpu);
  } finally {
    flows.close();
  }
}

async function getBikeOn(address: string, bikeId: string, cpu?: () => number): Promise<CostedLoad> {
  const client = inventoryClient(address, benchCredentials('operator'));
  try {
    return await grpcLoad(() => client.getBike({ bikeId }), cpu);
  } finally {
    client.close();
  }
}

function footprintRows(engine: string, cold: StartedBench, warmSeconds: number, bare: { startSeconds: number; rssMb: number }, embedded: boolean): void {
  const startRef = { name: 'six bare Node processes', figure: { value: bare.startSeconds, unit: 's' } satisfies Figure };
  report.add({ part: 'P6', what: `cold start, ${engine} (fresh data)`, ours: { value: cold.startSeconds, unit: 's' }, reference: startRef, target: embedded ? met(cold.startSeconds <= 8, '≤ 8 s') : undefined });
  report.add({ part: 'P6', what: `warm start, ${engine}`, ours: { value: warmSeconds, unit: 's' }, reference: startRef, target: embedded ? met(warmSeconds <= 3, '≤ 3 s') : undefined });
  const perBare = bare.rssMb / PROCESSES.length;
  for (const name of PROCESSES) {
    report.add({ part: 'P5', what: `idle RSS, ${name}, ${engine}`, ours: { value: cold.idleRss[name], unit: 'MB' }, reference: { name: 'a bare Node process', figure: { value: perBare, unit: 'MB' } } });
  }
  const database = cold.idleRss.database;
  if (database !== undefined) {
    report.add({ part: 'P5', what: `idle PSS, the ${engine} server (all its processes)`, ours: { value: database, unit: 'MB' }, reference: { name: 'a bare Node process', figure: { value: perBare, unit: 'MB' } } });
  }
  const total = PROCESSES.reduce((sum, name) => sum + cold.idleRss[name], database ?? 0);
  const what = database === undefined ? 'all six processes' : 'all six processes and the database server';
  report.add({ part: 'P5', what: `idle memory, ${what}, ${engine}`, ours: { value: total, unit: 'MB' }, reference: { name: 'six bare Node processes', figure: { value: bare.rssMb, unit: 'MB' } }, target: embedded ? met(total <= 1024, '≤ 1,024 MB') : undefined });
}

/** P1, P2 and P3 on the PostgreSQL server, where the monolith can share the services' databases. */
async function onPostgres(bare: { startSeconds: number; rssMb: number }, chain: Awaited<ReturnType<typeof startBareChain>>): Promise<void> {
  const data = await BenchData.create('postgres');
  try {
    const cold = await startBenchStack(data);
    const services = cold.stack.services;
    try {
      // An ops key: since rider privacy, a rider may not follow a bike of a finished ride, and
      // inventory answers its entity with null. Our gateway then answers `bike: null`; Hive Gateway
      // answers an error for the null entity's non-null `model`. With the ops key all three
      // gateways resolve every ride's bike, the same work as before the privacy change.
      const callers = await createAppCallers(cold.stack, APP_RIDERS, ['ops']);
      const gatewayEnv = { ...BENCH_ENV, ...dependencyEnv('gateway', services) };
      const hive = await startPeer<{ graphqlUrl: string }>(join(PEERS, 'hive-gateway.ts'), [], gatewayEnv);
      const monolith = await startPeer<{ graphqlUrl: string }>(join(PEERS, 'monolith.ts'), [], {
        ...gatewayEnv,
        ...dependencyEnv('ride', services),
        DATA_DIR: data.dataDir,
        ...Object.assign({}, ...Object.values(data.serviceEnv())),
      });
      try {
        for (const [what, query] of [['home screen', HOME_QUERY], ['myRides', MY_RIDES_QUERY]] as const) {
          const [ours, hiveLoad, monolithLoad] = await bestOfTwoRounds([services.gateway.graphqlUrl, hive.ready.graphqlUrl, monolith.ready.graphqlUrl], callers, query);
          report.add({ part: 'P1', what: `${what}, our gateway vs Hive Gateway`, ours: rate(ours, 'req/s'), reference: { name: 'Hive Gateway', figure: rate(hiveLoad, 'req/s') }, target: met(ours.rate >= hiveLoad.rate, 'ratio ≥ 1') });
          report.add({
            part: 'P1',
            what: `${what}, our gateway vs the monolith`,
            ours: rate(ours, 'req/s'),
            reference: { name: 'monolith', figure: rate(monolithLoad, 'req/s') },
            // Issue 22's targets: myRides at half the monolith's rate, the home screen at 0.4.
            target: what === 'myRides' ? met(ours.rate >= 0.5 * monolithLoad.rate, 'ratio ≥ 0.5') : met(ours.rate >= 0.4 * monolithLoad.rate, 'ratio ≥ 0.4'),
          });
        }
      } finally {
        await hive.stop();
        await monolith.stop();
      }
      const riders = await createRiders(cold.stack, CLIENTS);
      const flows = await flowsAt(cold.stack.services.ride.address, riders);
      const bareFlows = await flowsAt(chain.ride.ready.ride, riders);
      report.add({ part: 'P2', what: 'ride flows, PostgreSQL', ours: rate(flows, 'flows/s'), reference: { name: 'bare chain', figure: rate(bareFlows, 'flows/s') } });
      const getBike = await getBikeOn(services.inventory.address, riders[0].bikeId);
      const echo = await getBikeOn(chain.deps.ready.inventory, riders[0].bikeId);
      report.add({ part: 'P3', what: 'GetBike, PostgreSQL', ours: rate(getBike, 'calls/s'), reference: { name: 'bare echo', figure: rate(echo, 'calls/s') } });
    } finally {
      await cold.stack.stop();
    }
    const warm = await startBenchStack(data);
    await warm.stack.stop();
    footprintRows('PostgreSQL', cold, warm.startSeconds, bare, false);
  } finally {
    await data.remove();
  }
}

/** The home screen and ride flows on one warm start, each with its CPU per request. */
interface TracedLoads {
  home: CostedLoad;
  flows: CostedLoad;
}

async function tracedLoads(started: StartedBench, callers: AppCallers, riders: Rider[]): Promise<TracedLoads> {
  const { stack } = started;
  const cpu = () => stackCpuSeconds(started);
  return { home: await graphqlLoad(stack.services.gateway.graphqlUrl, callers, HOME_QUERY, cpu), flows: await flowsAt(stack.services.ride.address, riders, cpu) };
}

/** Of two rounds of the same load, the one with the higher rate. */
const betterOf = (a: CostedLoad | undefined, b: CostedLoad): CostedLoad => (a && a.rate >= b.rate ? a : b);

const cpuFigure = (load: CostedLoad): Figure => ({ value: load.cpuUs ?? Number.NaN, unit: 'µs CPU/req' });

/** P2, P3, P4, P5 and P6 on the embedded default: started cold once, then warm for each tracing mode (twice) and each instrumentation left out. */
async function onEmbedded(bare: { startSeconds: number; rssMb: number }, chain: Awaited<ReturnType<typeof startBareChain>>): Promise<void> {
  const data = await BenchData.create('embedded');
  const sink = await OtlpReceiver.start();
  try {
    const cold = await startBenchStack(data);
    let callers: AppCallers;
    let riders: (Rider & { email: string })[];
    try {
      callers = await createAppCallers(cold.stack, APP_RIDERS);
      riders = await createRiders(cold.stack, CLIENTS);
      const flows = await flowsAt(cold.stack.services.ride.address, riders);
      const bareFlows = await flowsAt(chain.ride.ready.ride, riders);
      const embeddedOk = flows.rate >= 300 && flows.p99Ms <= 50 && flows.rate >= 0.5 * bareFlows.rate;
      report.add({ part: 'P2', what: `ride flows, ${EMBEDDED} (the embedded default)`, ours: rate(flows, 'flows/s'), reference: { name: 'bare chain', figure: rate(bareFlows, 'flows/s') }, target: met(embeddedOk, '≥ 300/s, p99 ≤ 50 ms, ratio ≥ 0.5') });
      // Beside the rates, what a call costs where it is served: the inventory process and the
      // database server, against the echo's process (the bare chain's dependencies, which serve
      // nothing else meanwhile). The load generator's own share is the same for both, and left out.
      const servedBy = () => cpuSeconds(cold.stack.services.inventory.pid) + databaseCpuSeconds(cold);
      const getBike = await getBikeOn(cold.stack.services.inventory.address, riders[0].bikeId, servedBy);
      const echo = await getBikeOn(chain.deps.ready.inventory, riders[0].bikeId, () => cpuSeconds(chain.deps.pid));
      report.add({ part: 'P3', what: `GetBike, ${EMBEDDED}`, ours: rate(getBike, 'calls/s'), reference: { name: 'bare echo', figure: rate(echo, 'calls/s') }, target: met(getBike.rate >= 0.7 * echo.rate, 'ratio ≥ 0.7') });
      report.add({ part: 'P3', what: `GetBike, ${EMBEDDED}, CPU per call (the inventory process and the database server)`, ours: cpuFigure(getBike), reference: { name: 'bare echo, its process', figure: cpuFigure(echo) } });
    } finally {
      await cold.stack.stop();
    }
    if (ONLY === 'flows') return;
    // The four tracing modes, each on a warm start of the same data, in the same state; twice, the
    // second round in reverse order, keeping each mode's better round (bestOfTwoRounds says why).
    // Beside each rate, the CPU per request of the six processes and the database server: the SDK's
    // cost where it is paid, which a rate shows only as far as the two cores are the bottleneck.
    let warmSeconds = 0;
    const modes = [
      ['noExporter', {}],
      ['exporting', exportingTo(sink.url)],
      // The same, with every trace dropped by the sampler: what the instrumentations cost whether or
      // not a span is recorded, and so the least any sampling ratio could cost.
      ['unsampled', { ...exportingTo(sink.url), OTEL_TRACES_SAMPLER: 'always_off' }],
      ['disabled', { OTEL_SDK_DISABLED: 'true' }],
    ] as const;
    const tracing: Partial<Record<(typeof modes)[number][0], TracedLoads>> = {};
    for (const [mode, env] of [...modes, ...[...modes].reverse()]) {
      const warm = await startBenchStack(data, env);
      warmSeconds ||= warm.startSeconds;
      try {
        const loads = await tracedLoads(warm, callers, riders);
        const best = tracing[mode];
        tracing[mode] = { home: betterOf(best?.home, loads.home), flows: betterOf(best?.flows, loads.flows) };
        if (mode === 'noExporter' && !best) await documentsVsIds(warm.stack, callers);
      } finally {
        await warm.stack.stop();
      }
    }
    // Where the SDK's cost goes: the SDK on without an exporter again, less one instrumentation each
    // time (OTEL_NODE_DISABLED_INSTRUMENTATIONS), each on its own warm start.
    const without: Partial<Record<InstrumentationName, TracedLoads>> = {};
    for (const name of INSTRUMENTATION_NAMES) {
      const warm = await startBenchStack(data, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: name });
      try {
        without[name] = await tracedLoads(warm, callers, riders);
      } finally {
        await warm.stack.stop();
      }
    }
    for (const [what, key, unit] of [['home screen', 'home', 'req/s'], ['ride flows', 'flows', 'flows/s']] as const) {
      const disabledLoad = tracing.disabled![key];
      const disabled = { name: 'OTEL_SDK_DISABLED', figure: rate(disabledLoad, unit) };
      const disabledCpu = { name: 'OTEL_SDK_DISABLED', figure: cpuFigure(disabledLoad) };
      const rows: [string, CostedLoad][] = [
        ['tracing exporting', tracing.exporting![key]],
        ['SDK on, no exporter', tracing.noExporter![key]],
        ['tracing exporting, no trace sampled (OTEL_TRACES_SAMPLER=always_off)', tracing.unsampled![key]],
        ...INSTRUMENTATION_NAMES.map((name): [string, CostedLoad] => [`SDK on, no exporter, without the ${name} instrumentation`, without[name]![key]]),
      ];
      for (const [mode, load] of rows) {
        const target = mode === 'tracing exporting' ? met(load.rate >= 0.85 * disabledLoad.rate, 'ratio ≥ 0.85') : undefined;
        report.add({ part: 'P4', what: `${what}, ${mode}`, ours: rate(load, unit), reference: disabled, target });
      }
      for (const [mode, load] of rows) report.add({ part: 'P4', what: `${what}, ${mode}, CPU per request (six processes and the database)`, ours: cpuFigure(load), reference: disabledCpu });
    }
    console.log(`  (the OTLP sink received ${sink.requests} exports, ${(sink.bytes / 1e6).toFixed(1)} MB, while exporting)`);
    footprintRows(EMBEDDED, cold, warmSeconds, bare, true);
    // The SLO run needs a real Prometheus (Debian's `prometheus`, which .ci/run installs).
    if (spawnSync('prometheus', ['--version']).status === 0) report.addSlis(await sloRun(data, callers, riders, sink.url));
    else console.log('  SLO run skipped: no `prometheus` on this machine (apt-get install prometheus)');
  } finally {
    await sink.close();
    await data.remove();
  }
}

/**
 * A1: the rider app's home screen (its HomeScreen operation from the reference client's manifest)
 * sent by id, as an app does under trusted documents, against the same operation sent as its full
 * document, on the same gateway one after the other: the request body's bytes, and the gateway
 * process's CPU time (user and system, from /proc) per request answered.
 */
async function documentsVsIds(stack: StartedBench['stack'], callers: AppCallers): Promise<void> {
  const manifest = JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as PersistedQueryManifest;
  const home = manifest.operations.find((operation) => operation.name === 'HomeScreen')!;
  const variables = { lat: 52.37, lon: 4.9 };
  const bodies = {
    id: JSON.stringify({ operationName: home.name, variables, extensions: { persistedQuery: { version: 1, sha256Hash: home.id } } }),
    full: JSON.stringify({ operationName: home.name, variables, query: home.body }),
  };
  const gateway = stack.services.gateway;
  const measured: Record<keyof typeof bodies, { load: LoadResult; cpuMicros: number; bytes: number }> = {} as never;
  for (const kind of ['full', 'id'] as const) {
    const load = await requestLoad({ ...graphqlRequest(gateway.graphqlUrl, callers, HOME_QUERY), body: bodies[kind] }, () => cpuSeconds(gateway.pid));
    measured[kind] = { load, cpuMicros: load.cpuUs!, bytes: Buffer.byteLength(bodies[kind]) };
  }
  const figure = (value: number, unit: Figure['unit']): Figure => ({ value, unit });
  report.add({ part: 'A1', what: 'home screen request body, by id vs the full document', ours: figure(measured.id.bytes, 'B/req'), reference: { name: 'full document', figure: figure(measured.full.bytes, 'B/req') } });
  report.add({
    part: 'A1',
    what: 'home screen, gateway CPU per request, by id vs the full document',
    ours: figure(measured.id.cpuMicros, 'µs CPU/req'),
    reference: { name: 'full document', figure: figure(measured.full.cpuMicros, 'µs CPU/req') },
  });
  report.add({ part: 'A1', what: 'home screen throughput, by id vs the full document', ours: rate(measured.id.load, 'req/s'), reference: { name: 'full document', figure: rate(measured.full.load, 'req/s') } });
}

/**
 * The SLIs over a production-like load on a warm start with tracing exporting: for SECONDS each,
 * together, the home screen and myRides, ride flows through the gateway (mutations), the GBFS feed,
 * and bikes posting readings to the HTTPS door; then the cleaner drains. Every path runs once
 * before the probe opens its window, so each series exists from its start.
 */
async function sloRun(data: BenchData, callers: AppCallers, riders: (Rider & { email: string })[], otlpUrl: string): Promise<SliFigure[]> {
  const { stack } = await startBenchStack(data, exportingTo(otlpUrl));
  const operator = benchCredentials('operator');
  const users = userClient(stack.services.user.address, operator);
  const telematics = telematicsClient(stack.services.telematics.address, operator);
  let probe: SliProbe | undefined;
  try {
    const gateway = stack.services.gateway.graphqlUrl;
    const post = (body: object, headers: Record<string, string>) =>
      fetch(gateway, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': callers.apiKey, ...headers }, body: JSON.stringify(body) });
    const tokens = await Promise.all(riders.map(async (rider) => (await users.loginRider({ email: rider.email, password: 'bench rider password' })).accessToken));
    const flow = async (client: number) => {
      const authorization = `Bearer ${tokens[client]}`;
      const started = (await (await post({ query: 'mutation S($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id } errors { code } } }', variables: { b: riders[client].bikeId, k: randomUUID() } }, { authorization })).json()) as {
        data: { startRide: { ride?: { id: string } } };
      };
      const rideId = started.data.startRide.ride?.id;
      if (rideId) await post({ query: 'mutation E($r: ID!) { endRide(rideId: $r) { ride { status } } }', variables: { r: rideId } }, { authorization });
    };
    const gbfs = `${gateway.replace(/\/graphql$/, '')}/gbfs/v3/vehicle_status.json`;
    const bikes = await Promise.all(riders.map(async ({ bikeId }) => ({ bikeId, key: `${bikeId}:${(await telematics.provisionDevice({ bikeId, rotate: false })).secret}`, sequence: 0 })));
    const door = `${String(stack.services.telematics.ready.deviceUrl)}/v1/readings`;
    const readings = async (client: number) => {
      const bike = bikes[client];
      const batch = Array.from({ length: 10 }, () => JSON.stringify(readingJson(bike.bikeId, (bike.sequence += 1))));
      const answer = await fetch(door, { method: 'POST', headers: { authorization: `Bearer ${bike.key}`, 'content-type': 'application/x-ndjson' }, body: batch.join('\n') });
      if (answer.status !== 202) throw new Error(`the device door answered ${answer.status}`);
    };
    // Every path once, before the window.
    await checkGraphql(graphqlRequest(gateway, callers, HOME_QUERY));
    await flow(0);
    await fetch(gbfs);
    await readings(0);
    probe = await SliProbe.start(stack, BENCH_ENV.MESH_CERTS_DIR);
    const loads = await Promise.all([
      httpLoad(graphqlRequest(gateway, callers, HOME_QUERY), { connections: CLIENTS / 2, seconds: SECONDS }),
      httpLoad(graphqlRequest(gateway, callers, MY_RIDES_QUERY), { connections: CLIENTS / 2, seconds: SECONDS }),
      closedLoop({ clients: CLIENTS, seconds: SECONDS, call: flow }),
      closedLoop({ clients: 2, seconds: SECONDS, call: () => fetch(gbfs).then((answer) => answer.arrayBuffer()) }),
      closedLoop({ clients: CLIENTS, seconds: SECONDS, call: readings }),
    ]);
    console.log(`  SLO run: ${loads.map((load) => `${load.rate.toFixed(0)}/s`).join(', ')} (home, myRides, ride flows, GBFS, reading batches)`);
    return await probe.measure();
  } finally {
    probe?.stop();
    users.close();
    telematics.close();
    await stack.stop();
  }
}

/** P2 and P5/P6 on PGlite, an engine per service (EMBEDDED_DATABASE=pglite), the former default. */
async function onPglite(bare: { startSeconds: number; rssMb: number }, chain: Awaited<ReturnType<typeof startBareChain>>): Promise<void> {
  const data = await BenchData.create('pglite');
  try {
    const cold = await startBenchStack(data);
    try {
      const riders = await createRiders(cold.stack, CLIENTS);
      const flows = await flowsAt(cold.stack.services.ride.address, riders);
      const bareFlows = await flowsAt(chain.ride.ready.ride, riders);
      report.add({ part: 'P2', what: 'ride flows, PGlite', ours: rate(flows, 'flows/s'), reference: { name: 'bare chain', figure: rate(bareFlows, 'flows/s') } });
    } finally {
      await cold.stack.stop();
    }
    const warm = await startBenchStack(data);
    await warm.stack.stop();
    footprintRows('PGlite', cold, warm.startSeconds, bare, false);
  } finally {
    await data.remove();
  }
}

async function main(): Promise<void> {
  console.log(`benchmark suite${QUICK ? ' (quick)' : ''}: ${CLIENTS} concurrent clients, ${SECONDS} s per load after a ${WARMUP_SECONDS} s warm-up`);
  await prepareCertificates();
  await buildDist();
  const chain = await startBareChain();
  try {
    const bare = await bareProcesses();
    if (!ONLY || ONLY === 'embedded' || ONLY === 'flows') await onEmbedded(bare, chain);
    if (!ONLY || ONLY === 'pglite') await onPglite(bare, chain);
    if (!ONLY || ONLY === 'postgres') await onPostgres(bare, chain);
  } finally {
    await chain.ride.stop();
    await chain.deps.stop();
    removeCertificates();
  }
  const written = report.write(join(__dirname, '..', '..', 'bench', 'results'));
  console.log(`\n${report.markdown()}\n\nwritten to ${written} (and latest.json)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
