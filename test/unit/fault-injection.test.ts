// The chaos tests' fault injection: read only under NODE_ENV=test, drawn in its proportions, and
// only for the callers named.
import { ConfigError } from '../../services/platform/src/config';
import { drawFault, faultsFromEnvironment } from '../../services/platform/src/grpc/fault-injection';

describe('injected gRPC faults', () => {
  it('are refused outside the tests, and a bad setting names itself', () => {
    expect(() => faultsFromEnvironment({ GRPC_INJECT_FAULTS: 'unavailable=0.1', NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => faultsFromEnvironment({ GRPC_INJECT_FAULTS: 'sometimes=0.1', NODE_ENV: 'test' })).toThrow(/"sometimes=0.1" must be/);
    expect(() => faultsFromEnvironment({ GRPC_INJECT_FAULTS: 'late=2', NODE_ENV: 'test' })).toThrow(/"late=2" must be/);
    expect(faultsFromEnvironment({ NODE_ENV: 'test' })).toBeUndefined();
  });

  it('are drawn in their proportions, for the named callers only', () => {
    const faults = faultsFromEnvironment({ GRPC_INJECT_FAULTS: 'unavailable=0.1,lost=0.2,late=0.3,lateMs=900,callers=ride+gateway', NODE_ENV: 'test' })!;
    expect(faults).toEqual({ unavailable: 0.1, lost: 0.2, late: 0.3, lateMs: 900, callers: ['ride', 'gateway'] });
    expect([0.05, 0.15, 0.45, 0.7].map((random) => drawFault(faults, 'ride', random))).toEqual(['unavailable', 'lost', 'late', undefined]);
    expect(drawFault(faults, 'operator', 0.05)).toBeUndefined();
    expect(drawFault(undefined, 'ride', 0)).toBeUndefined();
  });
});
