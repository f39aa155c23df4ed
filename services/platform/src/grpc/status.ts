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
};

export interface GrpcStatus {
  code: status;
  details: string;
  metadata?: Metadata;
}

/** A server-side error as the status to send. Anything unexpected becomes INTERNAL, unexplained. */
export function toGrpcStatus(error: unknown): GrpcStatus {
  if (error instanceof DomainError) return { code: STATUS_OF_KIND[error.kind], details: error.message };
  return { code: status.INTERNAL, details: 'internal error; the service logged the details' };
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as ServiceError).code === 'number' && 'details' in error;
}

/**
 * A failed outgoing call as a DomainError, prefixed with what was being done. A peer that is down,
 * too slow or overloaded is UNAVAILABLE: the caller may try again later. An INTERNAL fault in the
 * peer stays unexplained and is UNAVAILABLE too, since nothing the caller sent was wrong.
 */
export function fromServiceError(error: unknown, doing: string): DomainError {
  if (!isServiceError(error)) return new DomainError('UNAVAILABLE', `${doing}: ${String(error)}`);
  const message = `${doing}: ${error.details || status[error.code]}`;
  switch (error.code) {
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return new DomainError('INVALID_ARGUMENT', message);
    case status.NOT_FOUND:
      return new DomainError('NOT_FOUND', message);
    case status.ALREADY_EXISTS:
      return new DomainError('ALREADY_EXISTS', message);
    case status.FAILED_PRECONDITION:
    case status.ABORTED:
      return new DomainError('FAILED_PRECONDITION', message);
    case status.PERMISSION_DENIED:
      return new DomainError('PERMISSION_DENIED', message);
    case status.UNAUTHENTICATED:
      return new DomainError('UNAUTHENTICATED', message);
    default:
      return new DomainError('UNAVAILABLE', message);
  }
}
