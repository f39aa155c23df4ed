// `npm start`: the whole system on loopback on the embedded default. Each service gets its own
// PGlite database under the data folder (DATA_DIR, default .data), demo data is made on the first
// start, and what to try next is printed. Ctrl-C stops everything.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { LocalStack } from './local-stack';
import { CITY_CENTRE, seedDemoData } from './demo-data';

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

  const { user, inventory, payment, ride } = stack.services;
  const demo = await seedDemoData(dataDir, { user: user.address, inventory: inventory.address, payment: payment.address }).catch(
    async (error: unknown) => {
      await stack.stop();
      throw error;
    },
  );
  const near = JSON.stringify({ center: CITY_CENTRE, radius_meters: 1500, page_size: 3 });
  console.log(`
EcoWheels is running. gRPC services (health and reflection on each):
  user       ${user.address}
  inventory  ${inventory.address}
  payment    ${payment.address}
  ride       ${ride.address}

Demo rider:  ${demo.riderEmail} / ${demo.riderPassword}  (id ${demo.riderId}, 20.00 EUR in the wallet)
Demo API key: ${demo.apiKey}
(kept in ${dataDir}/demo-credentials.json)

Try it with any gRPC client that uses reflection, for example grpcurl:
  grpcurl -plaintext -d '${near}' ${inventory.address} ecowheels.inventory.v1.InventoryService/ListAvailableBikesNear
  grpcurl -plaintext -d '{"rider_id":"${demo.riderId}","bike_id":"<a bike id>","idempotency_key":"'$(uuidgen)'"}' ${ride.address} ecowheels.ride.v1.RideService/StartRide
  grpcurl -plaintext -d '{"ride_id":"<the ride id>","rider_id":"${demo.riderId}"}' ${ride.address} ecowheels.ride.v1.RideService/EndRide
  grpcurl -plaintext -d '{"rider_id":"${demo.riderId}"}' ${payment.address} ecowheels.payment.v1.PaymentService/GetWallet

Logs: set LOG_STACK=1 to see every service's JSON log lines. Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error('EcoWheels failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
