// The public GraphQL endpoint: @apollo/gateway inside @apollo/server, behind the edge duties that
// mobile apps rely on: API key, rider token, rate limit per key, body size, CORS, depth and cost
// limits, trusted documents for apps, automatic persisted queries, and error codes that never leak
// internals in production.
import { readFileSync } from 'node:fs';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { Fetcher } from '@apollo/utils.fetcher';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { request, type Dispatcher } from 'undici';
import { CLIENT_ADDRESS_HEADER, RIDER_ID_HEADER, SCOPES_HEADER } from '../../services/platform/src/graphql/subgraph-server';
import { telemetryPlugin, TRACE_ID_HEADER } from '../../services/platform/src/graphql/telemetry-plugin';
import { listen } from '../../services/platform/src/http-listen';
import { type MeshCredentials } from '../../services/platform/src/mesh/credentials';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { serveMetrics } from '../../services/platform/src/telemetry/metrics-endpoint';
import { activeTraceId } from '../../services/platform/src/telemetry/tracing';
import type { Logger } from '../../services/platform/src/logger';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSource } from './apollo-gateway';
import type { ApiClientIdentity, ApiKeyCheck } from './api-keys';
import type { GatewayConfig } from './config';
import { edgeErrorOf, persistedQueryCheck, utf8Only, formatGatewayError, gatewayErrorsPlugin, subgraphUnavailable } from './gateway-errors';
import type { ApiKeyRateLimit } from './rate-limit';
import { gbfsRouter, type GbfsSources } from './gbfs';
import { queryLimitRules } from './query-limits';
import { webPages } from './web-pages';
import type { RiderTokenCheck } from './rider-tokens';
import { SUBGRAPHS, SUPERGRAPH_FILE } from './subgraphs';
import { TrustedDocuments } from './trusted-documents';
import type { UsageCounter } from './usage-counter';

export interface GatewayContext {
  client: ApiClientIdentity;
  riderId?: string;
  /** Where the request came from (behind GATEWAY_TRUST_PROXY_HOPS proxies), for login throttling. */
  clientAddress?: string;
}

export interface EdgeChecks {
  /** How the gateway reaches subgraphs and the user service. */
  mesh: MeshCredentials;
  apiKeys: ApiKeyCheck;
  riderTokens: RiderTokenCheck;
  rateLimit: ApiKeyRateLimit;
  usage: UsageCounter;
  /** The public GBFS feed's sources (no API key: cities and journey planners read it). */
  gbfs: GbfsSources;
}

/**
 * Subgraph calls with a timeout, so a slow subgraph costs a bounded wait and a partial answer. The
 * W3C trace context goes in the headers by the OpenTelemetry undici instrumentation (telemetry/sdk.ts),
 * which sees undici's requests through its diagnostics channels, so each subgraph's spans join the
 * request's trace.
 *
 * Through undici's request API, not fetch: fetch builds a WHATWG Request, Headers, Response and a
 * body stream for every call, and under the myRides load that machinery was about a fifth of the
 * gateway's CPU, the process that bounds the rate (docs/performance.md). The data source reads the
 * status and its text, the headers (Content-Type, Cache-Control) and the body, which
 * SubgraphResponse holds.
 */
function subgraphFetcher(subgraph: string, timeoutMs: number, dispatcher: ReturnType<typeof httpDispatcher>): Fetcher {
  return (async (url: string, init: { method: Dispatcher.HttpMethod; headers: Record<string, string>; body: string }) => {
    const deadline = new AbortController();
    const call = async () => {
      const { statusCode, headers, body } = await request(url, { ...init, dispatcher, signal: deadline.signal });
      return new SubgraphResponse(url, statusCode, headers, await body.text());
    };
    // undici aborts a call at its deadline only once the call has a connection: one still
    // connecting (a subgraph that accepts and then hangs) would wait out the connect timeout. So the
    // deadline also answers by itself. Its timer is cleared as soon as the call is over, so nothing
    // of a finished call (its answer included) stays referenced until the deadline.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const reason = new DOMException(`the ${subgraph} subgraph did not answer within ${timeoutMs} ms`, 'TimeoutError');
        deadline.abort(reason);
        reject(reason);
      }, timeoutMs);
    });
    try {
      return await Promise.race([call(), timedOut]);
    } catch (error) {
      // Refused, reset or timed out: named, not addressed. undici rejects an aborted call with its own
      // error, so a timeout is told by the deadline's reason (a TimeoutError).
      throw subgraphUnavailable(subgraph, deadline.signal.aborted ? deadline.signal.reason : error);
    } finally {
      clearTimeout(timer);
    }
  }) as unknown as Fetcher;
}

/** A subgraph's answer, read whole: what RemoteGraphQLDataSource reads of a fetch Response. */
class SubgraphResponse {
  readonly ok: boolean;
  readonly statusText: string;
  readonly redirected = false;
  readonly headers: Headers;

  constructor(
    readonly url: string,
    readonly status: number,
    headers: IncomingHttpHeaders,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = STATUS_CODES[status] ?? '';
    this.headers = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      for (const each of Array.isArray(value) ? value : value === undefined ? [] : [value]) this.headers.append(name, each);
    }
  }

  text(): Promise<string> {
    return Promise.resolve(this.body);
  }

  json(): Promise<unknown> {
    return Promise.resolve().then(() => JSON.parse(this.body) as unknown);
  }
}

/**
 * Serves the supergraph. `inProcess` may answer some subgraphs in this process instead of over HTTP
 * (the benchmark's monolith does, to measure what the hops to the subgraphs cost).
 */
export async function startGateway(
  config: GatewayConfig,
  edge: EdgeChecks,
  logger: Logger,
  inProcess: Partial<Record<string, GraphQLDataSource<GatewayContext>>> = {},
) {
  // First, so that a broken manifest stops the start before anything listens.
  const trustedDocuments = TrustedDocuments.load(config.trustedDocuments, logger);
  const urls = Object.fromEntries(SUBGRAPHS.map(({ defaultUrl, name }) => [defaultUrl, config.subgraphUrls[name]]));
  // Local mesh mode: mutual TLS with the gateway's certificate; under Istio, plaintext to the sidecar.
  // A call given up at its deadline while still connecting is aborted once it connects: its
  // connection may not take longer than a whole call may.
  const dispatcher = httpDispatcher(edge.mesh, { connectTimeoutMs: config.subgraphTimeoutMs });
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(SUPERGRAPH_FILE, 'utf8'),
    buildService: ({ name, url }) =>
      inProcess[name] ??
      new RemoteGraphQLDataSource<GatewayContext>({
        url: urls[url!] ?? url,
        fetcher: subgraphFetcher(name, config.subgraphTimeoutMs, dispatcher),
        // Only what subgraphs need crosses: the rider the token named and the API key's scopes.
        // Client headers stay here.
        willSendRequest: ({ request, context }) => {
          if (context.riderId) request.http?.headers.set(RIDER_ID_HEADER, context.riderId);
          if (context.client?.scopes.length) request.http?.headers.set(SCOPES_HEADER, context.client.scopes.join(','));
          if (context.clientAddress) request.http?.headers.set(CLIENT_ADDRESS_HEADER, context.clientAddress);
        },
      }),
  });

  const server = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    // main.ts stops the server itself; Apollo's own signal handler would race that stop.
    stopOnTerminationSignals: false,
    // The default landing page loads Apollo's CDN in the browser; this API offers none.
    // No cache control: answers are per rider, and the subgraphs compute no hints to merge.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), telemetryPlugin({ exposeTraceId: true }), gatewayErrorsPlugin],
    validationRules: queryLimitRules(config.limits),
    formatError: formatGatewayError(config.production, logger),
  });
  await server.start();

  const app = express();
  app.disable('x-powered-by');
  // Behind the mesh's ingress, the client's address is the last one its proxies appended.
  app.set('trust proxy', config.trustProxyHops);
  app.use(
    cors({
      origin: config.corsOrigins,
      allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'apollo-require-preflight'],
      // A web app may read the trace id to show it, and when to retry after a 429.
      exposedHeaders: [TRACE_ID_HEADER, 'retry-after'],
    }),
  );
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // The feed's URLs start with the configured base, or else this listener's own address (known once
  // it listens; the router reads it at the first request).
  let origin = '';
  app.use('/gbfs/v3', gbfsRouter(edge.gbfs, { ...config.gbfs, baseUrl: () => config.gbfs.baseUrl ?? `${origin}/gbfs/v3` }, logger));
  app.use(webPages({ production: config.production, demoCredentialsFile: config.demoCredentialsFile }));
  // How many requests this API key has made (counted by every gateway replica when Redis is set).
  app.get('/usage', async (req, res, next) => {
    try {
      const client = await edge.apiKeys.identify(req.header('x-api-key'), req.ip);
      res.json({ apiClientId: client.id, name: client.name, requests: await edge.usage.read(client.id) });
    } catch (error) {
      next(error);
    }
  });
  app.use(
    '/graphql',
    // The trace id goes back on every answer, refusals at the edge included.
    (_req, res, next) => {
      const traceId = activeTraceId();
      if (traceId) res.setHeader(TRACE_ID_HEADER, traceId);
      res.locals.traceId = traceId;
      next();
    },
    async (req, res, next) => {
      try {
        const client = await edge.apiKeys.identify(req.header('x-api-key'), req.ip);
        await edge.rateLimit.consume(client.id);
        res.locals.context = { client, riderId: await edge.riderTokens.riderOf(req.header('authorization')), clientAddress: req.ip } satisfies GatewayContext;
        next();
      } catch (error) {
        next(error);
      }
    },
    utf8Only,
    express.json({ limit: config.limits.maxBodyBytes }),
    persistedQueryCheck,
    trustedDocuments.check,
    expressMiddleware(server, { context: async ({ res }) => res.locals.context as GatewayContext }),
  );
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const edgeError = edgeErrorOf(error, logger);
    res.status(edgeError.httpStatus).set(edgeError.headers).json(edgeError.body(res.locals.traceId as string | undefined));
  });

  const http = await listen(app, config.host, config.port);
  origin = http.origin;
  const metricsApp = express();
  serveMetrics(metricsApp);
  const metrics = await listen(metricsApp, config.host, config.metricsPort).catch(async (error: unknown) => {
    await http.close();
    throw error;
  });
  trustedDocuments.startPolling();
  return {
    url: `${http.origin}/graphql`,
    metricsUrl: `${metrics.origin}/metrics`,
    // The listener first, so requests in flight finish while no new one is taken; then Apollo.
    stop: async () => {
      trustedDocuments.stop();
      await http.close();
      await server.stop();
      await metrics.close();
    },
  };
}
