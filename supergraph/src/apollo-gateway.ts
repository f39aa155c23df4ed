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
// runs the hook; under Jest's module registry everything loads as published.
import { registerHooks } from 'node:module';

process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

/** Whether @apollo/gateway reports usage to Apollo: its own test of the variable. */
const usageReportingOn = () => !['true', '1'].includes(process.env.APOLLO_TELEMETRY_DISABLED!);

interface LeftOut {
  /** The module of @apollo/gateway that requires it. */
  requiredBy: RegExp;
  specifier: RegExp;
  /** The stand-in's CommonJS source. */
  standIn: string;
  applies: () => boolean;
}

const GATEWAY_DIST = '/node_modules/@apollo/gateway/dist/';
const LEFT_OUT: LeftOut[] = [
  {
    requiredBy: new RegExp(`${GATEWAY_DIST}utilities/opentelemetry\\.js$`),
    specifier: /^@opentelemetry\/(sdk-metrics|resources|exporter-metrics-otlp-http|resource-detector-[a-z-]+)$/,
    standIn: 'module.exports = {};',
    applies: () => !usageReportingOn(),
  },
  {
    requiredBy: new RegExp(`${GATEWAY_DIST}(datasources/RemoteGraphQLDataSource|supergraphManagers/UplinkSupergraphManager/index)\\.js$`),
    specifier: /^make-fetch-happen$/,
    standIn: `const leftOut = () => { throw new Error("@apollo/gateway's default fetcher (make-fetch-happen) is left out here (supergraph/src/apollo-gateway.ts): give the data source a fetcher"); };
module.exports = { defaults: () => leftOut };`,
    applies: () => true,
  },
];
const STAND_IN = 'ecowheels:apollo-gateway-left-out/';

function load(): typeof import('@apollo/gateway') {
  const hooks = registerHooks({
    resolve: (specifier, context, nextResolve) => {
      const index = LEFT_OUT.findIndex((part) => part.specifier.test(specifier) && part.requiredBy.test(context.parentURL ?? '') && part.applies());
      return index === -1 ? nextResolve(specifier, context) : { url: `${STAND_IN}${index}`, format: 'commonjs', shortCircuit: true };
    },
    load: (url, context, nextLoad) =>
      url.startsWith(STAND_IN) ? { format: 'commonjs', source: LEFT_OUT[Number(url.slice(STAND_IN.length))].standIn, shortCircuit: true } : nextLoad(url, context),
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
