// The one place that builds gRPC clients. Every client gets a deadline on every call (the caller
// may pass a shorter one) and promise-returning methods, so callers await results and catch
// DomainErrors instead of handling callbacks and status codes.
import {
  credentials,
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  type Interceptor,
  InterceptingCall,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { fromServiceError } from './status';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** A generated client's unary methods as promises. A failed call rejects with a DomainError. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches any request and response type
export type PromiseClient<C> = {
  [K in keyof C as C[K] extends UnaryMethod<any, any> ? K : never]: C[K] extends UnaryMethod<infer Req, infer Res>
    ? (request: Req, options?: { deadlineMs?: number }) => Promise<Res>
    : never;
} & { close(): void };

export interface ClientOptions {
  /** host:port of the server. */
  address: string;
  /** Deadline for a call that does not set its own. */
  defaultDeadlineMs: number;
  /** Name of the service being called, for error messages ("payment"). */
  peerName: string;
}

type ClientConstructor<C extends Client> = new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
  options?: Record<string, unknown>,
) => C;

export function createClient<C extends Client>(
  Constructor: ClientConstructor<C>,
  definition: ServiceDefinition,
  options: ClientOptions,
): PromiseClient<C> {
  const client = new Constructor(options.address, credentials.createInsecure(), {
    interceptors: [deadlineInterceptor(options.defaultDeadlineMs)],
  });
  const promised: Record<string, unknown> = { close: () => client.close() };
  for (const name of Object.keys(definition)) {
    const call = (client as unknown as Record<string, UnaryMethod<unknown, unknown>>)[name].bind(client);
    promised[name] = (request: unknown, callOptions: { deadlineMs?: number } = {}) =>
      new Promise((resolve, reject) => {
        const deadline = callOptions.deadlineMs ? { deadline: Date.now() + callOptions.deadlineMs } : {};
        call(request, new Metadata(), deadline, (error, response) =>
          error ? reject(fromServiceError(error, `${options.peerName}.${name}`)) : resolve(response),
        );
      });
  }
  return promised as PromiseClient<C>;
}

/** Gives every call without a deadline the default one, so no call can wait forever. */
function deadlineInterceptor(defaultMs: number): Interceptor {
  return (callOptions, nextCall) =>
    new InterceptingCall(
      nextCall(callOptions.deadline ? callOptions : { ...callOptions, deadline: Date.now() + defaultMs }),
    );
}
