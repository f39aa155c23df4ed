// The whole system as the benchmark runs it: as `npm start` runs it (compiled, all processes at
// once), with production timings (not the tests' short ones), on PGlite or on the PostgreSQL
// server, with its start timed and its idle memory read per process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureMeshCertificates } from '../../../services/platform/src/mesh/certificates';
import { meshCredentials, type MeshCredentials } from '../../../services/platform/src/mesh/credentials';
import { freePorts } from '../../../services/local-stack/src/free-ports';
import { LocalStack } from '../../../services/local-stack/src/local-stack';
import { SERVICE_NAMES, type ProcessName } from '../../../services/local-stack/src/launched-service';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { ANY_FREE_PORTS } from '../../support/ports';
import { cpuSeconds, rssMb, treeCpuSeconds, treePssMb } from './peer';

/** `embedded`: the default of `npm start` (one embedded PostgreSQL server); `pglite`: a PGlite engine per service; `postgres`: the machine's PostgreSQL server. */
export type Engine = 'embedded' | 'pglite' | 'postgres';

// The suite makes one development CA per run; its peer processes are told where it is.
const CERTS_DIR = process.env.BENCH_CERTS_DIR ?? mkdtempSync(join(tmpdir(), 'ecowheels-bench-certs-'));

/** Every process on a free loopback port, quiet logs, rate limits out of the way of the load. */
export const BENCH_ENV: Record<string, string> = {
  LISTEN_HOST: '127.0.0.1',
  MESH_CERTS_DIR: CERTS_DIR,
  BENCH_CERTS_DIR: CERTS_DIR,
  LOG_LEVEL: 'warn',
  GATEWAY_RATE_LIMIT: '1000000000',
  // Flows need money: a rider's wallet is topped up once with enough for thousands of rides.
  PAYMENT_MAX_TOP_UP_MINOR: '100000000',
  ...ANY_FREE_PORTS,
};

/** Every process exporting its spans to `url`: OTLP over HTTP with protobuf, the exporters' default and what Jaeger takes on 4318. */
export const exportingTo = (url: string): Record<string, string> => ({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });

/** How the bench calls the services and subgraphs, as a workload of the mesh. */
export function benchCredentials(identity: string): MeshCredentials {
  return meshCredentials({ mode: 'local', certsDir: CERTS_DIR, identity });
}

export const prepareCertificates = () => ensureMeshCertificates(CERTS_DIR);
export const removeCertificates = () => rmSync(CERTS_DIR, { recursive: true, force: true });

/** Where one configuration of the system keeps its data, so it can be started cold and then warm. */
export class BenchData {
  private constructor(
    readonly engine: Engine,
    readonly dataDir: string,
    readonly databases: Partial<Record<ProcessName, TestDatabase>>,
  ) {}

  static async create(engine: Engine): Promise<BenchData> {
    const dataDir = mkdtempSync(join(tmpdir(), `ecowheels-bench-${engine}-`));
    const databases: Partial<Record<ProcessName, TestDatabase>> = {};
    if (engine === 'postgres') {
      for (const name of SERVICE_NAMES) databases[name] = await createTestDatabase(`bench_${name}`);
    }
    return new BenchData(engine, dataDir, databases);
  }

  /** What the launcher is told about the databases. */
  env(): Record<string, string> {
    if (this.engine === 'embedded') return { EMBEDDED_POSTGRES_PORT: '0' };
    return this.engine === 'pglite' ? { EMBEDDED_DATABASE: 'pglite' } : {};
  }

  serviceEnv(): Partial<Record<ProcessName, Record<string, string>>> {
    return Object.fromEntries(Object.entries(this.databases).map(([name, db]) => [name, { [`${name.toUpperCase()}_DATABASE_URL`]: db.url }]));
  }

  async remove(): Promise<void> {
    await Promise.all(Object.values(this.databases).map((db) => db.drop()));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface StartedBench {
  stack: LocalStack;
  /** From the first spawn until every process has said it is ready. */
  startSeconds: number;
  /**
   * Memory of each process after it has settled, in MB: RSS; for the embedded PostgreSQL server
   * (`database`), the PSS of its processes together, since they share their buffers.
   */
  idleRss: Record<ProcessName, number> & { database?: number };
}

/** Starts the compiled system (`npm run build` first, as `npm start` does) on free ports, all at once. */
export async function startBenchStack(data: BenchData, env: Record<string, string> = {}): Promise<StartedBench> {
  const ports = await freePorts(2 * SERVICE_NAMES.length);
  const portEnv = Object.fromEntries(
    SERVICE_NAMES.flatMap((name, index) => [[`${name.toUpperCase()}_GRPC_PORT`, String(ports[2 * index])], [`${name.toUpperCase()}_HTTP_PORT`, String(ports[2 * index + 1])]]),
  );
  const started = performance.now();
  const stack = await LocalStack.start({ env: { ...BENCH_ENV, ...portEnv, DATA_DIR: data.dataDir, ...data.env(), ...env }, serviceEnv: data.serviceEnv(), runtime: 'compiled' });
  const startSeconds = (performance.now() - started) / 1000;
  // Idle means after start-up garbage is collected and what a service defers past its start is up
  // (the user service's password thread starts 3 s after it): that is what a serving replica holds.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const idleRss: StartedBench['idleRss'] = Object.fromEntries(Object.entries(stack.services).map(([name, process]) => [name, rssMb(process.pid)])) as Record<ProcessName, number>;
  if (stack.embeddedDatabasePid) idleRss.database = treePssMb(stack.embeddedDatabasePid);
  return { stack, startSeconds, idleRss };
}

/** CPU seconds so far of a started system's embedded database server (all its processes); 0 on another engine. */
export function databaseCpuSeconds({ stack }: Pick<StartedBench, 'stack'>): number {
  return stack.embeddedDatabasePid ? treeCpuSeconds(stack.embeddedDatabasePid) : 0;
}

/** CPU seconds so far of a started system: its six processes and, on the embedded default, its database server. */
export function stackCpuSeconds(started: Pick<StartedBench, 'stack'>): number {
  return Object.values(started.stack.services).reduce((sum, service) => sum + cpuSeconds(service.pid), 0) + databaseCpuSeconds(started);
}
