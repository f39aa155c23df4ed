// @apollo/gateway loaded without what this gateway never runs (supergraph/src/apollo-gateway.ts):
// its usage reporting to Apollo, off unless asked for, and its default fetcher. Each case loads the
// compiled module in a process of its own, as the gateway does: Jest's module registry would not
// run the resolution hook.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { commandOf } from '../../services/local-stack/src/launched-service';

const MODULE = join(dirname(commandOf('gateway', 'compiled').at(-1)!), 'apollo-gateway.js');
const REPORTING_FILES = /node_modules\/@opentelemetry\/(sdk-metrics|resources|exporter-metrics-otlp-http|resource-detector-[a-z-]+)\//;
const FETCHER_FILES = /node_modules\/make-fetch-happen\//;

interface Loaded {
  gateway: string;
  setting: string;
  reportingFiles: number;
  fetcherFiles: number;
  /** What a data source given no fetcher of its own says when it fetches. */
  defaultFetcher: string;
}

/** What a process sees after loading the module with this setting (undefined: not set). */
function load(setting: string | undefined): Loaded {
  const script = [
    `const { ApolloGateway, RemoteGraphQLDataSource } = require(${JSON.stringify(MODULE)});`,
    'const files = (pattern) => Object.keys(require.cache).filter((file) => pattern.test(file)).length;',
    'let defaultFetcher = "fetched";',
    `try { new RemoteGraphQLDataSource({ url: 'http://127.0.0.1:9/graphql' }).fetcher('http://127.0.0.1:9/graphql'); } catch (error) { defaultFetcher = error.message; }`,
    `console.log(JSON.stringify({ gateway: typeof ApolloGateway, setting: process.env.APOLLO_TELEMETRY_DISABLED, reportingFiles: files(${REPORTING_FILES.toString()}), fetcherFiles: files(${FETCHER_FILES.toString()}), defaultFetcher }));`,
  ].join('\n');
  // Only loaded, never constructed: a gateway with the reporting on would probe cloud metadata addresses.
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, APOLLO_TELEMETRY_DISABLED: setting }, encoding: 'utf8', timeout: 30_000 });
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Loaded;
}

const LEFT_OUT_FETCHER = expect.stringMatching(/^@apollo\/gateway's default fetcher \(make-fetch-happen\) is left out here .*: give the data source a fetcher$/);

describe('@apollo/gateway as the gateway loads it', () => {
  it("leaves out the usage reporting's modules while the reporting is off, which it is by default", () => {
    expect(load(undefined)).toEqual({ gateway: 'function', setting: 'true', reportingFiles: 0, fetcherFiles: 0, defaultFetcher: LEFT_OUT_FETCHER });
    expect(load('1')).toMatchObject({ setting: '1', reportingFiles: 0 });
  });

  it('loads the reporting as published when it is turned on on purpose', () => {
    const on = load('false');
    expect(on).toMatchObject({ gateway: 'function', setting: 'false', fetcherFiles: 0, defaultFetcher: LEFT_OUT_FETCHER });
    expect(on.reportingFiles).toBeGreaterThan(100);
  });
});
