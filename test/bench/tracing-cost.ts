// `npm run bench`: what tracing costs. The same GraphQL load (a rider's home screen: profile,
// wallet, recent rides with their bikes, across all four subgraphs) runs against the whole system
// twice, on the embedded default: once with every process exporting spans to a local OTLP sink,
// once with no endpoint. Prints throughput and p99 latency of both, and their ratios.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { LocalStack } from '../../services/platform/src/local-stack/local-stack';
import { inventoryClient, paymentClient, rideClient, userClient } from '../support/grpc-clients';
import { OtlpReceiver } from '../support/otlp-receiver';
import { TEST_ENV } from '../support/stack';

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const QUERY = '{ me { displayName wallet { available { amountMinor } } rides(first: 5) { edges { node { id fare { amountMinor } bike { model } } } } } }';

interface Load {
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

async function seed(stack: LocalStack): Promise<{ apiKey: string; token: string }> {
  const mesh = stack.operatorCredentials();
  const user = userClient(stack.services.user.address, mesh);
  const inventory = inventoryClient(stack.services.inventory.address, mesh);
  const payment = paymentClient(stack.services.payment.address, mesh);
  const ride = rideClient(stack.services.ride.address, mesh);
  try {
    const password = 'bench rider password';
    const { rider } = await user.createRider({ email: `bench-${randomUUID()}@example.test`, displayName: 'Bench Rider', password });
    await user.confirmRiderIdentity({ riderId: rider!.id });
    await payment.topUpWallet({ riderId: rider!.id, amount: { amountMinor: 20_000, currency: 'EUR' }, cardNumber: '4242424242424242', idempotencyKey: randomUUID() });
    for (let n = 0; n < 5; n += 1) {
      const { bike } = await inventory.registerBike({ model: 'Bench', location: { latitude: 52.37, longitude: 4.9 }, batteryPercent: 90, stationId: '' });
      const started = await ride.startRide({ riderId: rider!.id, bikeId: bike!.id, idempotencyKey: randomUUID() });
      await ride.endRide({ rideId: started.ride!.id, riderId: rider!.id });
    }
    const { apiKey } = await user.createApiClient({ name: 'Bench', scopes: [] });
    const { accessToken } = await user.loginRider({ email: rider!.email, password });
    return { apiKey, token: accessToken };
  } finally {
    for (const client of [user, inventory, payment, ride]) client.close();
  }
}

async function runLoad(url: string, apiKey: string, token: string): Promise<Load> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_SECONDS,
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
  });
  return { requestsPerSecond: result.requests.average, p99Ms: result.latency.p99, errors: result.errors + result.non2xx };
}

async function measure(dataDir: string, tracing: OtlpReceiver | undefined, credentials?: { apiKey: string; token: string }) {
  const stack = await LocalStack.start({
    env: {
      ...TEST_ENV,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      GATEWAY_RATE_LIMIT: '1000000000',
      ...(tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: tracing.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } : {}),
    },
  });
  try {
    const seeded = credentials ?? (await seed(stack));
    await runLoad(stack.services.gateway.graphqlUrl, seeded.apiKey, seeded.token).catch(() => undefined); // warm-up
    return { load: await runLoad(stack.services.gateway.graphqlUrl, seeded.apiKey, seeded.token), seeded };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-bench-'));
  const sink = await OtlpReceiver.start();
  try {
    console.log(`tracing cost: ${CONNECTIONS} connections, ${DURATION_SECONDS} s per run, query across all four subgraphs`);
    const on = await measure(dataDir, sink);
    const off = await measure(dataDir, undefined, on.seeded);
    const row = (name: string, load: Load) =>
      `  ${name.padEnd(12)} ${load.requestsPerSecond.toFixed(1).padStart(8)} req/s   p99 ${String(load.p99Ms).padStart(5)} ms   errors ${load.errors}`;
    console.log(row('tracing on', on.load));
    console.log(row('tracing off', off.load));
    console.log(`  spans received by the sink: ${sink.spans.length}`);
    console.log(`  throughput on/off: ${(on.load.requestsPerSecond / off.load.requestsPerSecond).toFixed(3)}`);
    console.log(`  p99 on/off:        ${(on.load.p99Ms / off.load.p99Ms).toFixed(3)}`);
  } finally {
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
