// Errors the domain raises, named by what went wrong rather than by any wire protocol. Each adapter
// maps them once: grpc/status.ts to gRPC status codes, and the GraphQL layer to extensions.code.
// Anything that is not a DomainError is an internal fault and is reported without its details.

export type DomainErrorKind =
  | 'INVALID_ARGUMENT' // the request itself is wrong; retrying it unchanged will fail again
  | 'NOT_FOUND' // the thing named does not exist
  | 'ALREADY_EXISTS' // creating something that exists already
  | 'FAILED_PRECONDITION' // the request is fine but the state of the world refuses it now
  | 'PERMISSION_DENIED' // the caller may not do this
  | 'UNAUTHENTICATED' // the caller's credentials are missing or wrong
  | 'UNAVAILABLE' // a dependency is down; retrying later may work
  | 'RESOURCE_EXHAUSTED' // the caller has tried too often; retrying after retryAfterSeconds may work
  | 'DEADLINE_EXCEEDED'; // the caller's request ran past the time the server gives it (a stream held open too long)

export class DomainError extends Error {
  /**
   * `message` is for the client: it never names hosts, ports or internal calls. What an operator
   * needs beyond it goes in `cause`, which logs and spans show and no client sees.
   */
  /** For RESOURCE_EXHAUSTED: when trying again may work. */
  readonly retryAfterSeconds?: number;

  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = 'DomainError';
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/**
 * Whether a failure is ours rather than the request's or the world's: a dependency down or too slow
 * (UNAVAILABLE, DEADLINE_EXCEEDED) or no DomainError at all (a bug). The SLOs count these against us;
 * a refusal (a card declined, a bike taken) they do not.
 */
export const isOurFault = (error: unknown): boolean =>
  !(error instanceof DomainError) || error.kind === 'UNAVAILABLE' || error.kind === 'DEADLINE_EXCEEDED';

export const invalidArgument = (message: string) => new DomainError('INVALID_ARGUMENT', message);
export const notFound = (message: string) => new DomainError('NOT_FOUND', message);
export const alreadyExists = (message: string) => new DomainError('ALREADY_EXISTS', message);
export const failedPrecondition = (message: string) => new DomainError('FAILED_PRECONDITION', message);
export const permissionDenied = (message: string) => new DomainError('PERMISSION_DENIED', message);
export const unauthenticated = (message: string) => new DomainError('UNAUTHENTICATED', message);
export const unavailable = (message: string) => new DomainError('UNAVAILABLE', message);
export const deadlineExceeded = (message: string) => new DomainError('DEADLINE_EXCEEDED', message);
/** A rate limiter's "ms before the next attempt" as Retry-After: whole seconds, at least one. */
export const retryAfterSeconds = (msBeforeNext: number) => Math.max(1, Math.ceil(msBeforeNext / 1000));
export const tooManyAttempts = (message: string, retryAfterSeconds: number) =>
  new DomainError('RESOURCE_EXHAUSTED', `${message}; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
