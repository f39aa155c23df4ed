// Every error the gateway answers, in one place. Each is told apart by the class or code its
// library gives it, never by its message text, and each gets a code an app can switch on and the
// HTTP status that belongs to it:
// - refusals at the edge, before any GraphQL (API key, token, rate limit), as EdgeError;
// - bodies that cannot be read (a charset other than UTF-8; and http-body-errors.ts: encoding,
//   size, JSON);
// - automatic persisted queries that break the protocol (PERSISTED_QUERY_*);
// - operation selection (OPERATION_RESOLUTION_FAILURE) and subscriptions, which HTTP does not serve;
// - depth and cost limits (graphql-armor's rejections, QUERY_TOO_DEEP and QUERY_TOO_COMPLEX);
// - a subgraph that cannot be reached (SERVICE_UNAVAILABLE, naming no address);
// - and faults of ours: logged once with their stack, answered as INTERNAL_SERVER_ERROR, and in
//   production without any detail. The trace id in `extensions` is how an operator finds the rest.
import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import contentType from 'content-type';
import type { NextFunction, Request, Response } from 'express';
import { GraphQLError, type GraphQLFormattedError, type ValidationContext } from 'graphql';
import { bodyErrorOf } from '../../services/platform/src/http-body-errors';
import type { Logger } from '../../services/platform/src/logger';

/** A refusal at the edge, answered in GraphQL's response shape with its code and HTTP status. */
export class EdgeError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'EdgeError';
  }

  body(traceId?: string) {
    return { errors: [{ message: this.message, extensions: { code: this.code } }], ...(traceId ? { extensions: { traceId } } : {}) };
  }
}

/** Any error that reached Express's error handler, as the answer to send. */
export function edgeErrorOf(error: unknown, logger: Logger): EdgeError {
  if (error instanceof EdgeError) return error;
  const body = bodyErrorOf(error);
  if (body) return new EdgeError(body.code, body.httpStatus, body.message);
  logger.error({ err: error }, 'unexpected error at the edge');
  return new EdgeError('INTERNAL_SERVER_ERROR', 500, 'internal error; the gateway logged the details');
}

const badRequest = (code: string, message: string) => new EdgeError(code, 400, message);

/**
 * Checks the automatic persisted query extension (version 1, a SHA-256 in hex, matching the query
 * when one is sent) before Apollo Server does, which would answer a broken one without a code.
 * `extensions` is the request's extensions (parsed from the query string for a GET).
 */
export function checkPersistedQuery(extensions: unknown, query: unknown): void {
  const persisted = (extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  if (persisted === undefined) return;
  if (persisted === null || typeof persisted !== 'object') throw badRequest('PERSISTED_QUERY_INVALID', 'extensions.persistedQuery must be an object with version and sha256Hash');
  if (persisted.version !== 1) throw badRequest('PERSISTED_QUERY_VERSION_UNSUPPORTED', 'only persisted query version 1 is supported');
  if (typeof persisted.sha256Hash !== 'string' || !/^[0-9a-f]{64}$/.test(persisted.sha256Hash)) {
    throw badRequest('PERSISTED_QUERY_INVALID', 'extensions.persistedQuery.sha256Hash must be the query\'s SHA-256 in lowercase hex');
  }
  if (typeof query === 'string' && createHash('sha256').update(query).digest('hex') !== persisted.sha256Hash) {
    throw badRequest('PERSISTED_QUERY_HASH_MISMATCH', 'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it');
  }
}

/**
 * Express middleware: JSON is UTF-8 (RFC 8259), so a request that names another charset is refused
 * with 415 before its body is read, rather than decoded as something it is not (body-parser alone
 * would accept any "utf-*": UTF-7 and UTF-16 too).
 */
export function utf8Only(req: Request, _res: Response, next: NextFunction): void {
  const header = req.headers['content-type'];
  if (!header) return next();
  let charset: string | undefined;
  try {
    charset = contentType.parse(header).parameters.charset;
  } catch {
    return next(new EdgeError('UNSUPPORTED_MEDIA_TYPE', 415, `the content-type ${JSON.stringify(header)} cannot be parsed; send application/json`));
  }
  if (charset === undefined || charset.toLowerCase() === 'utf-8') return next();
  next(new EdgeError('UNSUPPORTED_MEDIA_TYPE', 415, `charset ${JSON.stringify(charset)} is not supported; send JSON in UTF-8`));
}

/** Express middleware: checkPersistedQuery on a POST's JSON body or a GET's query string. */
export function persistedQueryCheck(req: Request, _res: Response, next: NextFunction): void {
  try {
    if (req.method === 'GET') {
      const raw = req.query.extensions;
      let extensions: unknown;
      try {
        extensions = typeof raw === 'string' ? JSON.parse(raw) : undefined;
      } catch {
        extensions = undefined; // not JSON: Apollo Server answers that one with BAD_REQUEST
      }
      checkPersistedQuery(extensions, req.query.query);
    } else if (req.body && typeof req.body === 'object' && !Array.isArray(req.body)) {
      const body = req.body as { extensions?: unknown; query?: unknown };
      checkPersistedQuery(body.extensions, body.query);
    }
    next();
  } catch (error) {
    next(error);
  }
}

const httpError = (code: string, status: number, message: string) => new GraphQLError(message, { extensions: { code, http: { status } } });

/**
 * Which operation to run, settled before the gateway plans anything: one that the document does
 * not hold (or several with none named) is the client's mistake, as is a subscription over HTTP.
 * And an error that says when to retry (a login lockout) sets the Retry-After header.
 */
export const gatewayErrorsPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
        const retryAfter = Math.max(0, ...(errors ?? []).map((error) => Number(error.extensions?.retryAfter) || 0));
        if (retryAfter > 0) response.http.headers.set('retry-after', String(retryAfter));
      },
      async didResolveOperation({ operation, request }) {
        if (!operation) {
          throw httpError(
            'OPERATION_RESOLUTION_FAILURE',
            400,
            request.operationName ? `the document has no operation named "${request.operationName}"` : 'the document holds several operations: name one in operationName',
          );
        }
        if (operation.operation === 'subscription') throw httpError('BAD_REQUEST', 400, 'subscriptions are not served over HTTP; use a query or a mutation');
      },
    };
  },
};

type LimitCode = 'QUERY_TOO_DEEP' | 'QUERY_TOO_COMPLEX' | 'TOO_MANY_ALIASES' | 'MUTATION_REPEATED';

/**
 * A document refused by one of the limits. Apollo Server reports every validation error as
 * GRAPHQL_VALIDATION_FAILED, keeping this as its originalError; formatGatewayError puts the
 * limit's own code back.
 */
export class LimitExceeded extends GraphQLError {
  constructor(
    readonly code: LimitCode,
    message: string,
    nodes: GraphQLError['nodes'],
  ) {
    super(message, { nodes });
  }
}

/** graphql-armor's onReject for one rule: reported as a validation error with the rule's own code. */
export function reportLimit(code: LimitCode) {
  return {
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(new LimitExceeded(code, error.message, error.nodes))],
  };
}

/** A subgraph that did not answer, for its data source's fetcher to throw. */
export function subgraphUnavailable(subgraph: string, cause: unknown): GraphQLError {
  const timedOut = cause instanceof DOMException && cause.name === 'TimeoutError';
  return new GraphQLError(`the ${subgraph} part of the API ${timedOut ? 'did not answer in time' : 'is unavailable right now'}; retry shortly`, {
    extensions: { code: 'SERVICE_UNAVAILABLE' },
    originalError: cause instanceof Error ? cause : undefined,
  });
}

/**
 * "Did you mean …?" after an unknown field, argument, type or enum value: a way to read the schema
 * a field at a time, which production keeps to itself as it keeps introspection.
 */
const SUGGESTION = / ?Did you mean .+?\?$/;

/**
 * Apollo Server's formatError: faults (INTERNAL_SERVER_ERROR) are logged once with their stack,
 * and in production answered without detail; every other error keeps its message and code, and in
 * production loses everything else (stack traces, subgraph names, suggestions of schema names).
 */
export function formatGatewayError(production: boolean, logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const limit = error instanceof GraphQLError && error.originalError instanceof LimitExceeded ? error.originalError.code : undefined;
    const code = limit ?? (formatted.extensions?.code as string | undefined) ?? 'INTERNAL_SERVER_ERROR';
    // A subgraph's fault was logged by the subgraph (it names itself in serviceName).
    if (code === 'INTERNAL_SERVER_ERROR' && formatted.extensions?.serviceName === undefined) {
      logger.error({ err: (error as GraphQLError)?.originalError ?? error, path: formatted.path }, 'internal error answered to a client');
    }
    if (code === 'INTERNAL_SERVER_ERROR' && production) return { message: 'internal error; the logs have the details', path: formatted.path, extensions: { code } };
    if (!production) return { ...formatted, extensions: { ...formatted.extensions, code } };
    const retryAfter = formatted.extensions?.retryAfter === undefined ? {} : { retryAfter: formatted.extensions.retryAfter };
    return { message: formatted.message.replace(SUGGESTION, ''), locations: formatted.locations, path: formatted.path, extensions: { code, ...retryAfter } };
  };
}
