// Starts real service processes for a test file: each on a free port on loopback, each on a fresh
// database on the PostgreSQL server (so tests can read what a service stored), stopped at the end.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureMeshCertificates } from '../../services/platform/src/mesh/certificates';
import { meshCredentials, type MeshCredentials } from '../../services/platform/src/mesh/credentials';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { dependencyEnv, LocalStack, type StackOptions } from '../../services/local-stack/src/local-stack';
import { ServiceProcess, SERVICE_NAMES, type ProcessName, type Runtime, type ServiceName } from '../../services/local-stack/src/launched-service';
import { inventoryClient, paymentClient, rideClient, telematicsClient, userClient } from './grpc-clients';
import { connectTestDatabase, createTestDatabase, type TestDatabase } from './postgres';
import { ANY_FREE_PORTS, portEnv } from './ports';

/**
 * One development CA for the whole run, made by the global setup (global-setup.ts) before any test,
 * with every workload's certificate, so a file may call the run's shared stack; the bench, which
 * imports this file too, makes its own.
 */
const RUN_CERTS_DIR = process.env.ECOWHEELS_TEST_CERTS_DIR;

/** Short timings, so failure and recovery paths finish quickly in tests. */
export const TEST_ENV: Record<string, string> = {
  LISTEN_HOST: '127.0.0.1',
  MESH_CERTS_DIR: RUN_CERTS_DIR ?? mkdtempSync(join(tmpdir(), 'ecowheels-test-certs-')),
  LOG_LEVEL: 'info',
  RIDE_CALL_DEADLINE_MS: '1000',
  RIDE_FLOW_LEASE_MS: '2500',
  RIDE_RECOVERY_INTERVAL_MS: '300',
  // The embedded PostgreSQL server of `npm start`, where a test runs it, on any free port.
  EMBEDDED_POSTGRES_PORT: '0',
  // Cleaning runs follow each other closely, so tests see curated data soon.
  TELEMATICS_CURATE_INTERVAL_MS: '50',
  TELEMATICS_INVENTORY_RELAY_MS: '200',
  // Test stacks and single services choose their ports beforehand (portEnv); other starts take any.
  ...ANY_FREE_PORTS,
};

/** What a gateway needs to start in production mode (the GBFS feed's public address is required there). */
export const PRODUCTION_GATEWAY_ENV: Record<string, string> = { NODE_ENV: 'production', GBFS_BASE_URL: 'https://api.ecowheels.example/gbfs/v3' };

// A CA of the file's own (a run without the global setup) goes when the file is done.
if (typeof afterAll === 'function' && !RUN_CERTS_DIR) afterAll(() => rmSync(TEST_ENV.MESH_CERTS_DIR, { recursive: true, force: true }));

async function createDatabases(): Promise<Record<ServiceName, TestDatabase>> {
  const created = await Promise.all(SERVICE_NAMES.map((name) => createTestDatabase(name)));
  return Object.fromEntries(SERVICE_NAMES.map((name, index) => [name, created[index]])) as Record<ServiceName, TestDatabase>;
}

/** A workload's certificate from the tests' development CA, to call a service or subgraph as it. */
export const testCredentials = (identity: string): MeshCredentials => meshCredentials({ mode: 'local', certsDir: TEST_ENV.MESH_CERTS_DIR, identity });

const PROCESS_NAMES: ProcessName[] = [...SERVICE_NAMES, 'gateway'];

/** What a test sees of one running process: where to call it, and what its "ready" line said. */
export type RunningService = Pick<ServiceProcess, 'name' | 'address' | 'graphqlUrl' | 'ready'>;

/** A running stack as a test file uses it: its own (TestStack) or the run's shared one (SharedStack). */
abstract class StackHandle {
  private readonly extraGateways: ServiceProcess[] = [];

  abstract readonly db: Record<ServiceName, TestDatabase>;
  abstract service(name: ProcessName): RunningService;

  /** Every process of the stack, by name (to start another process in front of them). */
  get services(): Record<ProcessName, RunningService> {
    return Object.fromEntries(PROCESS_NAMES.map((name) => [name, this.service(name)])) as Record<ProcessName, RunningService>;
  }

  /** How tests call the services: as `operator`, over mutual TLS. */
  get credentials(): MeshCredentials {
    return testCredentials('operator');
  }

  /** An HTTP dispatcher with a workload's certificate, to call subgraphs as that workload. */
  dispatcherAs(identity: string) {
    return httpDispatcher(testCredentials(identity));
  }

  clients() {
    const { user, inventory, payment, ride, telematics } = this.services;
    const mesh = this.credentials;
    return {
      user: userClient(user.address, mesh),
      inventory: inventoryClient(inventory.address, mesh),
      payment: paymentClient(payment.address, mesh),
      ride: rideClient(ride.address, mesh),
      telematics: telematicsClient(telematics.address, mesh),
    };
  }

  /** Another gateway in front of the same services, with its own settings (limits, Redis...), stopped with the file. */
  async startGateway(env: Record<string, string>): Promise<ServiceProcess> {
    const gateway = await ServiceProcess.start('gateway', { ...TEST_ENV, ...dependencyEnv('gateway', this.services), ...env });
    this.extraGateways.push(gateway);
    return gateway;
  }

  protected async stopGateways(): Promise<void> {
    await Promise.all(this.extraGateways.splice(0).map((gateway) => gateway.stop()));
  }
}

export class TestStack extends StackHandle {
  private constructor(
    readonly stack: LocalStack,
    readonly db: Record<ServiceName, TestDatabase>,
    /** The stack's data folder (telematics keeps its lake there). */
    readonly dataDir: string,
  ) {
    super();
  }

  /** `runtime`: how its processes run, compiled from the run's build unless told (the image test runs an image's contents). */
  static async start(env: Record<string, string> = {}, runtime?: Runtime): Promise<TestStack> {
    const db = await createDatabases();
    const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-test-data-'));
    const options: StackOptions = {
      env: { ...TEST_ENV, ...(await portEnv(PROCESS_NAMES, env)), DATA_DIR: dataDir, ...env },
      serviceEnv: Object.fromEntries(SERVICE_NAMES.map((name) => [name, { [`${name.toUpperCase()}_DATABASE_URL`]: db[name].url }])),
      runtime,
    };
    try {
      return new TestStack(await LocalStack.start(options), db, dataDir);
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
      await Promise.all(Object.values(db).map((database) => database.drop()));
      throw error;
    }
  }

  override service(name: ProcessName): ServiceProcess {
    return this.stack.services[name];
  }

  restart(name: ProcessName): Promise<ServiceProcess> {
    return this.stack.restart(name);
  }

  /** How tests call the services: as `operator`, over the stack's mesh mode. */
  override get credentials(): MeshCredentials {
    return this.stack.operatorCredentials();
  }

  /** What a test file needs to use this stack from another process (the run's shared stack). */
  describe(): SharedStackDescription {
    const services = Object.fromEntries(
      PROCESS_NAMES.map((name) => {
        const { address, graphqlUrl, ready } = this.service(name);
        return [name, { name, address, graphqlUrl, ready }];
      }),
    ) as Record<ProcessName, RunningService>;
    return { services, databases: Object.fromEntries(SERVICE_NAMES.map((name) => [name, this.db[name].url])) as Record<ServiceName, string>, dataDir: this.dataDir };
  }

  async stop(): Promise<void> {
    await this.stopGateways();
    await this.stack.stop();
    await Promise.all(Object.values(this.db).map((database) => database.drop()));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** One service alone, on a fresh database, for its contract tests. */
export class SingleService {
  private constructor(
    readonly name: ServiceName,
    public process: ServiceProcess,
    readonly db: TestDatabase,
    private readonly env: Record<string, string>,
  ) {}

  static async start(name: ServiceName, env: Record<string, string> = {}): Promise<SingleService> {
    await ensureMeshCertificates(TEST_ENV.MESH_CERTS_DIR);
    const db = await createTestDatabase(name);
    const fullEnv = { ...TEST_ENV, ...(await portEnv([name], env)), [`${name.toUpperCase()}_DATABASE_URL`]: db.url, ...env };
    try {
      return new SingleService(name, await ServiceProcess.start(name, fullEnv), db, fullEnv);
    } catch (error) {
      await db.drop();
      throw error;
    }
  }

  get address(): string {
    return this.process.address;
  }

  /** How tests call the service: as `operator`, over mutual TLS. */
  get credentials(): MeshCredentials {
    return testCredentials('operator');
  }

  /** Stops the process and starts it again on the same database (and a new port, unless `env` names one). */
  async restart(env: Record<string, string> = {}): Promise<ServiceProcess> {
    await this.process.stop();
    this.process = await ServiceProcess.start(this.name, { ...this.env, ...env });
    return this.process;
  }

  async stop(): Promise<void> {
    await this.process.stop();
    await this.db.drop();
  }
}

/**
 * Starts a TestStack before the enclosing describe's tests and stops it after them. `env` may be a
 * function, read when the stack starts (after earlier beforeAll hooks, such as starting a receiver).
 */
export function useTestStack(
  env: Record<string, string> | (() => Record<string, string>) = {},
): { readonly stack: TestStack; readonly clients: ReturnType<TestStack['clients']> } {
  const running = {} as { stack: TestStack; clients: ReturnType<TestStack['clients']> };
  beforeAll(async () => {
    running.stack = await TestStack.start(typeof env === 'function' ? env() : env);
    running.clients = running.stack.clients();
  });
  afterAll(async () => {
    for (const client of Object.values(running.clients ?? {})) client.close();
    await running.stack?.stop();
  });
  return running;
}

/** Where the run's shared stack is, as global-setup.ts writes it once the stack is ready. */
export interface SharedStackDescription {
  services: Record<ProcessName, RunningService>;
  databases: Record<ServiceName, string>;
  dataDir: string;
}

/** The file global-setup.ts writes the shared stack's description (or why it failed) to. */
export const SHARED_STACK_FILE_VARIABLE = 'ECOWHEELS_TEST_SHARED_STACK_FILE';
/** The file a worker creates to ask global-setup.ts for the stack, in a run that did not start it at once. */
export const SHARED_STACK_REQUEST_VARIABLE = 'ECOWHEELS_TEST_SHARED_STACK_REQUEST';
const SHARED_STACK_WAIT_MS = 120_000;

/**
 * The run's shared stack: one default stack (TEST_ENV, nothing else), started by the global setup
 * beside the first tests and used by every file that needs no setting of its own and changes
 * nothing a neighbour could see (no restarts, no signals, no fleet-wide totals). Each such file works
 * with riders, bikes and keys of its own. Its databases are read here, never dropped.
 */
export class SharedStack extends StackHandle {
  private constructor(
    private readonly description: SharedStackDescription,
    readonly db: Record<ServiceName, TestDatabase>,
  ) {
    super();
  }

  static async connect(): Promise<SharedStack> {
    const file = process.env[SHARED_STACK_FILE_VARIABLE];
    if (!file) throw new Error(`${SHARED_STACK_FILE_VARIABLE} is not set: the shared stack is started by Jest's global setup (test/support/global-setup.ts)`);
    const request = process.env[SHARED_STACK_REQUEST_VARIABLE];
    if (request && !existsSync(file)) writeFileSync(request, '');
    const giveUpAt = Date.now() + SHARED_STACK_WAIT_MS;
    while (!existsSync(file)) {
      if (Date.now() > giveUpAt) throw new Error(`the shared stack was not ready after ${SHARED_STACK_WAIT_MS} ms (${file})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const written = JSON.parse(readFileSync(file, 'utf8')) as SharedStackDescription | { error: string };
    if ('error' in written) throw new Error(`the shared stack did not start: ${written.error}`);
    const db = Object.fromEntries(SERVICE_NAMES.map((name) => [name, connectTestDatabase(written.databases[name])])) as Record<ServiceName, TestDatabase>;
    return new SharedStack(written, db);
  }

  override service(name: ProcessName): RunningService {
    return this.description.services[name];
  }

  /** The stack's data folder (the sandbox mailer writes there), to read, never to clean. */
  get dataDir(): string {
    return this.description.dataDir;
  }

  /** Stops what this file started and lets go of the databases; the stack runs on for other files. */
  async disconnect(): Promise<void> {
    await this.stopGateways();
    await Promise.all(Object.values(this.db).map((database) => database.close()));
  }
}

/** The run's shared stack for the enclosing describe's tests (see SharedStack), with clients to it. */
export function useSharedStack(): { readonly stack: SharedStack; readonly clients: ReturnType<SharedStack['clients']> } {
  const running = {} as { stack: SharedStack; clients: ReturnType<SharedStack['clients']> };
  beforeAll(async () => {
    running.stack = await SharedStack.connect();
    running.clients = running.stack.clients();
  });
  afterAll(async () => {
    for (const client of Object.values(running.clients ?? {})) client.close();
    await running.stack?.disconnect();
  });
  return running;
}
