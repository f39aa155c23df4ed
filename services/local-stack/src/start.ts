// `npm start`: the whole system on loopback on the embedded default. Each service gets its own
// database on one embedded PostgreSQL server under the data folder (DATA_DIR, default .data; or a
// PGlite engine each with EMBEDDED_DATABASE=pglite), demo data is made on the first
// start, a small simulated fleet rides around the city publishing telematics over MQTT, and what
// to try next is printed. The launcher watches its processes and starts one that dies again. Ctrl-C
// (or SIGTERM, SIGHUP, or a closed output: `npm start | head -1`) stops everything.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startFleet, type RunningFleet } from './fleet/fleet-simulator';
import { provisionSimulatedFleet } from './fleet/fleet-provisioning';
import { processOutput } from '../../platform/src/logger';
import { LocalStack } from './local-stack';
import { describeSupervisionEvent } from './supervision';
import { seedDemoData } from './demo-data';
import { curlWalkthrough } from './walkthrough';

// A stop can be asked for at any moment: by a signal, or by the first write that finds nobody
// reading our output any more (`npm start | head -1`), which would otherwise kill the launcher with
// EPIPE and leave its services behind. Before the stack is up, the stop waits for it.
let stopAsked: number | undefined;
/** The longest a stop may take, all told: the services' grace in tiers, then the database's. */
const STOP_BUDGET_MS = 25_000;
let stopStack: ((exitCode: number) => void) | undefined;
const askStop = (exitCode: number) => {
  stopAsked ??= exitCode;
  stopStack?.(exitCode);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => askStop(0));
processOutput.on('closed', () => askStop(0));

async function main(): Promise<void> {
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  const verbose = process.env.LOG_STACK === '1';
  console.log(`Starting the EcoWheels services on loopback (data in ${dataDir}) ...`);
  const stack = await LocalStack.start({
    env: { DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
    // Only this demo's gateway serves the demo's keys and rider to the explorer. Apps' keys run only
    // their trusted documents, as in production; the explorer and the walkthrough use the developer key.
    serviceEnv: { gateway: { GATEWAY_DEMO_CREDENTIALS_FILE: join(dataDir, 'demo-credentials.json'), GATEWAY_TRUSTED_DOCUMENTS: 'enforce' } },
    echo: verbose ? (line) => console.log(line) : undefined,
  });
  let fleet: RunningFleet | undefined;
  let stopping: Promise<never> | undefined;
  stopStack = (exitCode: number) => {
    stopping ??= (async () => {
      console.log('\nStopping ...');
      stack.willStop();
      // Whatever is stuck, the launcher is gone within its budget: each service has its grace and
      // is then killed, the database its own; this is the last resort over all of them.
      setTimeout(() => {
        console.error(`EcoWheels did not stop within ${STOP_BUDGET_MS / 1000} s; exiting (a process left behind is stopped at the next start)`);
        process.exit(exitCode || 1);
      }, STOP_BUDGET_MS).unref();
      await fleet?.stop();
      await stack.stop();
      process.exit(exitCode);
    })();
  };
  if (stopAsked !== undefined) return stopStack(stopAsked);
  stack.supervise((event) => {
    console.log(describeSupervisionEvent(event));
    if (event.kind === 'gave-up') stopStack!(1);
  });

  const { user, inventory, payment, ride, telematics, gateway } = stack.services;
  const addresses = { user: user.address, inventory: inventory.address, payment: payment.address, telematics: telematics.address };
  const simulatedBikes = Number(process.env.SIMULATED_BIKES ?? 6);
  if (!Number.isInteger(simulatedBikes) || simulatedBikes < 0 || simulatedBikes > 1000) {
    await stack.stop();
    throw new Error(`SIMULATED_BIKES=${JSON.stringify(process.env.SIMULATED_BIKES)} must be a whole number from 0 to 1000`);
  }
  const { demo, devices } = await (async () => {
    const seeded = await seedDemoData(dataDir, addresses, stack.operatorCredentials());
    const simulated = await provisionSimulatedFleet({
      file: join(dataDir, 'simulated-fleet.json'),
      count: simulatedBikes,
      inventoryAddress: inventory.address,
      telematicsAddress: telematics.address,
      mesh: stack.operatorCredentials(),
    });
    return { demo: seeded, devices: simulated };
  })().catch(async (error: unknown) => {
    if (stopping) return new Promise<never>(() => undefined); // stopped meanwhile: not a failure
    await stack.stop();
    throw error;
  });
  const mqttUrl = telematics.ready.mqttUrl as string;
  const deviceUrl = (telematics.ready.deviceUrl as string).replace('127.0.0.1', 'localhost');
  if (devices.length > 0) fleet = await startFleet({ mqttUrl, devices, rate: 1, junkRatio: 0.02 });
  console.log(`
EcoWheels is running.
  GraphQL API  ${gateway.graphqlUrl.replace('127.0.0.1', 'localhost')}   (send x-api-key on every request; signUp makes a rider)
  Explorer     ${gateway.graphqlUrl.replace('127.0.0.1', 'localhost')}   in a browser: GraphiQL with the demo key, and a button to log in as the demo rider
  Dashboard    ${gateway.graphqlUrl.replace('127.0.0.1', 'localhost').replace(/\/graphql$/, '/ops')}   fleet operations: the map, rides, CO2 and ingestion (the ops key below)
  GBFS feed    ${gateway.graphqlUrl.replace('127.0.0.1', 'localhost').replace(/\/graphql$/, '/gbfs/v3/gbfs.json')}   (public, no key: the fleet in GBFS 3.0)
  gRPC (mTLS)  user ${user.address}, inventory ${inventory.address}, payment ${payment.address}, ride ${ride.address}, telematics ${telematics.address}
               client certificates for grpcurl: ${LocalStack.meshSettings({ env: { DATA_DIR: dataDir } }, 'operator').certsDir} (operator.pem may call what back-office tools call; each method's callers are in docs/mesh.md)

Demo rider:   ${demo.riderEmail} / ${demo.riderPassword}  (20.00 EUR in the wallet)
Developer API key (any query; the explorer's): ${demo.developerApiKey}   Ops API key (the dashboard, fleetImpact): ${demo.opsApiKey}
Demo app key: ${demo.apiKey}   (an app's key: only the operations of live app manifests, by id; see docs/api.md#trusted-documents)
(kept in ${dataDir}/demo-credentials.json, with each demo bike's device key)

Telematics   bikes publish over MQTT to ${mqttUrl} (topic ecowheels/v1/bikes/<bike id>/readings, QoS 1),
             or POST batches to ${deviceUrl}/v1/readings; files dropped into ${telematics.ready.landingDir as string} are imported.
             ${devices.length} simulated bikes are riding around Westerpark now (SIMULATED_BIKES=0 turns them off;
             \`npm run simulate -- --bikes 200 --rate 1\` adds more). Raw zone and curated Parquet: ${join(dataDir, 'telematics-lake')}

A whole ride from a shell: log in, find a bike, start, let the bike report its trip, end, then see
the charge, the ride's distance and CO2 avoided, your impact, the wallet, and the fleet's day:
${curlWalkthrough(gateway.graphqlUrl.replace('127.0.0.1', 'localhost'), demo, { deviceUrl, credentialsFile: join(dataDir, 'demo-credentials.json') })}
Logs: set LOG_STACK=1 to see every process's JSON log lines. A process that dies is started again.
Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error('EcoWheels failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
