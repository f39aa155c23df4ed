// Starts real service processes for a test file: each on a free port on loopback, each on a fresh
// database on the PostgreSQL server (so tests can read what a service stored), stopped at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureMeshCertificates } from '../../services/platform/src/mesh/certificates';
import { meshCredentials, type MeshCredentials } from '../../services/platform/src/mesh/credentials';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { dependencyEnv, LocalStack, type StackOptions } from '../../services/local-stack/src/local-stack';
import { ServiceProcess, SERVICE_NAMES, type ProcessName, type ServiceName } from '../../services/local-stack/src/launched-service';
import { inventoryClient, paymentClient, rideClient, telematicsClient, userClient } from './grpc-clients';
import { createTestDatabase, type TestDatabase } from './postgres';

/** Short timings, so failure and recovery paths finish quickly in tests. */
export const TEST_ENV: Record<string, string> = {
  LISTEN_HOST: '127.0.0.1',
  // One development CA per test file (each Jest worker is its own process).
  MESH_CERTS_DIR: mkdtempSync(join(tmpdir(), 'ecowheels-test-certs-')),
  LOG_LEVEL: 'info',
  RIDE_CALL_DEADLINE_MS: '1000',
  RIDE_FLOW_LEASE_MS: '2500',
  RIDE_RECOVERY_INTERVAL_MS: '300',
  GATEWAY_PORT: '0',
  GATEWAY_METRICS_PORT: '0',
  // The embedded PostgreSQL server of `npm start`, where a test runs it, on any free port.
  EMBEDDED_POSTGRES_PORT: '0',
  TELEMATICS_MQTT_PORT: '0',
  TELEMATICS_DEVICE_HTTP_PORT: '0',
  // Cleaning runs follow each other closely, so tests see curated data soon.
  TELEMATICS_CURATE_INTERVAL_MS: '50',
  TELEMATICS_INVENTORY_RELAY_MS: '200',
  ...Object.fromEntries(SERVICE_NAMES.flatMap((name) => [[`${name.toUpperCase()}_GRPC_PORT`, '0'], [`${name.toUpperCase()}_HTTP_PORT`, '0']])),
};

/** What a gateway needs to start in production mode (the GBFS feed's public address is required there). */
export const PRODUCTION_GATEWAY_ENV: Record<string, string> = { NODE_ENV: 'production', GBFS_BASE_URL: 'https://api.ecowheels.example/gbfs/v3' };

// Under Jest, each test file removes its CA when it is done (the bench imports this file too).
if (typeof afterAll === 'function') afterAll(() => rmSync(TEST_ENV.MESH_CERTS_DIR, { recursive: true, force: true }));

async function createDatabases(): Promise<Record<ServiceName, TestDatabase>> {
  const created = await Promise.all(SERVICE_NAMES.map((name) => createTestDatabase(name)));
  return Object.fromEntries(SERVICE_NAMES.map((name, index) => [name, created[index]])) as Record<ServiceName, TestDatabase>;
}

/** A workload's certificate from the tests' development CA, to call a service or subgraph as it. */
export const testCredentials = (identity: string): MeshCredentials => meshCredentials({ mode: 'local', certsDir: TEST_ENV.MESH_CERTS_DIR, identity });

export class TestStack {
  private readonly extraGateways: ServiceProcess[] = [];

  private constructor(
    readonly stack: LocalStack,
    readonly db: Record<ServiceName, TestDatabase>,
    /** The stack's data folder (telematics keeps its lake there). */
    readonly dataDir: string,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<TestStack> {
    const db = await createDatabases();
    const dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-test-data-'));
    const options: StackOptions = {
      env: { ...TEST_ENV, DATA_DIR: dataDir, ...env },
      serviceEnv: Object.fromEntries(SERVICE_NAMES.map((name) => [name, { [`${name.toUpperCase()}_DATABASE_URL`]: db[name].url }])),
    };
    try {
      return new TestStack(await LocalStack.start(options), db, dataDir);
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
      await Promise.all(Object.values(db).map((database) => database.drop()));
      throw error;
    }
  }

  service(name: ProcessName): ServiceProcess {
    return this.stack.services[name];
  }

  restart(name: ProcessName): Promise<ServiceProcess> {
    return this.stack.restart(name);
  }

  /** How tests call the services: as `operator`, over the stack's mesh mode. */
  get credentials(): MeshCredentials {
    return this.stack.operatorCredentials();
  }

  /** An HTTP dispatcher with a workload's certificate, to call subgraphs as that workload. */
  dispatcherAs(identity: string) {
    return httpDispatcher(testCredentials(identity));
  }

  clients() {
    const { user, inventory, payment, ride, telematics } = this.stack.services;
    const mesh = this.credentials;
    return {
      user: userClient(user.address, mesh),
      inventory: inventoryClient(inventory.address, mesh),
      payment: paymentClient(payment.address, mesh),
      ride: rideClient(ride.address, mesh),
      telematics: telematicsClient(telematics.address, mesh),
    };
  }

  /** Another gateway in front of the same services, with its own settings (limits, Redis...). */
  async startGateway(env: Record<string, string>): Promise<ServiceProcess> {
    const gateway = await ServiceProcess.start('gateway', { ...TEST_ENV, ...dependencyEnv('gateway', this.stack.services), ...env });
    this.extraGateways.push(gateway);
    return gateway;
  }

  async stop(): Promise<void> {
    await Promise.all(this.extraGateways.map((gateway) => gateway.stop()));
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
    const fullEnv = { ...TEST_ENV, [`${name.toUpperCase()}_DATABASE_URL`]: db.url, ...env };
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
