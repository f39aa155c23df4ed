// The one place that builds gRPC clients. Every client gets the mesh's transport (mTLS with the
// workload's certificate, or plaintext under Istio), the mesh policy's timeouts and retries as a
// gRPC service config, a deadline on every call, metrics per method, and promise-returning methods,
// so callers await results and catch DomainErrors instead of handling callbacks and status codes.
import {
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientUnaryCall,
  type Interceptor,
  InterceptingCall,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { recordRpcClientDuration } from '../telemetry/tracing';
import { fromServiceError } from './status';
import GRPC_SERVICE_CONFIGS from '../mesh/grpc-service-config.generated.json';
import { channelOptionsFor, type MeshCredentials, type MeshMode } from '../mesh/credentials';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** A generated client's unary methods as promises. A failed call rejects with a DomainError. */
// (`any` matches every request and response type.)

export type PromiseClient<C> = {
  [K in keyof C as C[K] extends UnaryMethod<any, any> ? K : never]: C[K] extends UnaryMethod<infer Req, infer Res>
    ? (request: Req, options?: { deadlineMs?: number }) => Promise<Res>
    : never;
} & { close(): void };

export interface ClientOptions {
  /** host:port of the server. */
  address: string;
  /**
   * How to reach the peer: mutual TLS with timeouts and retries from the mesh policy ("local"), or
   * plaintext with timeouts only ("istio": the sidecar retries; doing both would multiply attempts).
   */
  mesh: MeshCredentials;
  /** Deadline for a call that does not set its own. */
  defaultDeadlineMs: number;
  /** Name of the service being called, for error messages ("payment"). */
  peerName: string;
}

type ClientConstructor<C extends Client> = new (address: string, creds: ChannelCredentials, options?: Record<string, unknown>) => C;

export function createClient<C extends Client>(
  Constructor: ClientConstructor<C>,
  definition: ServiceDefinition,
  options: ClientOptions,
): PromiseClient<C> {
  const client = new Constructor(options.address, options.mesh.client, {
    interceptors: [deadlineInterceptor(options.defaultDeadlineMs)],
    'grpc.service_config': JSON.stringify(serviceConfigFor(options.peerName, options.mesh.mode)),
    ...channelOptionsFor(options.mesh, options.address),
  });
  const promised: Record<string, unknown> = { close: () => client.close() };
  for (const name of Object.keys(definition)) {
    const call = (client as unknown as Record<string, UnaryMethod<unknown, unknown>>)[name].bind(client);
    const rpc = { 'rpc.system': 'grpc', 'rpc.service': serviceOf(definition), 'rpc.method': name[0].toUpperCase() + name.slice(1) };
    promised[name] = (request: unknown, callOptions: { deadlineMs?: number } = {}) =>
      new Promise((resolve, reject) => {
        const deadline = callOptions.deadlineMs ? { deadline: Date.now() + callOptions.deadlineMs } : {};
        const started = performance.now();
        call(request, new Metadata(), deadline, (error, response) => {
          recordRpcClientDuration(performance.now() - started, { ...rpc, 'rpc.grpc.status_code': error?.code ?? 0 });
          if (error) reject(fromServiceError(error, options.peerName, name));
          else resolve(response);
        });
      });
  }
  return promised as PromiseClient<C>;
}

/** The service config `npm run mesh` generated from mesh-config/policy.ts for this peer. */
function serviceConfigFor(peerName: string, meshMode: MeshMode): object {
  const config = (GRPC_SERVICE_CONFIGS as Record<string, { methodConfig: { retryPolicy?: object }[] }>)[peerName];
  if (!config) return { methodConfig: [] };
  if (meshMode === 'local') return config;
  return { methodConfig: config.methodConfig.map(({ retryPolicy: _retriedBySidecar, ...rest }) => rest) };
}

/** "ecowheels.ride.v1.RideService", from a generated definition's method paths. */
function serviceOf(definition: ServiceDefinition): string {
  const [first] = Object.values(definition);
  return first ? first.path.split('/')[1] : 'unknown';
}

/** Gives every call without a deadline the default one, so no call can wait forever. */
function deadlineInterceptor(defaultMs: number): Interceptor {
  return (callOptions, nextCall) =>
    new InterceptingCall(
      nextCall(callOptions.deadline ? callOptions : { ...callOptions, deadline: Date.now() + defaultMs }),
    );
}
