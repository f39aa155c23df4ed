// The one place that builds a gRPC server. Every service gets the same things here: the mesh's
// transport (mTLS demanding a client certificate, or plaintext under Istio) and, without Istio, the
// mesh policy's check of who may call each method; its handlers wrapped so domain errors become
// status codes, faults are logged once and each call is measured; the standard health service,
// server reflection for generic tools (grpcurl, grpcui), and a graceful shutdown.
import { join } from 'node:path';
import {
  Server,
  status,
  type handleClientStreamingCall,
  type handleUnaryCall,
  type ServerReadableStream,
  type Metadata,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { Logger } from '../logger';
import { recordRpcServerDuration } from '../telemetry/tracing';
import { toGrpcStatus } from './status';
import { invalidArgument } from '../errors';
import { drawFault, faultsFromEnvironment } from './fault-injection';
import { DRAIN_MS } from '../run-service';
import AUTHORIZATION from '../mesh/authorization.generated.json';
import type { MeshCredentials } from '../mesh/credentials';
import { callerIdentity } from '../mesh/caller-identity';

export const PROTO_ROOT = join(__dirname, '..', '..', '..', '..', 'proto');

/** What a handler knows of the call besides the request. */
export interface CallContext {
  metadata: Metadata;
  /** The peer's address, for logs. */
  peer: string;
}

/** A service interface's own method names, without the index signature grpc-js gives it. */
export type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };

/**
 * A service's handlers as plain async functions from request to response; a client-streaming
 * method gets its requests as an async iterable and answers once.
 */
export type AsyncHandlers<S> = {
  [K in KnownKeys<S>]: S[K] extends handleUnaryCall<infer Req, infer Res>
    ? (request: Req, context: CallContext) => Promise<Res>
    : S[K] extends handleClientStreamingCall<infer Req, infer Res>
      ? (requests: AsyncIterable<Req>, context: CallContext) => Promise<Res>
      : never;
};

export interface GrpcService<S> {
  /** The ts-proto service definition, for example UserServiceService. */
  definition: ServiceDefinition;
  /** Fully qualified name, for example "ecowheels.user.v1.UserService"; health reports under it. */
  name: string;
  /** The .proto file under proto/ that declares it, for reflection. */
  protoFile: string;
  handlers: AsyncHandlers<S>;
}

export interface GrpcServerOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Local mode: mTLS, and each call checked against the mesh policy's callers. Istio mode: plaintext. */
  mesh: MeshCredentials;
}

export interface RunningGrpcServer {
  /** The address actually bound, for example "127.0.0.1:50051". */
  address: string;
  port: number;
  /** Reports NOT_SERVING, lets calls in flight finish (up to graceMs), then stops. */
  shutdown(graceMs?: number): Promise<void>;
}

export async function startGrpcServer<S>(
  service: GrpcService<S>,
  options: GrpcServerOptions,
): Promise<RunningGrpcServer> {
  const { logger } = options;
  const server = new Server();
  server.addService(decodingWithoutFault(service.definition), wrapHandlers(service, logger, options.mesh.mode === 'local'));

  const health = new HealthImplementation({ '': 'SERVING', [service.name]: 'SERVING' });
  health.addToServer(server);

  // Reflection describes the service and the health service, so tools can call both by name.
  const packageDefinition = protoLoader.loadSync([join(PROTO_ROOT, service.protoFile), healthProtoPath], {
    includeDirs: [PROTO_ROOT],
  });
  new ReflectionService(packageDefinition).addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, options.mesh.server, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const address = `${options.host}:${port}`;

  return {
    address,
    port,
    shutdown: async (graceMs = DRAIN_MS) => {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(service.name, 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}

/** A request whose bytes did not decode as its message type, with what the decoder said. */
class Undecodable {
  constructor(readonly problem: string) {}
}

/**
 * grpc-js answers a request that fails to decode with INTERNAL, as if the server were at fault. So
 * each method's decoder here hands such a request on as Undecodable instead of throwing, and the
 * wrapped handler answers INVALID_ARGUMENT: the bytes are the caller's mistake (malformed protobuf,
 * or an int64 beyond what a JavaScript number holds exactly).
 */
function decodingWithoutFault(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([method, spec]) => [
      method,
      {
        ...spec,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return spec.requestDeserialize(bytes);
          } catch (error) {
            return new Undecodable(error instanceof Error ? error.message : String(error));
          }
        },
      },
    ]),
  ) as ServiceDefinition;
}

const undecodable = (problem: string) =>
  invalidArgument(`the request is not a valid message of this method's type (${problem}); check that client and server use the same .proto`);

/** The requests of a client stream, refusing the first that did not decode. */
async function* decodedRequests(stream: AsyncIterable<unknown>): AsyncIterable<unknown> {
  for await (const request of stream) {
    if (request instanceof Undecodable) throw undecodable(request.problem);
    yield request;
  }
}

function wrapHandlers<S>(service: GrpcService<S>, logger: Logger, authorize: boolean): UntypedServiceImplementation {
  const serviceName = service.name;
  const faults = faultsFromEnvironment(); // the chaos tests only
  const implementation: UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(service.handlers) as [string, (r: unknown, c: CallContext) => Promise<unknown>][]) {
    // A client stream hands the handler its requests as an async iterable; the rest is the same.
    const streaming = Boolean((service.definition as Record<string, { requestStream?: boolean }>)[method]?.requestStream);
    const rpc = { 'rpc.system': 'grpc', 'rpc.service': serviceName, 'rpc.method': method[0].toUpperCase() + method.slice(1) };
    const allowed = (AUTHORIZATION as Record<string, Record<string, string[]>>)[serviceName]?.[rpc['rpc.method']] ?? [];
    implementation[method] = ((call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>, callback) => {
      const started = performance.now();
      const done = (code: number) => recordRpcServerDuration(performance.now() - started, { ...rpc, 'rpc.grpc.status_code': code });
      if (authorize) {
        const caller = callerIdentity(call);
        if (!caller || !allowed.includes(caller)) {
          done(status.PERMISSION_DENIED);
          callback({
            code: status.PERMISSION_DENIED,
            details: `${caller ?? 'a caller without a workload identity'} may not call ${serviceName}/${rpc['rpc.method']}; the mesh policy (mesh-config/policy.ts) allows ${allowed.join(', ') || 'no one'}`,
          });
          return;
        }
      }
      const request = streaming ? decodedRequests(call as ServerReadableStream<unknown, unknown>) : (call as ServerUnaryCall<unknown, unknown>).request;
      const fault = faults && drawFault(faults, callerIdentity(call));
      if (fault === 'unavailable') {
        callback({ code: status.UNAVAILABLE, details: 'injected fault: not run' });
        return;
      }
      const handled = request instanceof Undecodable ? Promise.reject(undecodable(request.problem)) : handler(request, { metadata: call.metadata, peer: call.getPeer() });
      handled.then(
        async (response) => {
          if (fault === 'lost') return callback({ code: status.UNAVAILABLE, details: 'injected fault: done, answer lost' });
          if (fault === 'late') await new Promise((resolve) => setTimeout(resolve, faults!.lateMs));
          done(0);
          callback(null, response);
        },
        (error: unknown) => {
          const grpcStatus = toGrpcStatus(error);
          done(grpcStatus.code);
          if (grpcStatus.code === status.INTERNAL) {
            logger.error({ err: error, method }, 'unexpected error in handler');
          } else {
            logger.debug({ method, code: grpcStatus.code, details: grpcStatus.details }, 'request refused');
          }
          callback(grpcStatus, null);
        },
      );
    }) as handleUnaryCall<unknown, unknown>;
  }
  return implementation;
}
