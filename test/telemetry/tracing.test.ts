// One request from a mobile app is one trace in Jaeger, through every hop: the gateway, the ride
// subgraph, ride's gRPC calls, the user, inventory and payment servers and their database queries.
// Every process exports to a test OTLP receiver; the trace id in the response is that trace's id;
// the request's log lines carry it; a failure in payment shows as error spans up the chain. On the
// same stack: every metric the dashboards and the alerts read is one a process exports.
import { randomBytes, randomUUID } from 'node:crypto';
import { fetch } from 'undici';
import { eventually } from '../support/eventually';
import { newBike, newRider, topUp } from '../support/fixtures';
import { EXPORTED_ELSEWHERE, EXPORTED_ON_THE_BUS, exportedNames, metricsRead } from '../support/metric-names';
import { graphql } from '../support/graphql-client';
import { ancestors, OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { describeWithPostgres } from '../support/postgres';
import { TestStack, useTestStack } from '../support/stack';
import { readingJson } from '../support/telematics';

const START_RIDE = 'mutation StartRide($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id status } errors { code message } } }';
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
/** The tables only the cleaner reads and writes: its processors, its shards' leases, its batches' intents and rejects. */
const CLEANER_TABLES = ['cleaner_processors', 'cleaner_shards', 'curation_intents', 'curation_rejects_outbox'];

describeWithPostgres('tracing through every hop', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  const running = useTestStack(() => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  }));
  let apiKey: string;
  beforeAll(async () => {
    apiKey = (await running.clients.user.createApiClient({ name: 'Tracing test app', scopes: [] })).apiKey;
  });
  afterAll(() => receiver?.close());

  it('says in each process\'s ready line where its spans go', () => {
    for (const name of ['user', 'inventory', 'payment', 'ride', 'telematics', 'gateway'] as const) {
      expect(running.stack.service(name).ready.traces).toBe(`otlp to ${receiver.url}`);
    }
  });

  const startRideThroughGateway = async (fundsMinor: number) => {
    const rider = await newRider(running.clients);
    if (fundsMinor > 0) await topUp(running.clients, rider.riderId, fundsMinor);
    const bike = await newBike(running.clients);
    const token = (await running.clients.user.loginRider({ email: rider.email, password: rider.password })).accessToken;
    const key = randomUUID();
    const result = await graphql(running.stack.service('gateway').graphqlUrl, START_RIDE, { apiKey, token, variables: { b: bike.id, k: key } });
    return { result, key, traceId: result.extensions!.traceId as string };
  };

  /**
   * Waits until the trace is whole, and holds what the test needs. Whole: its root (the gateway's
   * request) and the parent of every span have arrived. Each process exports in batches, and a parent
   * ends after its children, so under load a parent often comes a batch later than its children.
   */
  const completeTrace = (traceId: string, needs: (spans: ReceivedSpan[]) => void) =>
    eventually(async () => {
      const spans = receiver.trace(traceId);
      const ids = new Set(spans.map((span) => span.spanId));
      expect(spans.filter((span) => !span.parentSpanId).map((span) => [span.service, span.name])).toEqual([['gateway', 'mutation StartRide']]);
      expect(spans.filter((span) => !ids.has(span.parentSpanId) && span.parentSpanId)).toEqual([]);
      needs(spans);
      return spans;
    }, { what: `trace ${traceId} to arrive whole`, timeoutMs: 20_000 });

  it('makes one trace, from all five processes, with no orphan span, through every hop down to the databases', async () => {
    const { result, key, traceId } = await startRideThroughGateway(2000);
    expect(result.data!.startRide.errors).toEqual([]);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(result.headers.get('x-trace-id')).toBe(traceId);

    const spans = await completeTrace(traceId, (found) => {
      expect(new Set(found.map((span) => span.service))).toEqual(new Set(['gateway', 'ride', 'user', 'inventory', 'payment']));
      for (const service of ['user', 'inventory', 'payment']) {
        expect(found.some((span) => span.service === service && span.attributes['db.system.name'] === 'postgresql')).toBe(true);
      }
      expect(found.some((span) => span.name === 'ride.unlock_bike')).toBe(true);
    });

    // One root (the gateway's request, named by the operation), every other span's parent present.
    const ids = new Set(spans.map((span) => span.spanId));
    const roots = spans.filter((span) => !span.parentSpanId);
    expect(roots.map((span) => [span.service, span.name])).toEqual([['gateway', 'mutation StartRide']]);
    expect(spans.filter((span) => span.parentSpanId && !ids.has(span.parentSpanId))).toEqual([]);

    // The flow's steps carry the ride and the idempotency key, and all of this ride's spans are here.
    const steps = spans.filter((span) => span.name.startsWith('ride.'));
    expect(steps.map((span) => span.name)).toEqual(expect.arrayContaining(['ride.identify_bike', 'ride.verify_rider', 'ride.reserve_bike', 'ride.authorize_payment', 'ride.unlock_bike']));
    for (const step of steps) expect(step.attributes['ecowheels.ride.idempotency_key']).toBe(key);
    // The two reads before the ride exists have no ride id yet; every step after them has it.
    const rideId = steps.find((span) => span.name === 'ride.reserve_bike')!.attributes['ecowheels.ride.id'];
    expect(rideId).toMatch(/^[0-9a-f-]{36}$/);
    for (const step of steps.filter((span) => !['ride.identify_bike', 'ride.verify_rider'].includes(span.name))) expect(step.attributes['ecowheels.ride.id']).toBe(rideId);
    expect(receiver.spans.filter((span) => span.attributes['ecowheels.ride.id'] === rideId && span.traceId !== traceId)).toEqual([]);

    // gateway -> ride subgraph -> ride gRPC client -> each service's gRPC server -> its database.
    for (const [service, method] of [['user', 'VerifyRider'], ['inventory', 'ReserveBike'], ['payment', 'Authorize']]) {
      const server = spans.find((span) => span.service === service && span.kind === SERVER && span.attributes['rpc.method'] === method)!;
      expect(server).toBeDefined();
      expect(server.attributes['rpc.system']).toBe('grpc');
      const chain = ancestors(spans, server);
      expect(chain[0]).toMatchObject({ service: 'ride', kind: CLIENT, attributes: expect.objectContaining({ 'rpc.method': method }) });
      // The gateway names the subgraph's operation after the client's: StartRide__ride__0.
      expect(chain.some((span) => span.service === 'ride' && span.kind === SERVER && span.name.startsWith('mutation StartRide__ride'))).toBe(true);
      expect(chain.some((span) => span.service === 'ride' && span.name === 'graphql.resolve startRide')).toBe(true);
      expect(chain.some((span) => span.service === 'gateway' && span.name === 'gateway.fetch')).toBe(true);
      const query = spans.find((span) => span.service === service && span.attributes['db.system.name'] && ancestors(spans, span).includes(server));
      expect(query).toBeDefined();
      expect(String(query!.attributes['db.query.text'])).not.toMatch(/'[^']*'|\b\d{4,}\b/); // no literal values
    }

    // The gateway's own spans: the query plan and the fetch from each subgraph it asked.
    expect(spans.filter((span) => span.service === 'gateway').map((span) => span.name)).toEqual(
      expect.arrayContaining(['gateway.request', 'gateway.plan', 'gateway.fetch']),
    );
    // Each fetch is a call through undici, whose client span (the undici instrumentation's) carried
    // the trace context to the subgraph: the subgraph's request is its child.
    const rideRequest = spans.find((span) => span.service === 'ride' && span.kind === SERVER && span.name.startsWith('mutation StartRide__ride'))!;
    // The subgraph's HTTP server span (server-span.ts), renamed by the operation it ran.
    expect(rideRequest.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/graphql', 'url.path': '/graphql', 'http.response.status_code': 200, 'url.scheme': 'https' });
    const call = spans.find((span) => span.spanId === rideRequest.parentSpanId)!;
    expect(call).toMatchObject({ service: 'gateway', kind: CLIENT, name: 'POST', attributes: expect.objectContaining({ 'http.response.status_code': 200 }) });
    expect(spans.find((span) => span.spanId === call.parentSpanId)).toMatchObject({ service: 'gateway', name: 'gateway.fetch' });

    // The log lines of the request carry its trace id.
    const rideLog = running.stack.service('ride').output.filter((line) => line.includes(String(rideId)));
    expect(rideLog.length).toBeGreaterThan(0);
    for (const line of rideLog) expect(JSON.parse(line)).toMatchObject({ trace_id: traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it('marks a failure in payment as an error span there, and on every ancestor that saw it', async () => {
    const { result, traceId } = await startRideThroughGateway(100);
    expect(result.data!.startRide.errors[0].code).toBe('FAILED_PRECONDITION');
    const spans = await completeTrace(traceId, (found) => {
      expect(found.some((span) => span.service === 'payment' && span.kind === SERVER && span.attributes['rpc.method'] === 'Authorize')).toBe(true);
      expect(found.some((span) => span.name === 'ride.release_bike')).toBe(true);
    });
    const failed = spans.find((span) => span.service === 'payment' && span.kind === SERVER && span.attributes['rpc.method'] === 'Authorize')!;
    expect(failed.status).toBe(ERROR);
    expect(failed.attributes['rpc.grpc.status_code']).toBe(9); // FAILED_PRECONDITION
    const sawIt = ancestors(spans, failed).filter((span) => span.service === 'ride');
    const errorNames = sawIt.filter((span) => span.status === ERROR).map((span) => span.name);
    // ride's gRPC client call, the flow step and the startRide resolver, which answered with the refusal.
    expect(errorNames).toEqual(expect.arrayContaining(['ride.authorize_payment', 'graphql.resolve startRide']));
    expect(sawIt.find((span) => span.kind === CLIENT)!.status).toBe(ERROR);
    expect(sawIt.find((span) => span.name === 'ride.authorize_payment')!.statusMessage).toMatch(/insufficient funds/);
  });

  it('keeps the cleaner out of the readings\' traces: each cleaning batch is a trace of its own, and a look that finds nothing is no trace', async () => {
    const bike = await newBike(running.clients);
    const { secret } = await running.clients.telematics.provisionDevice({ bikeId: bike.id, rotate: false });
    const door = `${running.stack.service('telematics').ready.deviceUrl as string}/v1/readings`;
    // The device's request carries a trace of its own, as one sent by a traced client would.
    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(door, {
      method: 'POST',
      body: [readingJson(bike.id, 1), readingJson(bike.id, 2)].map((line) => JSON.stringify(line)).join('\n'),
      headers: { authorization: `Bearer ${bike.id}:${secret}`, 'content-type': 'application/x-ndjson', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(response.status).toBe(202);

    // The reading's request woke the cleaner, which cleaned the readings in a batch: a trace of its
    // own, with the batch's queries beneath it.
    const batches = await eventually(
      async () => {
        const found = receiver.spans.filter((span) => span.service === 'telematics' && span.name === 'telematics.curate_batch');
        expect(found.length).toBeGreaterThan(0);
        // The door's request joins the device's trace, and what it did once the body was read (the
        // readings' insert) lies beneath its server span.
        const request = receiver.trace(traceId).find((span) => span.kind === SERVER);
        expect(request).toMatchObject({ name: 'POST /v1/readings', attributes: expect.objectContaining({ 'http.route': '/v1/readings', 'http.response.status_code': 202 }) });
        expect(receiver.trace(traceId).some((span) => span.attributes['db.system.name'] === 'postgresql' && ancestors(receiver.trace(traceId), span).includes(request!))).toBe(true);
        return found;
      },
      { what: 'a cleaning batch to be traced', timeoutMs: 20_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the looks after it, exported too
    for (const batch of batches) {
      expect(batch.parentSpanId).toBe('');
      expect(batch.traceId).not.toBe(traceId);
      expect(receiver.trace(batch.traceId).some((span) => span.attributes['db.system.name'] === 'postgresql')).toBe(true);
    }
    // The request's trace is the door's work alone.
    expect(receiver.trace(traceId).filter((span) => span.name === 'telematics.curate_batch' || CLEANER_TABLES.includes(String(span.attributes['db.collection.name'])))).toEqual([]);
    // The cleaner looks at its shards every few hundred milliseconds while awake; those looks, and
    // its leases' upkeep, are in no trace: every query on its tables is one of a batch's (a root
    // span here would be a look that made a trace of its own).
    const outside = receiver.spans.filter((span) => span.service === 'telematics' && !span.parentSpanId && CLEANER_TABLES.includes(String(span.attributes['db.collection.name'])));
    expect(outside.map((span) => span.name)).toEqual([]);
  });

  it('serves rate, errors and duration per GraphQL operation and per gRPC method for Prometheus', async () => {
    const dispatcher = running.stack.dispatcherAs('operator');
    const metrics = async (url: string) => (await fetch(url, { dispatcher })).text();
    const gatewayMetrics = await metrics(running.stack.service('gateway').ready.metricsUrl as string);
    expect(gatewayMetrics).toMatch(/graphql_server_request_duration_count\{[^}]*graphql_operation_name="StartRide"[^}]*\} \d+/);
    const paymentMetrics = await metrics(running.stack.service('payment').graphqlUrl.replace('/graphql', '/metrics'));
    expect(paymentMetrics).toMatch(/rpc_server_duration_count\{[^}]*rpc_method="Authorize"[^}]*rpc_grpc_status_code="9"[^}]*\} \d+/);
    const rideMetrics = await metrics(running.stack.service('ride').graphqlUrl.replace('/graphql', '/metrics'));
    expect(rideMetrics).toMatch(/rpc_client_duration_bucket\{[^}]*rpc_method="ReserveBike"/);
  });

  /** The stack's every process, scraped as the mesh's operator: the names they export. */
  async function scrapeAll(): Promise<Set<string>> {
    const dispatcher = running.stack.dispatcherAs('operator');
    const urls = [
      running.stack.service('gateway').ready.metricsUrl as string,
      ...(['user', 'inventory', 'payment', 'ride', 'telematics'] as const).map((name) => running.stack.service(name).graphqlUrl.replace(/\/graphql$/, '/metrics')),
    ];
    const names = new Set<string>();
    for (const url of urls) for (const name of exportedNames(await (await fetch(url, { dispatcher })).text())) names.add(name);
    return names;
  }

  it('exports every metric a dashboard panel or an alert rule reads (mesh-config/dashboards.ts, alerts.ts), once riders ride and bikes report', async () => {
    const gateway = running.stack.service('gateway').graphqlUrl;

    // A ride through the API, start to end, and a start refused for want of funds.
    const rider = await newRider(running.clients);
    await topUp(running.clients, rider.riderId, 2000);
    const token = (await running.clients.user.loginRider({ email: rider.email, password: rider.password })).accessToken;
    const bike = await newBike(running.clients);
    const started = await graphql(gateway, 'mutation S($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id } errors { code } } }', {
      apiKey,
      token,
      variables: { b: bike.id, k: randomUUID() },
    });
    const rideId = started.data!.startRide.ride.id as string;
    const ended = await graphql(gateway, 'mutation E($r: ID!) { endRide(rideId: $r) { ride { status } errors { code } } }', { apiKey, token, variables: { r: rideId } });
    expect(ended.data!.endRide.errors).toEqual([]);
    const broke = await newRider(running.clients);
    const brokeToken = (await running.clients.user.loginRider({ email: broke.email, password: broke.password })).accessToken;
    const refused = await graphql(gateway, 'mutation S($b: ID!, $k: String!) { startRide(bikeId: $b, idempotencyKey: $k) { ride { id } errors { code } } }', {
      apiKey,
      token: brokeToken,
      variables: { b: (await newBike(running.clients)).id, k: randomUUID() },
    });
    expect(refused.data!.startRide.errors).toEqual([{ code: 'FAILED_PRECONDITION' }]);

    // The public GBFS feed.
    expect((await fetch(`${gateway.replace(/\/graphql$/, '')}/gbfs/v3/vehicle_status.json`)).status).toBe(200);

    // A bike's readings through the HTTPS door: a GPS jump, a speeding one, a duplicate, one refused
    // by a rule; a wrong key; and, once the others are cleaned, a late one.
    const { secret } = await running.clients.telematics.provisionDevice({ bikeId: bike.id, rotate: false });
    const door = `${running.stack.service('telematics').ready.deviceUrl as string}/v1/readings`;
    const lines = [
      readingJson(bike.id, 2, { rideId }),
      readingJson(bike.id, 3, { rideId, latitude: 53.5 }),
      readingJson(bike.id, 4, { rideId, speedKmh: 52 }),
      readingJson(bike.id, 4, { rideId, speedKmh: 52 }),
      readingJson(bike.id, 5, { rideId, batteryPercent: 180 }),
    ];
    const post = (body: unknown[], key: string) =>
      fetch(door, { method: 'POST', body: body.map((line) => JSON.stringify(line)).join('\n'), headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' } });
    expect((await post(lines, `${bike.id}:${secret}`)).status).toBe(202);
    expect((await post([readingJson(bike.id, 6)], `${bike.id}:${'0'.repeat(64)}`)).status).toBe(401);
    // Cleaned (the reordering window closes), then the reading before them arrives: late.
    await eventually(async () => expect(await scrapeAll()).toContain('telematics_readings_curated_total'), { what: 'the readings to be curated', timeoutMs: 20_000 });
    expect((await post([readingJson(bike.id, 1, { rideId })], `${bike.id}:${secret}`)).status).toBe(202);

    const read = metricsRead();
    expect(read.size).toBeGreaterThan(25);
    const missing = await eventually(
      async () => {
        const exported = await scrapeAll();
        const absent = [...read.keys()].filter((name) => !exported.has(name) && !(name in EXPORTED_ELSEWHERE) && !EXPORTED_ON_THE_BUS.includes(name));
        expect(absent.map((name) => ({ name, readBy: read.get(name) }))).toEqual([]);
        return absent;
      },
      { what: 'every metric that a panel or an alert reads to be exported', timeoutMs: 20_000 },
    );
    expect(missing).toEqual([]);
  });
});

describeWithPostgres('tracing with no endpoint', () => {
  it('exports nothing when no OTLP endpoint is set, not even to the default localhost:4318', async () => {
    // Each process says in its ready line where its spans go; with no endpoint set, nowhere.
    const stack = await TestStack.start();
    try {
      const clients = stack.clients();
      const apiKey = (await clients.user.createApiClient({ name: 'No export app', scopes: [] })).apiKey;
      const result = await graphql(stack.service('gateway').graphqlUrl, '{ tariff { holdMinutes } }', { apiKey });
      expect(result.extensions!.traceId).toMatch(/^[0-9a-f]{32}$/); // spans exist, so ids still flow
      const names = ['user', 'inventory', 'payment', 'ride', 'telematics', 'gateway'] as const;
      expect(Object.fromEntries(names.map((name) => [name, stack.service(name).ready.traces]))).toEqual(Object.fromEntries(names.map((name) => [name, 'none'])));
      for (const client of Object.values(clients)) client.close();
    } finally {
      await stack.stop();
    }
  });
});
