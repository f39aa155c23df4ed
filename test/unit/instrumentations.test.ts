// Which OpenTelemetry instrumentations a process runs: all of them, less the ones an operator turns
// off by OpenTelemetry's standard variable, OTEL_NODE_DISABLED_INSTRUMENTATIONS; a name the service
// does not have stops its start rather than being ignored, so a typo cannot leave a costly one on.
import { enabledInstrumentations, INSTRUMENTATION_NAMES } from '../../services/platform/src/telemetry/sdk';

describe('the instrumentations a process runs', () => {
  it('runs every one by default', () => {
    expect(enabledInstrumentations({})).toEqual(['http', 'grpc', 'undici', 'graphql', 'pino']);
    expect(INSTRUMENTATION_NAMES).toEqual(enabledInstrumentations({}));
  });

  it('leaves out those OTEL_NODE_DISABLED_INSTRUMENTATIONS names, with spaces around the commas', () => {
    expect(enabledInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'graphql, pino' })).toEqual(['http', 'grpc', 'undici']);
    expect(enabledInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: '' })).toEqual(INSTRUMENTATION_NAMES);
  });

  it('refuses a name it does not have, saying which it has', () => {
    expect(() => enabledInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,grcp' })).toThrow(
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS names grcp, which this service does not have; it has http, grpc, undici, graphql, pino',
    );
  });
});
