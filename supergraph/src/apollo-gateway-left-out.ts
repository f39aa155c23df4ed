// What the gateway leaves out of @apollo/gateway (why: apollo-gateway.ts), as a table that both ways
// of leaving it out read: Node's resolution hook, when the gateway runs file by file, and the build,
// which bundles the gateway (services/local-stack/src/build.ts). This module has no side effects,
// so the build can read it without loading @apollo/gateway.

/** Whether @apollo/gateway reports usage to Apollo: its own test of the variable. */
export const usageReportingOn = () => !['true', '1'].includes(process.env.APOLLO_TELEMETRY_DISABLED!);

export interface LeftOut {
  /** The module of @apollo/gateway that requires it. */
  requiredBy: RegExp;
  specifier: RegExp;
  /** What its require returns instead. */
  standIn: () => unknown;
  /** Whether to leave it out, asked as it is required. */
  applies: () => boolean;
}

const GATEWAY_DIST = '/node_modules/@apollo/gateway/dist/';
export const LEFT_OUT: LeftOut[] = [
  {
    requiredBy: new RegExp(`${GATEWAY_DIST}utilities/opentelemetry\\.js$`),
    specifier: /^@opentelemetry\/(sdk-metrics|resources|exporter-metrics-otlp-http|resource-detector-[a-z-]+)$/,
    standIn: () => ({}),
    applies: () => !usageReportingOn(),
  },
  {
    requiredBy: new RegExp(`${GATEWAY_DIST}(datasources/RemoteGraphQLDataSource|supergraphManagers/UplinkSupergraphManager/index)\\.js$`),
    specifier: /^make-fetch-happen$/,
    standIn: () => {
      const leftOut = () => {
        throw new Error("@apollo/gateway's default fetcher (make-fetch-happen) is left out here (supergraph/src/apollo-gateway.ts): give the data source a fetcher");
      };
      return { defaults: () => leftOut };
    },
    applies: () => true,
  },
];

/** The index in LEFT_OUT of what `parent` (a path or a file URL) requiring `specifier` should not get, or -1. */
export const leftOutIndex = (specifier: string, parent: string): number => LEFT_OUT.findIndex((part) => part.specifier.test(specifier) && part.requiredBy.test(parent));

/**
 * Where a stand-in module finds, as it is required, what to return: apollo-gateway.ts puts
 * `chooseLeftOut` there before it loads @apollo/gateway.
 */
export const LEFT_OUT_CHOICE = 'ecowheels.apolloGateway.leftOut';

/** The stand-in while the part applies; otherwise the package as published (`published`: in a bundle, which has no hook to ask first). */
export const chooseLeftOut = (index: number, published?: () => unknown): unknown => (published && !LEFT_OUT[index].applies() ? published() : LEFT_OUT[index].standIn());

/**
 * A stand-in module's CommonJS source. In a bundle it requires the package as published, from
 * @apollo/gateway's own folder (where npm put the versions it depends on), when the part does not apply.
 */
export function standInSource(index: number, bundled?: { specifier: string }): string {
  const published = bundled
    ? `, () => require(require.resolve(${JSON.stringify(bundled.specifier)}, { paths: [require.resolve('@apollo/gateway')] }))`
    : '';
  return `module.exports = globalThis[Symbol.for(${JSON.stringify(LEFT_OUT_CHOICE)})](${index}${published});`;
}
