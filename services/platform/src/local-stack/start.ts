// `npm start`: the whole system on loopback on the embedded default. Each service gets its own
// PGlite database under the data folder (DATA_DIR, default .data), demo data is made on the first
// start, and what to try next is printed. Ctrl-C stops everything.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { LocalStack } from './local-stack';
import { seedDemoData } from './demo-data';
import { curlWalkthrough } from './walkthrough';

async function main(): Promise<void> {
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  const verbose = process.env.LOG_STACK === '1';
  console.log(`Starting the EcoWheels services on loopback (data in ${dataDir}) ...`);
  const stack = await LocalStack.start({
    env: { DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
    echo: verbose ? (line) => console.log(line) : undefined,
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping ...');
    stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const { user, inventory, payment, ride, gateway } = stack.services;
  const demo = await seedDemoData(dataDir, { user: user.address, inventory: inventory.address, payment: payment.address }, stack.operatorCredentials()).catch(
    async (error: unknown) => {
      await stack.stop();
      throw error;
    },
  );
  console.log(`
EcoWheels is running.
  GraphQL API  ${gateway.graphqlUrl.replace('127.0.0.1', 'localhost')}   (send x-api-key on every request)
  gRPC (mTLS)  user ${user.address}, inventory ${inventory.address}, payment ${payment.address}, ride ${ride.address}
               client certificates for grpcurl: ${LocalStack.meshSettings({ env: { DATA_DIR: dataDir } }, 'operator').certsDir} (operator.pem may call every method)

Demo rider:   ${demo.riderEmail} / ${demo.riderPassword}  (20.00 EUR in the wallet)
Demo API key: ${demo.apiKey}
(kept in ${dataDir}/demo-credentials.json)

A whole ride from a shell: log in, find a bike, start, end, see the charge and the wallet:
${curlWalkthrough(gateway.graphqlUrl.replace('127.0.0.1', 'localhost'), demo)}
Logs: set LOG_STACK=1 to see every process's JSON log lines. Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error('EcoWheels failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
