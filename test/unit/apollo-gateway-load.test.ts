// @apollo/gateway loaded without what this gateway never runs (supergraph/src/apollo-gateway.ts):
// its usage reporting to Apollo, off unless asked for, and its default fetcher. Each case loads the
// compiled module in a process of its own, as the gateway does: Jest's module registry would not
// run the resolution hook.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { commandOf } from '../../services/local-stack/src/launched-service';

const MAIN = commandOf('gateway', 'compiled').at(-1)!;
const MODULE = join(dirname(MAIN), 'apollo-gateway.js');
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

// The gateway's main.js is a bundle (services/local-stack/src/build.ts), which holds @apollo/gateway
// and leaves the same parts out, with stand-ins that require the published modules only when the
// reporting is on. Run in a folder without the development certificates, the bundle loads whole and
// then stops at the mesh's check; what it required from node_modules by then is counted as it exits.
describe('the bundled gateway', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecowheels-gateway-bundle-'));
    writeFileSync(
      join(dir, 'count.js'),
      `process.on('exit', () => { const files = (pattern) => Object.keys(require.cache).filter((file) => pattern.test(file)).length; console.log(JSON.stringify({ reportingFiles: files(${REPORTING_FILES.toString()}), fetcherFiles: files(${FETCHER_FILES.toString()}), apolloFiles: files(/node_modules\\/@apollo\\//) })); });`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const loadBundle = (setting: string | undefined) => {
    const run = spawnSync(process.execPath, ['-r', join(dir, 'count.js'), MAIN], { cwd: dir, env: { ...process.env, APOLLO_TELEMETRY_DISABLED: setting }, encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toContain('mesh certificate'); // it loaded, and stopped where it was meant to
    return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { reportingFiles: number; fetcherFiles: number; apolloFiles: number };
  };

  it('holds @apollo/gateway, without the reporting or the default fetcher, by default', () => {
    expect(loadBundle(undefined)).toEqual({ reportingFiles: 0, fetcherFiles: 0, apolloFiles: 0 });
    // Nor does the bundle hold them: the AWS resource detector's metadata address, make-fetch-happen's cache header.
    const bundle = readFileSync(MAIN, 'utf8');
    expect(bundle).not.toContain('169.254.169.254');
    expect(bundle).not.toContain('x-local-cache-status');
  });

  it("requires the reporting's modules as published when the reporting is turned on", () => {
    const on = loadBundle('false');
    expect(on.reportingFiles).toBeGreaterThan(100);
    expect(on.fetcherFiles).toBe(0);
  });
});
