// @apollo/gateway, loaded without the parts of its usage reporting to Apollo that stay unused.
//
// @apollo/gateway 2.14 reports usage to Apollo (usage-reporting.api.apollographql.com) and, to label
// it, probes every cloud's metadata address (169.254.169.254, metadata.google.internal), unless told
// not to. A deployment decides what leaves it: here that reporting is off unless
// APOLLO_TELEMETRY_DISABLED is set to "false" on purpose.
//
// Off or not, @apollo/gateway requires what the reporting needs when it loads: an OpenTelemetry 1.x
// metrics stack of its own and four clouds' resource detectors, about 800 modules that npm cannot
// share with our OpenTelemetry 2.x. That was about 0.3 s of CPU at every start of the gateway, for
// code it never runs while the reporting is off. So, while it is off, those requires of its one
// reporting module get an empty module instead (a resolution hook, removed once @apollo/gateway has
// loaded). The module uses them only in the function that starts the reporting, which the gateway
// calls only when it is on. When it is on, everything loads as published.
//
// Only Node's own loader runs the hook; under Jest's module registry everything loads as published.
import { registerHooks } from 'node:module';

process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';

/** Whether @apollo/gateway reports usage to Apollo: its own test of the variable. */
const usageReportingOn = () => !['true', '1'].includes(process.env.APOLLO_TELEMETRY_DISABLED!);

/** @apollo/gateway's module that starts the reporting, and what it requires only for the reporting. */
const REPORTING_MODULE = '/node_modules/@apollo/gateway/dist/utilities/opentelemetry.js';
const REPORTING_ONLY = /^@opentelemetry\/(sdk-metrics|resources|exporter-metrics-otlp-http|resource-detector-[a-z-]+)$/;
const LEFT_OUT = 'ecowheels:apollo-usage-reporting-left-out';

function load(): typeof import('@apollo/gateway') {
  const hooks = usageReportingOn()
    ? undefined
    : registerHooks({
        resolve: (specifier, context, nextResolve) =>
          REPORTING_ONLY.test(specifier) && context.parentURL?.endsWith(REPORTING_MODULE) ? { url: LEFT_OUT, format: 'commonjs', shortCircuit: true } : nextResolve(specifier, context),
        load: (url, context, nextLoad) => (url === LEFT_OUT ? { format: 'commonjs', source: 'module.exports = {};', shortCircuit: true } : nextLoad(url, context)),
      });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- required here, with the hook in place
    return require('@apollo/gateway') as typeof import('@apollo/gateway');
  } finally {
    hooks?.deregister();
  }
}

export const { ApolloGateway, RemoteGraphQLDataSource } = load();
export type { GraphQLDataSource } from '@apollo/gateway';
