// Every process stops on its own when told to, as `npm start` and Kubernetes run it: outside
// NODE_ENV=test (where Apollo Server installs a signal handler of its own unless told not to). A
// SIGTERM, SIGINT or SIGHUP, a closed stdout, or the launcher's death each make a process drain
// the calls in flight, close its database and exit 0 within its 5 s grace. The launcher watches its
// processes and starts one that dies again; and `npm start | head -1` leaves no process behind.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RideStatus } from '../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import { launchV8Flags, type ProcessName, type ServiceProcess } from '../../services/local-stack/src/launched-service';
import type { SupervisionEvent } from '../../services/local-stack/src/supervision';
import { STOP_GRACE_MS } from '../../services/platform/src/run-service';
import { eventually } from '../support/eventually';
import { newBike, riderWithFunds } from '../support/fixtures';
import { describeWithPostgres } from '../support/postgres';
import { startReaches } from '../support/ride-state';
import { TEST_ENV, TestStack } from '../support/stack';

const REPOSITORY = join(__dirname, '..', '..');

/** Exit code and time to exit, or 'still running' after the grace period. */
async function exitOf(service: ServiceProcess, started = performance.now()): Promise<{ code: number | null | 'still running'; ms: number }> {
  const code = await Promise.race([
    service.waitForExit(),
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), STOP_GRACE_MS + 500)),
  ]);
  return { code, ms: Math.round(performance.now() - started) };
}

/** Pids of the processes whose environment names this data folder (the launcher and its children). */
function processesUsing(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`DATA_DIR=${dataDir}`);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    })
    .map(Number);
}

describeWithPostgres('stopping, outside the test environment', () => {
  let stack: TestStack;
  let clients: ReturnType<TestStack['clients']>;
  const stopTimes: string[] = [];
  beforeAll(async () => {
    stack = await TestStack.start({ NODE_ENV: 'development', RIDE_CALL_DEADLINE_MS: '3000', RIDE_FLOW_LEASE_MS: '7000' });
    clients = stack.clients();
  }, 120_000);
  afterAll(async () => {
    console.log(`stop times (ms), process and signal:\n  ${stopTimes.join('\n  ')}`);
    for (const client of Object.values(clients ?? {})) client.close();
    await stack?.stop();
  });
  const renewClients = () => {
    for (const client of Object.values(clients)) client.close();
    clients = stack.clients();
  };

  // From the edge inwards, as the launcher stops them, started again after. Every process gets a
  // stop signal and every signal reaches two processes: the handling is one piece of code
  // (platform's run-service), and each restart costs seconds of the suite's ten-minute budget.
  const processes: ProcessName[] = ['gateway', 'telematics', 'ride', 'user', 'inventory', 'payment'];
  const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  const cases = processes.map((name, index) => [name, signals[index % signals.length]] as const);

  it('every process runs with the V8 flags LAUNCH_V8_FLAGS names (the tests: --single-threaded)', () => {
    const flags = launchV8Flags(process.env); // --single-threaded, from the global setup, unless a run sets it otherwise
    for (const name of processes) {
      const argv = readFileSync(`/proc/${stack.service(name).pid}/cmdline`, 'utf8').split('\0');
      expect({ name, flags: argv.slice(1, 1 + flags.length) }).toEqual({ name, flags });
    }
  });

  it.each(cases)('%s exits 0 within its grace on %s', async (name, signal) => {
    const service = stack.service(name);
    const started = performance.now();
    service.signal(signal);
    const { code, ms } = await exitOf(service, started);
    stopTimes.push(`${String(ms).padStart(5)}  ${name} ${signal}`);
    // One that did not stop says in its last lines where it was (seen once, at a run's busiest start).
    if (code !== 0) console.log(`${name} after ${signal}: ${code}; its last lines:\n${service.output.slice(-15).join('\n')}`);
    expect(code).toBe(0);
    expect(service.output.join('\n')).toContain(`"signal":"${signal}"`);
    await stack.restart(name);
  }, 30_000);

  it('ride finishes a start in flight before it exits: drained, not cut', async () => {
    renewClients();
    const { riderId } = await riderWithFunds(clients);
    const bike = await newBike(clients);
    const { riderId: another } = await riderWithFunds(clients);
    const anotherBike = await newBike(clients);
    // Freeze payment so the flow waits inside Authorize while the ride service is told to stop.
    stack.service('payment').signal('SIGSTOP');
    const inFlight = clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    await startReaches(stack, riderId, 'authorize');
    const ride = stack.service('ride');
    ride.signal('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300)); // a window in which to look at the draining process
    expect(ride.ending).toBeUndefined(); // still draining
    // It takes no new work meanwhile: a new call is refused, not queued behind the one in flight.
    const late = await clients.ride.startRide({ riderId: another, bikeId: anotherBike.id, idempotencyKey: randomUUID() }).catch((error: { code: number }) => error);
    expect((late as { code: number }).code).toBe(status.UNAVAILABLE);
    stack.service('payment').signal('SIGCONT');
    expect((await inFlight).ride?.status).toBe(RideStatus.RIDE_STATUS_ACTIVE);
    expect((await exitOf(ride)).code).toBe(0);
    await stack.restart('ride');
  }, 30_000);

  it('a process whose stdout is closed stops at its next log line, after finishing the call that wrote it', async () => {
    renewClients();
    const { riderId } = await riderWithFunds(clients);
    const bike = await newBike(clients);
    const ride = stack.service('ride');
    ride.closeOutput();
    // Starting a ride logs "ride started", which meets the closed pipe.
    const { ride: started } = await clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    expect(started?.status).toBe(RideStatus.RIDE_STATUS_ACTIVE);
    expect((await exitOf(ride)).code).toBe(0);
    await stack.restart('ride');
  }, 30_000);

  it('a process whose launcher is killed stops instead of holding its ports as an orphan', async () => {
    // A launcher of one service, in a process of its own, which is then killed with SIGKILL.
    const launcher = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const { ServiceProcess } = require(${JSON.stringify(join(REPOSITORY, 'services/local-stack/src/launched-service.ts'))});
         ServiceProcess.start('user', { USER_DATABASE_URL: process.env.USER_DATABASE_URL }, { runtime: 'source' })
           .then((user) => console.log('child ' + user.pid));`,
      ],
      { env: { ...process.env, ...TEST_ENV, NODE_ENV: 'development', USER_DATABASE_URL: stack.db.user.url }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const childPid = await new Promise<number>((resolve, reject) => {
      let output = '';
      launcher.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /child (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      launcher.once('exit', (code) => reject(new Error(`the launcher exited with ${code}: ${output}`)));
    });
    launcher.kill('SIGKILL');
    const alive = () => {
      try {
        process.kill(childPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await eventually(async () => expect(alive()).toBe(false), { timeoutMs: STOP_GRACE_MS, what: 'the orphan to exit' });
  }, 60_000);

  it('the launcher starts a service that died again, on its ports, and it serves', async () => {
    const events: SupervisionEvent[] = [];
    stack.stack.supervise((event) => events.push(event));
    const payment = stack.service('payment');
    const address = payment.address;
    payment.signal('SIGKILL');
    const kinds = () => events.filter((event) => event.name === 'payment').map((event) => event.kind);
    await eventually(async () => expect(kinds()).toEqual(['died', 'restarted']), { timeoutMs: 15_000, what: 'payment to be restarted' });
    expect(events[0]).toMatchObject({ name: 'payment', ending: 'killed by SIGKILL', restartInMs: 500 });
    expect(stack.service('payment').address).toBe(address);
    renewClients();
    const { riderId } = await riderWithFunds(clients); // payment serves again: a top-up goes through
    expect(riderId).toBeTruthy();
  }, 30_000);
});

describeWithPostgres('npm start with its output closed (`npm start | head -1`)', () => {
  it('stops the whole stack, embedded PostgreSQL included, and leaves no process behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-epipe-'));
    try {
      // The launcher writes its first line, `head -1` reads it and goes; the launcher's next write
      // finds nobody reading. It is run from source, like the other tests, on free ports.
      const pipeline = spawn('sh', ['-c', `"${process.execPath}" --import tsx services/local-stack/src/start.ts | head -1`], {
        cwd: REPOSITORY,
        env: { ...process.env, ...TEST_ENV, DATA_DIR: dataDir, NODE_ENV: 'development', SIMULATED_BIKES: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      pipeline.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      pipeline.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      // Until the processes are up, the launcher is still writing nothing more.
      await eventually(async () => expect(processesUsing(dataDir).length).toBeGreaterThanOrEqual(7), { timeoutMs: 90_000, what: 'the stack to start' });
      expect(output).toMatch(/^Starting the EcoWheels services/);
      await new Promise<void>((resolve) => pipeline.once('exit', () => resolve()));
      await eventually(async () => expect(processesUsing(dataDir)).toEqual([]), { timeoutMs: 3 * STOP_GRACE_MS, what: 'every process to exit' });
      expect(output).not.toMatch(/EPIPE|Unhandled/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
