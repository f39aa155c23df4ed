// Telemetry for every GraphQL server (subgraphs and the gateway), in one Apollo Server plugin: the
// request's span is named by operation type and name ("mutation StartRide") and marked failed when
// the answer has errors, each operation's duration is recorded per name and outcome, and the
// gateway also hands the trace id back to the caller, in extensions and in a header.
import type { ApolloServerPlugin } from '@apollo/server';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { recordGraphqlDuration } from '../telemetry/tracing';

export const TRACE_ID_HEADER = 'x-trace-id';

export function telemetryPlugin(options: { exposeTraceId: boolean }): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const span = trace.getActiveSpan();
      const traceId = span?.spanContext().traceId;
      const started = performance.now();
      const operation = { 'graphql.operation.name': 'anonymous', 'graphql.operation.type': 'unknown' };
      return {
        async didResolveOperation({ operationName, operation: definition }) {
          operation['graphql.operation.name'] = operationName ?? 'anonymous';
          operation['graphql.operation.type'] = definition?.operation ?? 'unknown';
          span?.updateName(`${operation['graphql.operation.type']} ${operation['graphql.operation.name']}`);
          span?.setAttributes(operation);
        },
        async willSendResponse({ response, errors }) {
          const errorCode = errors?.[0]?.extensions?.code;
          if (errors?.length) span?.setStatus({ code: SpanStatusCode.ERROR, message: errors[0].message });
          recordGraphqlDuration((performance.now() - started) / 1000, {
            ...operation,
            ...(errors?.length ? { 'error.type': typeof errorCode === 'string' ? errorCode : 'GRAPHQL_ERROR' } : {}),
          });
          if (!options.exposeTraceId || !traceId) return;
          response.http.headers.set(TRACE_ID_HEADER, traceId);
          if (response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, traceId };
          }
        },
      };
    },
  };
}
