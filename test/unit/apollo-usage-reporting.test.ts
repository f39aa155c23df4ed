// @apollo/gateway reports usage to Apollo only when asked to, and while it does not, the modules
// that the reporting needs are not loaded (supergraph/src/apollo-gateway.ts). Each case loads the
// compiled module in a process of its own, as the gateway does: Jest's module registry would not
// run the resolution hook.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { commandOf } from '../../services/local-stack/src/launched-service';

const MODULE = join(dirname(commandOf('gateway', 'compiled').at(-1)!), 'apollo-gateway.js');
const REPORTING_FILES = /node_modules\/@opentelemetry\/(sdk-metrics|resources|exporter-metrics-otlp-http|resource-detector-[a-z-]+)\//;

/** What a process sees after loading the module with this setting (undefined: not set). */
function load(setting: string | undefined): { gateway: string; setting: string; reportingFiles: number } {
  const script = [
    `const { ApolloGateway } = require(${JSON.stringify(MODULE)});`,
    `const reportingFiles = Object.keys(require.cache).filter((file) => ${REPORTING_FILES.toString()}.test(file)).length;`,
    'console.log(JSON.stringify({ gateway: typeof ApolloGateway, setting: process.env.APOLLO_TELEMETRY_DISABLED, reportingFiles }));',
  ].join('\n');
  // Only loaded, never constructed: a gateway with the reporting on would probe cloud metadata addresses.
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, APOLLO_TELEMETRY_DISABLED: setting }, encoding: 'utf8', timeout: 30_000 });
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { gateway: string; setting: string; reportingFiles: number };
}

describe("@apollo/gateway's usage reporting to Apollo", () => {
  it('is off by default, and its modules are left out while it is', () => {
    expect(load(undefined)).toEqual({ gateway: 'function', setting: 'true', reportingFiles: 0 });
    expect(load('1')).toEqual({ gateway: 'function', setting: '1', reportingFiles: 0 });
  });

  it('loads as published when it is turned on on purpose', () => {
    const on = load('false');
    expect(on).toMatchObject({ gateway: 'function', setting: 'false' });
    expect(on.reportingFiles).toBeGreaterThan(100);
  });
});
