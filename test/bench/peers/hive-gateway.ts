// P1's peer: Hive Gateway (@graphql-hive/gateway-runtime) on the same supergraph, in front of the
// same subgraphs, over the same mutual TLS, with the same edge checks our gateway makes (the API
// key, cached, and the rider's token), so the two differ only in the gateway itself. It reads the
// subgraph URLs and the user service's address from the environment our gateway is given, prints
// one JSON line with its URL, and runs until SIGTERM.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fetch as undiciFetch } from 'undici';
import { RIDER_ID_HEADER, SCOPES_HEADER } from '../../../services/platform/src/graphql/subgraph-server';
import { httpDispatcher } from '../../../services/platform/src/mesh/http-dispatcher';
import { ApiKeyCheck } from '../../../supergraph/src/api-keys';
import { readGatewayConfig } from '../../../supergraph/src/config';
import { EdgeError } from '../../../supergraph/src/gateway-errors';
import { RiderTokenCheck } from '../../../supergraph/src/rider-tokens';
import { SUBGRAPHS, SUPERGRAPH_FILE } from '../../../supergraph/src/subgraphs';
import { MemoryUsageCounter } from '../../../supergraph/src/usage-counter';
import { benchCredentials } from '../lib/bench-stack';

// Hive's type declarations pull in the DOM library (through @whatwg-node/fetch), which changes the
// global types of the whole project's type check; so the little of its API used here is typed here.
interface HivePlugin {
  onRequest(payload: { request: Request; endResponse(response: Response): void }): Promise<void>;
  onFetch(payload: { setFetchFn(fetchFn: (url: string, init: object) => Promise<unknown>): void }): void;
}
interface HiveRuntime {
  (req: IncomingMessage, res: ServerResponse): void;
  dispose(): Promise<void> | void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createGatewayRuntime } = require('@graphql-hive/gateway-runtime') as {
  createGatewayRuntime(config: {
    supergraph: string;
    logging: false | 'debug';
    plugins: () => HivePlugin[];
    propagateHeaders: { fromClientToSubgraphs(payload: { request: Request }): Record<string, string> };
  }): HiveRuntime;
};

interface Caller {
  riderId?: string;
  scopes: string[];
}

async function main(): Promise<void> {
  const config = readGatewayConfig();
  const mesh = benchCredentials('gateway');
  const apiKeys = new ApiKeyCheck(config.userServiceAddress, mesh, config.apiKeys, new MemoryUsageCounter());
  const riderTokens = new RiderTokenCheck(config.userServiceAddress, mesh);
  let supergraph = readFileSync(SUPERGRAPH_FILE, 'utf8');
  for (const { name, defaultUrl } of SUBGRAPHS) supergraph = supergraph.replace(defaultUrl, config.subgraphUrls[name]);
  const dispatcher = httpDispatcher(mesh);
  const callers = new WeakMap<Request, Caller>();

  const edgeChecks: HivePlugin = {
    onRequest: async ({ request, endResponse }) => {
      try {
        const client = await apiKeys.identify(request.headers.get('x-api-key') ?? undefined);
        callers.set(request, { riderId: await riderTokens.riderOf(request.headers.get('authorization') ?? undefined), scopes: client.scopes });
      } catch (error) {
        const edge = error instanceof EdgeError ? error : new EdgeError('INTERNAL', 500, 'edge check failed');
        endResponse(new Response(JSON.stringify(edge.body(undefined)), { status: edge.httpStatus, headers: { 'content-type': 'application/json' } }));
      }
    },
    // Mutual TLS to the subgraphs with the gateway's certificate, as our gateway's fetcher does.
    onFetch: ({ setFetchFn }) => {
      setFetchFn((url, init) => undiciFetch(url, { ...init, dispatcher }));
    },
  };

  const runtime = createGatewayRuntime({
    supergraph,
    // HIVE_DEBUG=1 shows what Hive does with each request (a subgraph's error arrives masked otherwise).
    logging: process.env.HIVE_DEBUG ? 'debug' : false,
    plugins: () => [edgeChecks],
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => {
        const caller = callers.get(request);
        const headers: Record<string, string> = {};
        if (caller?.riderId) headers[RIDER_ID_HEADER] = caller.riderId;
        if (caller?.scopes.length) headers[SCOPES_HEADER] = caller.scopes.join(',');
        return headers;
      },
    },
  });
  const server = createServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ graphqlUrl: `http://127.0.0.1:${port}/graphql` }));
  process.on('SIGTERM', () => {
    server.close();
    apiKeys.close();
    riderTokens.close();
    void Promise.resolve(runtime.dispose()).finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
