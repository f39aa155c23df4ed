// The README's main command, on the embedded default: five services on one embedded PostgreSQL
// server (a database each), demo data, a small
// simulated fleet publishing telematics, and a whole ride through the printed addresses with the
// printed rider, with the bike's own report of the trip and the ride's impact. Then a stop and a
// second start on the same data folder, which must keep the data and not seed it twice.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { RideStatus } from '../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import { inventoryClient, paymentClient, rideClient } from '../support/grpc-clients';
import { eventually } from '../support/eventually';
import { TEST_ENV } from '../support/stack';
import { LocalStack } from '../../services/local-stack/src/local-stack';
import { meshCredentials } from '../../services/platform/src/mesh/credentials';

const START = join(__dirname, '..', '..', 'services', 'local-stack', 'src', 'start.ts');
const CENTRE = { latitude: 52.3791, longitude: 4.9003 };

interface Started {
  child: ChildProcess;
  output: string;
  /** Everything it printed so far (output is what it printed until it was up). */
  printed(): string;
  addresses: Record<string, string>;
}

/** How long `npm start` may take to come up on a busy machine (two cores shared with the other files' tests). */
const START_MS = 150_000;
/** Each case starts the whole stack twice. */
const TWO_STARTS_MS = 2 * START_MS + 30_000;

function startMainCommand(dataDir: string, options: { ownGroup?: boolean } = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', START], {
    // Free ports, so the test never collides with a stack a developer is running.
    env: { ...process.env, ...TEST_ENV, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a terminal gives it: Ctrl-C then reaches every process of it.
    detached: options.ownGroup ?? false,
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not finish starting:\n${output}`)), START_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('Ctrl-C stops everything')) return;
      clearTimeout(timer);
      const addresses = Object.fromEntries(
        [...output.matchAll(/(user|inventory|payment|ride|telematics) (127\.0\.0\.1:\d+)/g)].map((match) => [match[1], match[2]]),
      );
      addresses.gateway = /GraphQL API +(\S+)/.exec(output)![1].replace('localhost', '127.0.0.1').replace('/graphql', '');
      resolve({ child, output, printed: () => output, addresses });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}

/** Ctrl-C, or SIGHUP (the terminal closed): either stops everything. */
async function stopMainCommand(started: Started, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once('exit', resolve));
  started.child.kill(signal);
  return exited;
}

const portIsClosed = (address: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname: host, port } = new URL(address.startsWith('http') ? address : `grpc://${address}`);
    const socket = connect(Number(port), host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('npm start (embedded default)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts five services on the embedded PostgreSQL server with demo data and a simulated fleet, takes a ride, and keeps its data across a restart', async () => {
    const first = await startMainCommand(dataDir);
    const demo = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8')) as { riderId: string; apiKey: string; riderPassword: string };
    expect(first.output).toContain(demo.riderPassword);
    expect(first.output).toContain(demo.apiKey);
    expect(Object.keys(first.addresses).sort()).toEqual(['gateway', 'inventory', 'payment', 'ride', 'telematics', 'user']);

    const mesh = meshCredentials(LocalStack.meshSettings({ env: { ...TEST_ENV, DATA_DIR: dataDir } }, 'operator'));
    const inventory = inventoryClient(first.addresses.inventory, mesh);
    const ride = rideClient(first.addresses.ride, mesh);
    const payment = paymentClient(first.addresses.payment, mesh);
    try {
      const nearby = await inventory.listAvailableBikesNear({ center: CENTRE, radiusMeters: 1500, pageSize: 50, pageToken: '' });
      expect(nearby.bikes.length).toBeGreaterThanOrEqual(6);
      const bikeId = nearby.bikes[0].bike!.id;
      const { ride: started } = await ride.startRide({ riderId: demo.riderId, bikeId, idempotencyKey: randomUUID() });
      expect(started!.status).toBe(RideStatus.RIDE_STATUS_ACTIVE);
      const { ride: ended } = await ride.endRide({ rideId: started!.id, riderId: demo.riderId, endLocation: CENTRE });
      expect(ended!.status).toBe(RideStatus.RIDE_STATUS_COMPLETED);
      const { wallet } = await payment.getWallet({ riderId: demo.riderId });
      expect(wallet!.available!.amountMinor).toBe(2000 - ended!.fare!.amountMinor);
    } finally {
      inventory.close();
      ride.close();
      payment.close();
    }
    // The printed copy-paste walkthrough works as printed: a whole ride through the GraphQL API.
    const walkthrough = /# --- walkthrough ---[\s\S]*# --- end ---/.exec(first.output)![0];
    const shell = spawnSync('bash', ['-c', walkthrough], { encoding: 'utf8', timeout: 60_000 });
    expect(shell.stdout).toMatch(/"endRide":\{"ride":\{"status":"COMPLETED","fare":\{"formatted":"1.25 EUR"\}\},"errors":\[\]\}/);
    expect(shell.stdout).toMatch(/"charge":\{"status":"CAPTURED"/);
    // The bike's report of the trip was taken in, and the ride and the rider have their impact.
    expect(shell.stdout).toContain('{"accepted":5,"duplicates":0,"queued":0,"rejected":0,"rejections":[]}');
    expect(shell.stdout).toMatch(/"distanceMeters":8\d\d\.\d+,"energyWh":5,"co2AvoidedGrams":1\d\d\.\d+/);
    expect(shell.stdout).toMatch(/"me":\{"impact":\{"rides":1,"distanceMeters":8\d\d/);
    expect(shell.stdout).toMatch(/"fleetImpact":\[\{"start":/);

    // One PostgreSQL cluster under the data folder holds every service's data (no PGlite folders).
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(dataDir, 'user'))).toBe(false);
    // The services reach it through its Unix-domain socket in the cluster's folder, not over TCP.
    const [, , , port, socketDir] = readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
    expect(socketDir).toBe(join(dataDir, 'postgres'));
    const passwords = JSON.parse(readFileSync(join(dataDir, 'postgres-passwords.json'), 'utf8')) as Record<string, string>;
    const admin = new pg.Client({ host: socketDir, port: Number(port), user: 'postgres', password: passwords.postgres, database: 'postgres' });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string; over: string }>(
        "SELECT DISTINCT datname, coalesce(host(client_addr), 'socket') AS over FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY datname",
      );
      expect(rows).toEqual(['inventory', 'payment', 'ride', 'telematics', 'user'].map((datname) => ({ datname, over: 'socket' })));
    } finally {
      await admin.end();
    }

    expect(await stopMainCommand(first)).toBe(0);
    for (const address of Object.values(first.addresses)) expect(await portIsClosed(address)).toBe(true);
    // The server went down with the services, cleanly (it removes its pid file last).
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    const second = await startMainCommand(dataDir);
    const inventoryAgain = inventoryClient(second.addresses.inventory, mesh);
    const rideAgain = rideClient(second.addresses.ride, mesh);
    try {
      const { bikes } = await inventoryAgain.listAvailableBikesNear({ center: CENTRE, radiusMeters: 10_000, pageSize: 100, pageToken: '' });
      expect(bikes).toHaveLength(18 + 6); // seeded once, not twice: the demo fleet and the simulated one
      const { rides } = await rideAgain.listRides({ riderId: demo.riderId, pageSize: 10, pageToken: '' });
      expect(rides.map((r) => r.status)).toEqual([RideStatus.RIDE_STATUS_COMPLETED, RideStatus.RIDE_STATUS_COMPLETED]);
    } finally {
      inventoryAgain.close();
      rideAgain.close();
    }
    expect(await stopMainCommand(second, 'SIGHUP')).toBe(0);
  }, TWO_STARTS_MS);

  it('starts the embedded PostgreSQL server again after a kill -9, and stops quietly on Ctrl-C to the whole group', async () => {
    const started = await startMainCommand(dataDir, { ownGroup: true });
    const mesh = meshCredentials(LocalStack.meshSettings({ env: { ...TEST_ENV, DATA_DIR: dataDir } }, 'operator'));
    const inventory = inventoryClient(started.addresses.inventory, mesh);
    try {
      const postmaster = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(postmaster, 'SIGKILL');
      await eventually(async () => expect(started.printed()).toContain('postgres is running again'), { timeoutMs: 60_000, what: 'the database started again' });
      // The services' pools connect again: inventory answers from its database.
      await eventually(async () => {
        const { bikes } = await inventory.listAvailableBikesNear({ center: CENTRE, radiusMeters: 10_000, pageSize: 100, pageToken: '' });
        expect(bikes.length).toBeGreaterThan(0);
      }, { timeoutMs: 30_000, what: 'inventory answering from the restarted database' });
    } finally {
      inventory.close();
    }
    // Ctrl-C in a terminal: SIGINT to the launcher and every service at once.
    const before = started.printed().length;
    const exited = new Promise<number | null>((resolve) => started.child.once('exit', resolve));
    const stoppedAt = Date.now();
    process.kill(-started.child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(25_000);
    const said = started.printed().slice(before);
    expect(said).toContain('Stopping');
    expect(said).not.toMatch(/stopped unexpectedly|starting it again/);
  }, TWO_STARTS_MS);
});
