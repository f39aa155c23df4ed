// Reads a process's configuration from the environment once, at start, with a zod schema. A wrong
// value stops the process with one message that names every bad variable and what it should be.
import { join } from 'node:path';
import { z } from 'zod';
import type { MeshSettings } from './mesh/credentials';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function readConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const value = env[name];
    return `  ${name}${value === undefined ? '' : `=${JSON.stringify(value)}`}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}

/** A TCP port; 0 asks the system for a free one (tests use that). */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** A "host:port" address of another service. */
export const serviceAddress = (fallback: string) =>
  z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, for example 127.0.0.1:50051')
    .default(fallback);

/** A whole number of milliseconds. */
export const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Where the service keeps its data: a PostgreSQL URL, or else an embedded PGlite folder. */
export const databaseUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
  .optional();

/** The folder under which each service keeps its embedded database, one sub-folder per service. */
export const dataRoot = z.string().min(1).default('.data');

/** Where servers listen; 127.0.0.1 on a laptop, 0.0.0.0 in a pod. */
export const listenHost = z.string().min(1).default('127.0.0.1');

/** What every service reads the same way: where to listen and where its data lives. */
export interface ServiceBasics {
  host: string;
  grpcPort: number;
  /** Port of the service's GraphQL subgraph (HTTP). */
  httpPort: number;
  database: { url?: string; dataDir: string };
  mesh: MeshSettings;
}

/** Where each service listens unless told otherwise; the services' defaults point at each other. */
export const DEFAULT_PORTS = {
  user: { grpc: 50051, http: 4001 },
  inventory: { grpc: 50052, http: 4002 },
  ride: { grpc: 50053, http: 4003 },
  payment: { grpc: 50054, http: 4004 },
  // Telematics' device doors too: MQTT and HTTPS for the bikes.
  telematics: { grpc: 50055, http: 4005, mqtt: 1884, devices: 4080 },
  // The public GraphQL API, and its Prometheus endpoint apart from it.
  gateway: { http: 4000, metrics: 9464 },
} as const;

/** Where a service's gRPC server is by default: on this machine, at its default port. */
export const defaultGrpcAddress = (service: 'user' | 'inventory' | 'ride' | 'payment' | 'telematics') => `127.0.0.1:${DEFAULT_PORTS[service].grpc}`;

/**
 * Reads a service's whole configuration in one pass: the shared part, named with the service's
 * prefix (RIDE_GRPC_PORT, RIDE_HTTP_PORT, RIDE_DATABASE_URL; LISTEN_HOST and DATA_DIR are shared), plus the
 * service's own variables. One message lists every problem.
 */
export function readServiceConfig<Own extends z.ZodRawShape>(
  service: string,
  defaultPorts: { grpc: number; http: number },
  own: Own,
  env: NodeJS.ProcessEnv = process.env,
): { basics: ServiceBasics; own: z.infer<z.ZodObject<Own>> } {
  const prefix = service.toUpperCase();
  const schema = z.object({
    LISTEN_HOST: listenHost,
    [`${prefix}_GRPC_PORT`]: port(defaultPorts.grpc),
    [`${prefix}_HTTP_PORT`]: port(defaultPorts.http),
    [`${prefix}_DATABASE_URL`]: databaseUrl,
    ...meshShape,
    ...own,
  });
  const config = readConfig(schema, env) as Record<string, unknown>;
  return {
    basics: {
      host: config.LISTEN_HOST as string,
      grpcPort: config[`${prefix}_GRPC_PORT`] as number,
      httpPort: config[`${prefix}_HTTP_PORT`] as number,
      database: {
        url: config[`${prefix}_DATABASE_URL`] as string | undefined,
        dataDir: join(config.DATA_DIR as string, service),
      },
      mesh: meshSettings(config, service),
    },
    own: config as z.infer<z.ZodObject<Own>>,
  };
}

/**
 * MESH_MODE: "local" (the default: mTLS with the development CA, and gRPC applies the mesh policy)
 * or "istio" (the sidecar does both). MESH_CERTS_DIR: where the local mode's certificates are.
 */
export const meshShape = {
  DATA_DIR: dataRoot,
  MESH_MODE: z.enum(['local', 'istio']).default('local'),
  MESH_CERTS_DIR: z.string().min(1).optional(),
};

export function meshSettings(config: Record<string, unknown>, identity: string): MeshSettings {
  return {
    mode: config.MESH_MODE as MeshSettings['mode'],
    certsDir: (config.MESH_CERTS_DIR as string | undefined) ?? join(config.DATA_DIR as string, 'mesh-certs'),
    identity,
  };
}

/**
 * NODE_ENV, and ALLOW_SANDBOX_PROVIDERS ("true" or "false", the default): whether a service may run
 * on a sandbox provider with NODE_ENV=production. Only a staging environment should set it.
 */
export const deploymentShape = {
  NODE_ENV: z.string().default('development'),
  ALLOW_SANDBOX_PROVIDERS: z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).default('false'),
};

/** A provider setting that names a sandbox, and what the sandbox would do in production. */
export interface SandboxInUse {
  /** The setting, as `USER_MAIL_PROVIDER=sandbox`. */
  setting: string;
  /** What goes wrong with it in production, and what to choose instead. */
  risk: string;
}

/**
 * A sandbox answers like a real provider and checks nothing (anyone passes the identity check with
 * a public test document, test cards credit wallets), so a production process refuses to start on
 * one, unless ALLOW_SANDBOX_PROVIDERS=true says that this deployment is a staging environment.
 * Answers a warning to log when sandboxes are allowed there.
 */
export function refuseSandboxesInProduction(sandboxes: SandboxInUse[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const deployment = readConfig(z.object(deploymentShape), env);
  if (deployment.NODE_ENV !== 'production' || sandboxes.length === 0) return undefined;
  const settings = sandboxes.map((sandbox) => sandbox.setting).join(', ');
  if (deployment.ALLOW_SANDBOX_PROVIDERS === 'true') {
    return `sandbox providers in production (${settings}), allowed by ALLOW_SANDBOX_PROVIDERS=true: this must be a staging environment`;
  }
  const problems = sandboxes.map((sandbox) => `  ${sandbox.setting}: ${sandbox.risk}`);
  throw new ConfigError(
    `sandbox providers are refused with NODE_ENV=production:\n${problems.join('\n')}\n` +
      'Choose real providers; only on a staging environment, set ALLOW_SANDBOX_PROVIDERS=true to allow the sandboxes.',
  );
}
