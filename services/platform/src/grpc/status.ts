// The one mapping between domain errors and gRPC status codes, in both directions: a server turns
// a DomainError into a status, and a client turns a failed call back into a DomainError so the
// caller's domain code never sees gRPC.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { DomainError, type DomainErrorKind } from '../errors';

const STATUS_OF_KIND: Record<DomainErrorKind, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  UNAVAILABLE: status.UNAVAILABLE,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
};

export interface GrpcStatus {
  code: status;
  details: string;
  metadata?: Metadata;
}

/** A server-side error as the status to send. Anything unexpected becomes INTERNAL, unexplained. */
export function toGrpcStatus(error: unknown): GrpcStatus {
  if (error instanceof DomainError) {
    const metadata = error.retryAfterSeconds === undefined ? undefined : new Metadata();
    metadata?.set('retry-after', String(error.retryAfterSeconds));
    return { code: STATUS_OF_KIND[error.kind], details: error.message, metadata };
  }
  return { code: status.INTERNAL, details: 'internal error; the service logged the details' };
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as ServiceError).code === 'number' && 'details' in error;
}

/**
 * A peer's PERMISSION_DENIED: the mesh policy refused this workload's call. No rider or app can do
 * anything about that; it is a deployment fault of ours. So it is not a DomainError: each adapter
 * answers it as an internal error (gRPC INTERNAL, GraphQL INTERNAL_SERVER_ERROR) and logs it once,
 * and the policy's text, which names workloads and methods, reaches no client.
 */
export class MeshRefusal extends Error {
  constructor(peer: string, method: string, options: { cause: unknown }) {
    super(`the ${peer} service refused ${method} to this workload (mesh policy)`, options);
    this.name = 'MeshRefusal';
  }
}

/**
 * A failed outgoing call to `peer` ("payment") as a DomainError. A refusal the peer explains
 * (INVALID_ARGUMENT, NOT_FOUND, ...) keeps the peer's message, which was written for people. A peer
 * that is down, too slow, overloaded or at fault is UNAVAILABLE: the caller may try again later. Its
 * message names only the service; the transport's own words (addresses, ports, the method called)
 * stay in the error's cause, for logs and traces. A mesh refusal is a MeshRefusal.
 */
export function fromServiceError(error: unknown, peer: string, method: string): DomainError | MeshRefusal {
  const cause = new Error(`${peer}.${method}: ${isServiceError(error) ? error.details || status[error.code] : String(error)}`, { cause: error });
  const unreachable = (what: string) => new DomainError('UNAVAILABLE', `the ${peer} service ${what}; retry shortly`, { cause });
  if (!isServiceError(error)) return unreachable('could not be called');
  const refusal = (kind: DomainErrorKind) => new DomainError(kind, error.details || status[error.code], { cause });
  switch (error.code) {
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return refusal('INVALID_ARGUMENT');
    case status.NOT_FOUND:
      return refusal('NOT_FOUND');
    case status.ALREADY_EXISTS:
      return refusal('ALREADY_EXISTS');
    case status.FAILED_PRECONDITION:
    case status.ABORTED:
      return refusal('FAILED_PRECONDITION');
    case status.PERMISSION_DENIED:
      return new MeshRefusal(peer, method, { cause });
    case status.UNAUTHENTICATED:
      return refusal('UNAUTHENTICATED');
    case status.DEADLINE_EXCEEDED:
      return unreachable('did not answer in time');
    default:
      return unreachable('is unavailable right now');
  }
}
