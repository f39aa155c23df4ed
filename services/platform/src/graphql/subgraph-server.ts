// The one place that builds a service's Apollo Federation subgraph: its schema file and resolvers,
// served over HTTP at /graphql. Only the gateway calls it; the gateway has already checked the API
// key and the rider's token, and passes the rider's id in a header.
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import express from 'express';
import { parse, type GraphQLSchema } from 'graphql';
import { serveMetrics } from '../telemetry/metrics-endpoint';
import { formatSubgraphError, graphqlError } from './errors';
import { serverSpan } from '../telemetry/server-span';
import { telemetryPlugin } from './telemetry-plugin';
import type { TLSSocket } from 'node:tls';
import { listen } from '../http-listen';
import { socketIdentity } from '../mesh/caller-identity';
import { httpsServerOptions, type MeshCredentials } from '../mesh/credentials';
import type { Logger } from '../logger';

/** The header in which the gateway names the rider a request is for (after checking their token). */
export const RIDER_ID_HEADER = 'x-ecowheels-rider-id';
/** The header in which the gateway names the scopes of the request's API key, comma-separated. */
export const SCOPES_HEADER = 'x-ecowheels-scopes';
/** The header in which the gateway names the address the request came from (login throttling). */
export const CLIENT_ADDRESS_HEADER = 'x-ecowheels-client-address';

/** The only workload that may query a subgraph (mesh-config/policy.ts says the same for Istio). */
const SUBGRAPH_CALLER = 'gateway';

export interface RequestContext {
  /** The rider the gateway authenticated, if any. */
  riderId?: string;
  /** The scopes of the API key the request came with ("ops"); empty for a rider app. */
  scopes?: readonly string[];
  /** The client's address, as the gateway saw it. */
  clientAddress?: string;
}

export interface SubgraphDefinition<Context extends RequestContext> {
  /** Path of the schema.graphql file. */
  schemaFile: string;
  resolvers: GraphQLResolverMap<Context>;
  /** Builds the per-request context (DataLoaders live here, one set per request). */
  context: (request: RequestContext) => Context;
}

export interface RunningSubgraph {
  url: string;
  stop(): Promise<void>;
}

/** Refuses a request whose API key lacks a scope, with a FORBIDDEN error that names it. */
export function requireScope(context: RequestContext, scope: string): void {
  if (!context.scopes?.includes(scope)) {
    throw graphqlError('PERMISSION_DENIED', `this needs an API key with the "${scope}" scope; ask the platform team for one`);
  }
}

/** The rider a request is for, or an UNAUTHENTICATED error for the gateway to pass on. */
export function requireRider(context: RequestContext): string {
  if (!context.riderId) throw graphqlError('UNAUTHENTICATED', 'this needs a rider: send a bearer token from the login mutation');
  return context.riderId;
}

/** The subgraph's executable schema: its schema file with its resolvers. */
export function subgraphSchema(definition: SubgraphDefinition<any>): GraphQLSchema { // any: each service has its own context type
  const typeDefs = parse(readFileSync(definition.schemaFile, 'utf8'));
  return buildSubgraphSchema({ typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> });
}

export async function startSubgraphServer<Context extends RequestContext>(
  definition: SubgraphDefinition<Context>,
  options: { host: string; port: number; logger: Logger; mesh: MeshCredentials },
): Promise<RunningSubgraph> {
  const server = new ApolloServer<Context>({
    schema: subgraphSchema(definition),
    includeStacktraceInErrorResponses: false,
    // The process stops the server itself (run-service.ts); Apollo's own signal handler would
    // race that stop and keep it from ever finishing.
    stopOnTerminationSignals: false,
    formatError: formatSubgraphError(options.logger),
    // Apollo's inline tracing (for its hosted Studio) is off: traces go to OpenTelemetry instead.
    // So is cache control, which wraps every field's resolver to compute HTTP cache hints that
    // nothing here uses (answers are per rider and never cached).
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      telemetryPlugin({ exposeTraceId: false }),
    ],
  });
  await server.start();
  const app = express();
  // Express hashes every answer into an ETag (SHA-1 of the body) for conditional GETs; the
  // gateway POSTs and never revalidates, so that was 0.5 to 1% of a subgraph's CPU for nothing.
  app.set('etag', false);
  serveMetrics(app);
  app.use(
    '/graphql',
    serverSpan('/graphql'),
    // Local mesh mode: HTTPS demands a mesh certificate, and only the gateway may query (as the
    // AuthorizationPolicy says under Istio), since the rider header is trusted here.
    (req, res, next) => {
      if (options.mesh.mode !== 'local') return next();
      const caller = socketIdentity(req.socket as TLSSocket);
      if (caller === SUBGRAPH_CALLER) return next();
      res.status(403).json({
        errors: [{ message: `${caller ?? 'a caller without a workload identity'} may not query this subgraph; only the gateway may`, extensions: { code: 'FORBIDDEN' } }],
      });
    },
    express.json({ limit: '1mb' }),
    expressMiddleware(server, {
      context: async ({ req }) => {
        const header = (name: string) => {
          const value = req.headers[name];
          return typeof value === 'string' && value !== '' ? value : undefined;
        };
        return definition.context({
          riderId: header(RIDER_ID_HEADER),
          scopes: header(SCOPES_HEADER)?.split(',') ?? [],
          clientAddress: header(CLIENT_ADDRESS_HEADER),
        });
      },
    }),
  );
  const http = await listen(app, options.host, options.port, httpsServerOptions(options.mesh));
  return {
    url: `${http.origin}/graphql`,
    // The listener first, so requests in flight finish while no new one is taken; then Apollo.
    stop: async () => {
      await http.close();
      await server.stop();
    },
  };
}
