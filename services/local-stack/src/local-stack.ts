// Starts the whole system as child processes on loopback. When every port is known beforehand (the
// defaults of `npm start`, or ports set in the environment), all six start at once, each told where
// the others listen. When some port is 0 (the tests), in tiers: user, inventory and payment first,
// then ride (told where they listen), then telematics, then the gateway (told where every subgraph is).
import { join, resolve } from 'node:path';
import { ensureMeshCertificates } from '../../platform/src/mesh/certificates';
import { meshCredentials, type MeshCredentials, type MeshSettings } from '../../platform/src/mesh/credentials';
import { DEFAULT_PORTS } from '../../platform/src/config';
import { EmbeddedPostgres } from '../../platform/src/database/embedded-postgres';
import { STOP_GRACE_MS } from '../../platform/src/run-service';
import { waitAtMost } from '../../platform/src/wait-at-most';
import { freePorts } from './free-ports';
import { RestartPolicy, stoppedOnPurpose, type SupervisedName, type SupervisionEvent } from './supervision';
import { ServiceProcess, SERVICE_NAMES, type ProcessName, type Runtime, type ServiceName } from './launched-service';

export interface StackOptions {
  /** Environment for every process (DATA_DIR, LISTEN_HOST, ...). */
  env: Record<string, string>;
  /** Environment for one process only (its port, database URL, ...). */
  serviceEnv?: Partial<Record<ProcessName, Record<string, string>>>;
  echo?: (line: string) => void;
  /** Compiled JavaScript or the TypeScript sources; by default, the way this launcher runs. */
  runtime?: Runtime;
}

type Processes = Record<ProcessName, ServiceProcess>;
/** Where a process listens: its gRPC address (empty for the gateway) and its GraphQL endpoint. */
type Addresses = Pick<ServiceProcess, 'address' | 'graphqlUrl'>;

/** What a process must know of the others: where they listen. */
export function dependencyEnv(name: ProcessName, started: Partial<Record<ProcessName, Addresses>>): Record<string, string> {
  if (name === 'ride') {
    return {
      USER_SERVICE_ADDR: started.user!.address,
      INVENTORY_SERVICE_ADDR: started.inventory!.address,
      PAYMENT_SERVICE_ADDR: started.payment!.address,
    };
  }
  if (name === 'telematics') {
    return { INVENTORY_SERVICE_ADDR: started.inventory!.address, RIDE_SERVICE_ADDR: started.ride!.address };
  }
  if (name === 'gateway') {
    return {
      USER_SERVICE_ADDR: started.user!.address,
      INVENTORY_SERVICE_ADDR: started.inventory!.address,
      RIDE_SERVICE_ADDR: started.ride!.address,
      USER_SUBGRAPH_URL: started.user!.graphqlUrl,
      INVENTORY_SUBGRAPH_URL: started.inventory!.graphqlUrl,
      PAYMENT_SUBGRAPH_URL: started.payment!.graphqlUrl,
      RIDE_SUBGRAPH_URL: started.ride!.graphqlUrl,
      TELEMATICS_SUBGRAPH_URL: started.telematics!.graphqlUrl,
    };
  }
  return {};
}

export class LocalStack {
  private constructor(
    readonly services: Processes,
    private readonly options: StackOptions,
    private readonly database?: EmbeddedPostgres,
  ) {}

  static async start(given: StackOptions): Promise<LocalStack> {
    const mesh = LocalStack.meshSettings(given, 'operator');
    // Local mesh mode: the development CA and every workload's certificate, made when missing.
    if (mesh.mode === 'local') await ensureMeshCertificates(mesh.certsDir);
    const { options, database } = await LocalStack.withEmbeddedDatabase(given);
    const started: Partial<Processes> = {};
    const planned = LocalStack.plannedAddresses(options);
    const start = async (name: ProcessName) => {
      started[name] = await ServiceProcess.start(name, LocalStack.envFor(name, options, planned ?? started), { echo: options.echo, runtime: options.runtime });
    };
    try {
      if (planned) {
        // Every port is known before any process starts: all six start at once. Clients connect
        // lazily and retry, so none of them needs another to be up first.
        // All settled before a failure is thrown, so none still starting is left behind unstopped.
        const results = await Promise.allSettled([...SERVICE_NAMES, 'gateway' as const].map(start));
        const failed = results.find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
      } else {
        // Some process takes a free port (0): each tier learns the addresses of the one before.
        const first = await Promise.allSettled([start('user'), start('inventory'), start('payment')]);
        const failed = first.find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
        await start('ride');
        await start('telematics');
        await start('gateway');
      }
      return new LocalStack(started as Processes, options, database);
    } catch (error) {
      await Promise.all(Object.values(started).map((process) => process.stop()));
      await database?.stop();
      throw error;
    }
  }

  /**
   * The embedded default: services given no database URL get one on an embedded PostgreSQL server
   * under the data folder (EMBEDDED_DATABASE=postgres, the default, on EMBEDDED_POSTGRES_PORT: 54320,
   * or 0 for any free port), or, with EMBEDDED_DATABASE=pglite, keep a PGlite engine each.
   */
  private static async withEmbeddedDatabase(options: StackOptions): Promise<{ options: StackOptions; database?: EmbeddedPostgres }> {
    const setting = (name: string) => LocalStack.setting(options, name);
    const engine = setting('EMBEDDED_DATABASE') ?? 'postgres';
    if (engine !== 'postgres' && engine !== 'pglite') throw new Error(`EMBEDDED_DATABASE=${engine} must be "postgres" or "pglite"`);
    const variable = (name: ServiceName) => `${name.toUpperCase()}_DATABASE_URL`;
    const without = SERVICE_NAMES.filter((name) => !LocalStack.setting(options, variable(name), name));
    if (engine === 'pglite' || without.length === 0) return { options };
    const port = Number(setting('EMBEDDED_POSTGRES_PORT') ?? 54320) || (await freePorts(1))[0]; // 0: any free port
    const database = await EmbeddedPostgres.start(resolve(setting('DATA_DIR') ?? '.data'), port);
    try {
      const urls = await database.databaseUrls(without);
      const serviceEnv = { ...options.serviceEnv };
      for (const name of without) serviceEnv[name] = { ...serviceEnv[name], [variable(name)]: urls[name] };
      return { options: { ...options, serviceEnv }, database };
    } catch (error) {
      await database.stop();
      throw error;
    }
  }

  /**
   * Where every service will listen, when no port is left to the system (0): the ports set in the
   * environment, or the services' defaults, on LISTEN_HOST. Undefined when some port is 0.
   */
  private static plannedAddresses(options: StackOptions): Partial<Record<ProcessName, Addresses>> | undefined {
    const mesh = LocalStack.meshSettings(options, 'operator');
    const planned: Partial<Record<ProcessName, Addresses>> = {};
    for (const name of SERVICE_NAMES) {
      const prefix = name.toUpperCase();
      const grpc = LocalStack.setting(options, `${prefix}_GRPC_PORT`, name) ?? String(DEFAULT_PORTS[name].grpc);
      const http = LocalStack.setting(options, `${prefix}_HTTP_PORT`, name) ?? String(DEFAULT_PORTS[name].http);
      if (grpc === '0' || http === '0') return undefined;
      // A service listening on every interface is reached on loopback.
      const listen = LocalStack.setting(options, 'LISTEN_HOST', name) ?? '127.0.0.1';
      const host = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;
      planned[name] = { address: `${host}:${grpc}`, graphqlUrl: `${mesh.mode === 'local' ? 'https' : 'http'}://${host}:${http}/graphql` };
    }
    return planned;
  }

  /** The embedded PostgreSQL server's main process, when the stack runs one. */
  get embeddedDatabasePid(): number | undefined {
    return this.database?.pid;
  }

  /** A variable as `process` (or every process) is given it: its own environment, the stack's, or the launcher's. */
  private static setting(options: StackOptions, name: string, process?: ProcessName): string | undefined {
    return (process && options.serviceEnv?.[process]?.[name]) ?? options.env[name] ?? globalThis.process.env[name];
  }

  /** How the stack's processes talk gRPC, as seen by `identity` (tools and tests are `operator`). */
  static meshSettings(options: StackOptions, identity: string): MeshSettings {
    const setting = (name: string) => LocalStack.setting(options, name);
    return {
      mode: setting('MESH_MODE') === 'istio' ? 'istio' : 'local',
      certsDir: setting('MESH_CERTS_DIR') ?? join(setting('DATA_DIR') ?? '.data', 'mesh-certs'),
      identity,
    };
  }

  /** Credentials to call the stack's services as a back-office tool. */
  operatorCredentials(): MeshCredentials {
    return meshCredentials(LocalStack.meshSettings(this.options, 'operator'));
  }

  private static envFor(name: ProcessName, options: StackOptions, started: Partial<Record<ProcessName, Addresses>>): Record<string, string> {
    return { ...options.env, ...options.serviceEnv?.[name], ...dependencyEnv(name, started) };
  }

  /** Starts one process again (after a crash), on the ports it had. */
  async restart(name: ProcessName): Promise<ServiceProcess> {
    const previous = this.services[name];
    await previous.stop();
    const env = LocalStack.envFor(name, this.options, this.services);
    const prefix = name.toUpperCase();
    if (previous.address) env[`${prefix}_GRPC_PORT`] = previous.address.split(':')[1];
    env[name === 'gateway' ? 'GATEWAY_PORT' : `${prefix}_HTTP_PORT`] = new URL(previous.graphqlUrl).port;
    // The gateway's metrics port, and telematics' device doors, where the bikes know to find them.
    if (typeof previous.ready.metricsUrl === 'string') env.GATEWAY_METRICS_PORT = new URL(previous.ready.metricsUrl).port;
    if (typeof previous.ready.mqttUrl === 'string') env.TELEMATICS_MQTT_PORT = new URL(previous.ready.mqttUrl).port;
    if (typeof previous.ready.deviceUrl === 'string') env.TELEMATICS_DEVICE_HTTP_PORT = new URL(previous.ready.deviceUrl).port;
    const started = await ServiceProcess.start(name, env, { echo: this.options.echo, runtime: this.options.runtime });
    if (this.stopping) {
      // The stack was told to stop while this one was starting: it must not outlive the stack.
      await started.stop();
      throw new Error(`${name} was started again while the stack was stopping`);
    }
    this.services[name] = started;
    if (this.supervisor) this.watch(name);
    return started;
  }

  private supervisor?: { report: (event: SupervisionEvent) => void; policies: Map<SupervisedName, RestartPolicy> };
  private stopping = false;

  /**
   * Watches every process from now on, as `npm start` does: one that ends without being asked is
   * reported at once and started again on its ports after a backoff (0.5 s, doubling to 8 s). One
   * that keeps dying (a sixth time within a minute) is given up on: `report` hears "gave-up", and the
   * caller stops the stack. Meanwhile the others carry on: their clients retry, health checks tell
   * the mesh, and the ride service's recovery sweep settles the rides that were in flight.
   */
  supervise(report: (event: SupervisionEvent) => void): void {
    this.supervisor = { report, policies: new Map() };
    for (const name of Object.keys(this.services) as ProcessName[]) this.watch(name);
    if (this.database) this.watchDatabase(this.database);
  }

  /**
   * The embedded PostgreSQL server is supervised like the services: started again after a backoff
   * when it dies (it recovers from its write-ahead log), and given up on, stopping the stack, when it
   * keeps dying. Meanwhile the services answer UNAVAILABLE and their pools connect again once it is
   * back; no service is restarted for it.
   */
  private watchDatabase(database: EmbeddedPostgres): void {
    void database.waitForExit().then(async (ending) => {
      if (this.stopping) return;
      const supervisor = this.supervisor!;
      const policy = supervisor.policies.get('postgres') ?? new RestartPolicy();
      supervisor.policies.set('postgres', policy);
      for (;;) {
        const delayMs = policy.crashed(Date.now());
        if (delayMs === undefined) {
          supervisor.report({ kind: 'gave-up', name: 'postgres', ending, crashes: policy.recentCrashes, lastLines: [] });
          return;
        }
        supervisor.report({ kind: 'died', name: 'postgres', ending, restartInMs: delayMs, lastLines: [] });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (this.stopping) return;
        try {
          await database.restart();
          supervisor.report({ kind: 'restarted', name: 'postgres', pid: database.pid });
          this.watchDatabase(database);
          return;
        } catch (error) {
          if (this.stopping) return;
          ending = error instanceof Error ? error.message : String(error);
        }
      }
    });
  }

  private watch(name: ProcessName): void {
    const watched = this.services[name];
    void watched.waitForExit().then(async () => {
      if (this.stopping || watched.stopRequested || this.services[name] !== watched) return;
      // Stopped by a signal (Ctrl-C reaches the whole group), not crashed: the launcher's own stop
      // is on its way; give it a moment before calling this a crash.
      if (stoppedOnPurpose(watched.ending!)) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        if (this.stopping) return;
      }
      return this.recover(name, watched.ending!, watched.output.slice(-5));
    });
  }

  /** Starts a process that died again, after its backoff, until it stays up or is given up on. */
  private async recover(name: ProcessName, ending: string, lastLines: string[]): Promise<void> {
    const supervisor = this.supervisor!;
    const policy = supervisor.policies.get(name) ?? new RestartPolicy();
    supervisor.policies.set(name, policy);
    for (;;) {
      const delayMs = policy.crashed(Date.now());
      if (delayMs === undefined) {
        supervisor.report({ kind: 'gave-up', name, ending, crashes: policy.recentCrashes, lastLines });
        return;
      }
      supervisor.report({ kind: 'died', name, ending, restartInMs: delayMs, lastLines });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (this.stopping) return;
      try {
        const started = await this.restart(name); // watched again from here
        supervisor.report({ kind: 'restarted', name, pid: started.pid });
        return;
      } catch (error) {
        if (this.stopping) return; // stopped while it was starting: nothing to report
        // It died again before it was ready: the same rules once more.
        const [first, ...rest] = (error instanceof Error ? error.message : String(error)).split('\n');
        [ending, lastLines] = [first, rest.slice(-5)];
      }
    }
  }

  /**
   * From the edge inwards, so nothing calls a process that is already gone: the gateway, then
   * telematics, then ride, then the rest. Each tier is given the time left of one grace period
   * (5 s) for the whole stack; past that, the tiers still running are told to stop all at once,
   * each within its own grace, instead of one after the other.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.stopProcesses();
  }

  /**
   * From now on a process that ends is not started again: the stack is about to stop (the launcher
   * stops its simulated fleet first, while Ctrl-C may already have stopped some services).
   */
  willStop(): void {
    this.stopping = true;
  }

  private async stopProcesses(): Promise<void> {
    const deadline = Date.now() + STOP_GRACE_MS;
    const tiers: ProcessName[][] = [['gateway'], ['telematics'], ['ride'], ['user', 'inventory', 'payment']];
    for (const tier of tiers) {
      await waitAtMost(Promise.all(tier.map((name) => this.services[name].stop())), deadline - Date.now());
    }
    await Promise.all(Object.values(this.services).map((service) => service.stop()));
    await this.database?.stop();
  }
}
