// Starts the whole system as child processes on loopback: user, inventory and payment first, then
// ride (told where they listen), then telematics (told where inventory and ride are), then the
// GraphQL gateway (told where every subgraph is).
import { join } from 'node:path';
import { ensureMeshCertificates } from '../mesh/certificates';
import { meshCredentials, type MeshCredentials, type MeshSettings } from '../mesh/credentials';
import { ServiceProcess, type ProcessName } from './service-process';

export interface StackOptions {
  /** Environment for every process (DATA_DIR, LISTEN_HOST, ...). */
  env: Record<string, string>;
  /** Environment for one process only (its port, database URL, ...). */
  serviceEnv?: Partial<Record<ProcessName, Record<string, string>>>;
  echo?: (line: string) => void;
}

type Processes = Record<ProcessName, ServiceProcess>;

/** What a process must know of the ones started before it. */
export function dependencyEnv(name: ProcessName, started: Partial<Processes>): Record<string, string> {
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
  ) {}

  static async start(options: StackOptions): Promise<LocalStack> {
    const mesh = LocalStack.meshSettings(options, 'operator');
    // Local mesh mode: the development CA and every workload's certificate, made when missing.
    if (mesh.mode === 'local') await ensureMeshCertificates(mesh.certsDir);
    const started: Partial<Processes> = {};
    const start = async (name: ProcessName) => {
      started[name] = await ServiceProcess.start(name, LocalStack.envFor(name, options, started), { echo: options.echo });
    };
    try {
      await Promise.all([start('user'), start('inventory'), start('payment')]);
      await start('ride');
      await start('telematics');
      await start('gateway');
      return new LocalStack(started as Processes, options);
    } catch (error) {
      await Promise.all(Object.values(started).map((process) => process.stop()));
      throw error;
    }
  }

  /** How the stack's processes talk gRPC, as seen by `identity` (tools and tests are `operator`). */
  static meshSettings(options: StackOptions, identity: string): MeshSettings {
    const setting = (name: string) => options.env[name] ?? process.env[name];
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

  private static envFor(name: ProcessName, options: StackOptions, started: Partial<Processes>): Record<string, string> {
    return { ...options.env, ...options.serviceEnv?.[name], ...dependencyEnv(name, started) };
  }

  /** Starts one process again (after a crash in a test), on the ports it had. */
  async restart(name: ProcessName): Promise<ServiceProcess> {
    const previous = this.services[name];
    await previous.stop();
    const env = LocalStack.envFor(name, this.options, this.services);
    const prefix = name.toUpperCase();
    if (previous.address) env[`${prefix}_GRPC_PORT`] = previous.address.split(':')[1];
    env[name === 'gateway' ? 'GATEWAY_PORT' : `${prefix}_HTTP_PORT`] = new URL(previous.graphqlUrl).port;
    this.services[name] = await ServiceProcess.start(name, env, { echo: this.options.echo });
    return this.services[name];
  }

  async stop(): Promise<void> {
    // From the edge inwards, so nothing calls a process that is already gone.
    await this.services.gateway.stop();
    await this.services.telematics.stop();
    await this.services.ride.stop();
    await Promise.all([this.services.user.stop(), this.services.inventory.stop(), this.services.payment.stop()]);
  }
}
