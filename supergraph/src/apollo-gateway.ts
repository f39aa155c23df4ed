// @apollo/gateway, loaded without what it requires at load and this gateway never runs.
//
// @apollo/gateway requires everything it might use when it loads. Two parts of that never run here,
// and cost about 0.35 s of CPU at every start of the gateway (some 950 of its 2,200 modules):
//
// - Its usage reporting to Apollo (usage-reporting.api.apollographql.com), which, to label what it
//   sends, probes every cloud's metadata address (169.254.169.254, metadata.google.internal). A
//   deployment decides what leaves it: here the reporting is off unless APOLLO_TELEMETRY_DISABLED is
//   set to "false" on purpose. Its module requires an OpenTelemetry 1.x metrics stack of its own and
//   four clouds' resource detectors, which npm cannot share with our OpenTelemetry 2.x; it uses them
//   only in the function that starts the reporting, which the gateway calls only when it is on.
// - Its default fetcher, make-fetch-happen (an HTTP cache, retries, proxies), which a data source
//   builds in its constructor and which the managed federation's poller uses. This gateway gives
//   every data source its own fetcher (undici, with the mesh's certificates: gateway.ts), and reads
//   its supergraph from a file.
//
// While @apollo/gateway loads, a resolution hook gives those requires a stand-in instead (removed
// once it has loaded): an empty module, or a fetcher that throws, saying what was left out, if it is
// ever called. With the reporting turned on, its modules load as published. Only Node's own loader
// runs the hook; under Jest's module registry everything loads as published. The build bundles the
// gateway, and leaves the same parts out of the bundle (services/local-stack/src/build.ts); the
// table of what is left out is apollo-gateway-left-out.ts.
import { registerHooks } from 'node:module';
import { chooseLeftOut, LEFT_OUT, LEFT_OUT_CHOICE, leftOutIndex, standInSource } from './apollo-gateway-left-out';

process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
(globalThis as Record<symbol, unknown>)[Symbol.for(LEFT_OUT_CHOICE)] = chooseLeftOut;

const STAND_IN = 'ecowheels:apollo-gateway-left-out/';

function load(): typeof import('@apollo/gateway') {
  const hooks = registerHooks({
    resolve: (specifier, context, nextResolve) => {
      const index = leftOutIndex(specifier, context.parentURL ?? '');
      return index === -1 || !LEFT_OUT[index].applies() ? nextResolve(specifier, context) : { url: `${STAND_IN}${index}`, format: 'commonjs', shortCircuit: true };
    },
    load: (url, context, nextLoad) =>
      url.startsWith(STAND_IN) ? { format: 'commonjs', source: standInSource(Number(url.slice(STAND_IN.length))), shortCircuit: true } : nextLoad(url, context),
  });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- required here, with the hook in place
    return require('@apollo/gateway') as typeof import('@apollo/gateway');
  } finally {
    hooks.deregister();
  }
}

export const { ApolloGateway, RemoteGraphQLDataSource } = load();
export type { GraphQLDataSource } from '@apollo/gateway';
