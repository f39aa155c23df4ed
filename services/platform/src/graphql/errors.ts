// The one mapping from domain errors to GraphQL: each DomainError kind has an extensions.code that
// mobile apps can switch on. Anything else is an internal fault: its details are logged, never sent.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError, type DomainErrorKind } from '../errors';
import type { Logger } from '../logger';

export const GRAPHQL_CODE: Record<DomainErrorKind, string> = {
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  FAILED_PRECONDITION: 'FAILED_PRECONDITION',
  PERMISSION_DENIED: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  RESOURCE_EXHAUSTED: 'RATE_LIMITED',
  DEADLINE_EXCEEDED: 'TIMEOUT',
};

/** A problem the rider can act on, returned inside a mutation's payload rather than as an error. */
export interface UserError {
  code: string;
  message: string;
}

/** What a mutation payload carries when the domain refused the request for a reason the rider can fix. */
const USER_FACING: DomainErrorKind[] = ['INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'FAILED_PRECONDITION'];

/** Runs a mutation; a refusal the rider can fix becomes `{ errors: [...] }`, anything else is thrown. */
export async function withUserErrors<T extends object>(run: () => Promise<T>): Promise<T | { errors: UserError[] }> {
  try {
    return { ...(await run()), errors: [] };
  } catch (error) {
    if (error instanceof DomainError && USER_FACING.includes(error.kind)) {
      // Not a fault of ours, but the request failed: the trace should say so, and why.
      trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      return { errors: [{ code: GRAPHQL_CODE[error.kind], message: error.message }] };
    }
    throw error;
  }
}

export function graphqlError(kind: DomainErrorKind, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: GRAPHQL_CODE[kind] } });
}

/** Apollo Server's formatError: domain errors get their code, other faults are logged and hidden. */
export function formatSubgraphError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      const retryAfter = original.retryAfterSeconds === undefined ? {} : { retryAfter: original.retryAfterSeconds };
      return { ...formatted, message: original.message, extensions: { code: GRAPHQL_CODE[original.kind], ...retryAfter } };
    }
    if (original instanceof GraphQLError || formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in resolver');
    return { message: 'internal error; the service logged the details', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
