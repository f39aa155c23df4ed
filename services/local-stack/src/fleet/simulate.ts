// `npm run simulate -- --bikes 200 --rate 1`: a simulated fleet riding around the demo city and
// publishing over MQTT to a running system (`npm start` in another terminal). The bikes are made
// on first use and kept in <DATA_DIR>/simulator-fleet.json (apart from the six that npm start
// rides itself, so no bike is driven twice). Ctrl-C stops it.
//   --bikes N      how many bikes (default 20)
//   --rate R       readings per second per riding bike (default 1)
//   --junk F       share of junk (default 0.02)
//   --mqtt URL     the broker (default mqtt://127.0.0.1:1884, the embedded one)
// INVENTORY_SERVICE_ADDR and TELEMATICS_SERVICE_ADDR say where the services are (defaults: npm start's).
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { meshCredentials } from '../../../platform/src/mesh/credentials';
import { startFleet } from './fleet-simulator';
import { provisionSimulatedFleet } from './fleet-provisioning';
import { DEFAULT_PORTS, defaultGrpcAddress } from '../../../platform/src/config';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { bikes: { type: 'string', default: '20' }, rate: { type: 'string', default: '1' }, junk: { type: 'string', default: '0.02' }, mqtt: { type: 'string', default: `mqtt://127.0.0.1:${DEFAULT_PORTS.telematics.mqtt}` } },
  });
  const bikes = Number(values.bikes);
  const rate = Number(values.rate);
  const junkRatio = Number(values.junk);
  if (!Number.isInteger(bikes) || bikes < 1 || bikes > 10_000) throw new Error('--bikes must be a whole number from 1 to 10000');
  if (!(rate > 0 && rate <= 10)) throw new Error('--rate must be above 0 and at most 10 readings a second');
  if (!(junkRatio >= 0 && junkRatio < 1)) throw new Error('--junk must be from 0 to below 1');
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const mesh = meshCredentials({ mode: process.env.MESH_MODE === 'istio' ? 'istio' : 'local', certsDir: process.env.MESH_CERTS_DIR ?? join(dataDir, 'mesh-certs'), identity: 'operator' });
  console.log(`Provisioning ${bikes} simulated bikes (kept in ${join(dataDir, 'simulator-fleet.json')}) ...`);
  const devices = await provisionSimulatedFleet({
    file: join(dataDir, 'simulator-fleet.json'),
    count: bikes,
    inventoryAddress: process.env.INVENTORY_SERVICE_ADDR ?? defaultGrpcAddress('inventory'),
    telematicsAddress: process.env.TELEMATICS_SERVICE_ADDR ?? defaultGrpcAddress('telematics'),
    mesh,
  });
  const fleet = await startFleet({ mqttUrl: values.mqtt!, devices, rate, junkRatio });
  console.log(`${bikes} bikes riding, publishing to ${values.mqtt} at ${rate} reading(s)/s each. Ctrl-C stops.`);
  const report = setInterval(() => console.log(JSON.stringify(fleet.counts())), 10_000);
  const stop = () => {
    clearInterval(report);
    void fleet.stop().then(() => {
      console.log(`stopped: ${JSON.stringify(fleet.counts())}`);
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('simulate:', error instanceof Error ? error.message : error);
  process.exit(1);
});
